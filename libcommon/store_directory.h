/*
 * store_directory.h - who receives mail: domains, persons, aliases and
 * distribution lists.  Included by store.h; the error, memory and
 * transaction rules there apply to every function here.
 *
 * Names compare case-insensitively (ASCII): "Demo@Example.TEST" is
 * "demo@example.test".  Inside one domain a local name belongs to one
 * person, alias or list; adding a second of any kind fails with
 * STORE_E_EXISTS.
 */
#ifndef EMS_STORE_DIRECTORY_H
#define EMS_STORE_DIRECTORY_H

#include <stdbool.h>
#include <stdint.h>

struct store;
struct auth_cache;

/* ---- domains ---- */

struct store_domain {
	int64_t id;
	char *name;
	char *description;
};

/* Frees the strings of D and zeroes it. */
void store_domain_clear(struct store_domain *d);

/* Adds domain NAME (no '@' or blank); *ID_OUT (may be NULL) gets its id.
 * STORE_E_EXISTS when the name is taken, STORE_E_INVALID when bad. */
int store_domain_add(struct store *st, const char *name, const char *description,
                     int64_t *id_out);

/* Fills OUT with domain NAME; STORE_E_NOTFOUND when there is none. */
int store_domain_find(struct store *st, const char *name, struct store_domain *out);

/* Deletes domain NAME with all its persons (and their mailboxes), aliases
 * and lists; messages lose those references.  STORE_E_NOTFOUND if none. */
int store_domain_delete(struct store *st, const char *name);

/* Calls CB for each domain in name order; CB returning non-zero stops
 * the walk (still a success). */
int store_domain_list(struct store *st,
                      int (*cb)(const struct store_domain *d, void *arg), void *arg);

/* ---- persons ---- */

/* Which services a person may use (bitmask). */
#define STORE_SVC_POP  1u
#define STORE_SVC_IMAP 2u
#define STORE_SVC_LMTP 4u
#define STORE_SVC_ALL  (STORE_SVC_POP | STORE_SVC_IMAP | STORE_SVC_LMTP)

struct store_person {
	int64_t id;
	int64_t domain_id;
	char *username;        /* local part, as created */
	char *domain;          /* domain name */
	int64_t quota_bytes;   /* 0 = no limit */
	int64_t quota_messages;
	unsigned services;     /* STORE_SVC_* */
	bool admin;
	int64_t created;       /* unix time */
	char *autoreply;       /* auto-reply text, "" = none */
	char *forward_to;      /* forward address, "" = none */
};

/* Frees the strings of P and zeroes it. */
void store_person_clear(struct store_person *p);

/*
 * Adds USERNAME in DOMAIN with PASSWORD (hashed here, never stored or
 * logged in clear), no quota and every service, and creates its INBOX and
 * the special-use folders Drafts, Sent, Trash and Junk, all in one
 * transaction.  *ID_OUT (may be NULL) gets the person id.
 * STORE_E_NOTFOUND: no such domain; STORE_E_EXISTS: name taken;
 * STORE_E_INVALID: empty name or password, '@' or blanks in the name.
 */
int store_person_add(struct store *st, const char *domain, const char *username,
                     const char *password, int64_t *id_out);

/* Fills OUT with USERNAME in DOMAIN (case-insensitive); NOTFOUND if none. */
int store_person_find(struct store *st, const char *username, const char *domain,
                      struct store_person *out);

/* The same for ADDRESS "user@domain" (split at the last '@'). */
int store_person_find_address(struct store *st, const char *address,
                              struct store_person *out);

/* Fills OUT with person ID; STORE_E_NOTFOUND if none. */
int store_person_get(struct store *st, int64_t id, struct store_person *out);

/*
 * Checks PASSWORD against the person's hash in constant time.  Returns 0
 * when right, rewriting a hash of an older scheme with a fresh one on the
 * way (the upgrade path; a failed rewrite is logged, the login still
 * succeeds).  Returns -1 when wrong (STORE_E_INVALID, not logged: the
 * caller logs the failed login), for an unknown id (NOTFOUND) or on error.
 * With CACHE (auth_cache.h; NULL = none) a password verified against the
 * same stored hash within the cache's TTL is right without hashing it
 * again (returns 1), and a right one is remembered.
 */
int store_person_check_password(struct store *st, int64_t person_id,
                                const char *password, struct auth_cache *cache);

/* Replaces the password (hashed here).  INVALID when empty. */
int store_person_set_password(struct store *st, int64_t person_id,
                              const char *password);

/* Sets the quotas (0 = no limit). */
int store_person_set_quota(struct store *st, int64_t person_id,
                           int64_t quota_bytes, int64_t quota_messages);

/* Sets the allowed services (STORE_SVC_*) and the admin flag. */
int store_person_set_services(struct store *st, int64_t person_id,
                              unsigned services, bool admin);

/* Sets the auto-reply TEXT and the FORWARD_TO address (NULL or "": none). */
int store_person_set_autoreply(struct store *st, int64_t person_id,
                               const char *text, const char *forward_to);

/* Deletes the person with its mailboxes; its messages lose those
 * references (the collector removes what nothing references). */
int store_person_delete(struct store *st, int64_t person_id);

/* Calls CB for each person of DOMAIN (NULL: every domain), ordered by
 * domain and user name; CB returning non-zero stops the walk. */
int store_person_list(struct store *st, const char *domain,
                      int (*cb)(const struct store_person *p, void *arg), void *arg);

/* Bytes and messages in the person's mailboxes (for quotas), counting a
 * message once per mailbox entry. */
int store_person_usage(struct store *st, int64_t person_id, int64_t *bytes,
                       int64_t *messages);

/* ---- aliases ---- */

/* Makes NAME@DOMAIN an alias for TARGET: an address of a local person or
 * list, or an external address (resolving it is postman's job).  TARGET
 * must hold an '@' and no blanks. */
int store_alias_add(struct store *st, const char *domain, const char *name,
                    const char *target);

/* *TARGET gets a malloc'ed copy (caller frees) of NAME@DOMAIN's target;
 * STORE_E_NOTFOUND when NAME is no alias. */
int store_alias_find(struct store *st, const char *name, const char *domain,
                     char **target);

/* Removes alias NAME@DOMAIN; STORE_E_NOTFOUND if none. */
int store_alias_delete(struct store *st, const char *domain, const char *name);

/* Calls CB(name, target, ARG) for each alias of DOMAIN in name order. */
int store_alias_list(struct store *st, const char *domain,
                     int (*cb)(const char *name, const char *target, void *arg),
                     void *arg);

/* ---- distribution lists ---- */

/* Adds list NAME@DOMAIN; *ID_OUT (may be NULL) gets its id. */
int store_dlist_add(struct store *st, const char *domain, const char *name,
                    const char *description, int64_t *id_out);

/* *ID_OUT gets the id of list NAME@DOMAIN; STORE_E_NOTFOUND if none. */
int store_dlist_find(struct store *st, const char *name, const char *domain,
                     int64_t *id_out);

/* Adds ADDRESS (a person, another list or an external address; holds an
 * '@', no blanks) to the list.  STORE_E_EXISTS when already a member,
 * STORE_E_NOTFOUND when the list does not exist. */
int store_dlist_add_member(struct store *st, int64_t dlist_id, const char *address);

/* Removes ADDRESS from the list; STORE_E_NOTFOUND when not a member. */
int store_dlist_remove_member(struct store *st, int64_t dlist_id, const char *address);

/* Calls CB with each member address of the list, in address order. */
int store_dlist_members(struct store *st, int64_t dlist_id,
                        int (*cb)(const char *address, void *arg), void *arg);

/* Calls CB(id, name, description, ARG) for each list of DOMAIN by name. */
int store_dlist_list(struct store *st, const char *domain,
                     int (*cb)(int64_t id, const char *name,
                               const char *description, void *arg),
                     void *arg);

/* Deletes the list and its members; STORE_E_NOTFOUND if none. */
int store_dlist_delete(struct store *st, int64_t dlist_id);

/* ---- delivery preferences (postman's auto-reply and forwarding) ---- */

struct store_delivery_prefs {
	char *autoreply;         /* auto-reply text, "" = none */
	int64_t autoreply_from;  /* unix time the auto-reply starts, 0 = now */
	int64_t autoreply_until; /* unix time it ends, 0 = open-ended */
	char *forward_to;        /* forward address, "" = none */
	bool forward_keep;       /* forwarded mail is also delivered here */
};

/* Frees the strings of P and zeroes it. */
void store_delivery_prefs_clear(struct store_delivery_prefs *p);

/* Fills OUT with the person's delivery preferences; NOTFOUND if none. */
int store_person_delivery_prefs(struct store *st, int64_t person_id,
                                struct store_delivery_prefs *out);

/*
 * *PLAIN gets whether a delivery to the person is nothing but a copy in
 * a mailbox: no forward address, no auto-reply text and no active Sieve
 * script, so smtpgw may file it in one hop (postman does the rest).
 * NOTFOUND if no such person.
 */
int store_person_plain_delivery(struct store *st, int64_t person_id, bool *plain);

/* Sets the period in which the auto-reply text is sent (0: no bound).
 * INVALID when both are set and UNTIL is before FROM. */
int store_person_set_autoreply_period(struct store *st, int64_t person_id,
                                      int64_t from, int64_t until);

/* Sets whether forwarded mail is also kept in the person's mailbox. */
int store_person_set_forward_keep(struct store *st, int64_t person_id, bool keep);

/*
 * Vacation bookkeeping: *DUE is true when the person has sent SENDER no
 * auto-reply within the last INTERVAL seconds before NOW; the reply is
 * then recorded as sent at NOW (so call it only when about to send, in
 * the transaction that queues the reply).
 */
int store_vacation_due(struct store *st, int64_t person_id, const char *sender,
                       int64_t now, int64_t interval, bool *due);

#endif
