/*
 * store.h - the message store: one SQLite database (WAL mode) that every
 * ems process opens.  All SQL of ems lives behind this header, so another
 * backend can be added without touching the programs.
 *
 * Errors follow the ems idiom: a function returns 0 on success and -1 on
 * failure after logging why; store_last_error() then says what kind of
 * failure it was, so callers can choose between a permanent error and
 * "try again later" (smtpgw: exit 75; LMTP: 451):
 *
 *   STORE_E_NOTFOUND   the thing asked for does not exist (logged at debug)
 *   STORE_E_EXISTS     a unique name is taken (logged at info)
 *   STORE_E_TRANSIENT  the store is locked past the busy timeout, the disk
 *                      is full, or an I/O error happened: retry later
 *   STORE_E_INVALID    a bad argument (empty name, bad address)
 *   STORE_E_FAILED     anything else (corruption, schema trouble)
 *
 * Durability: the database runs with synchronous=FULL, so when a commit
 * returns 0 the data is on disk; that is what lets smtpgw exit 0.
 *
 * Transactions: every function that changes several rows runs in its own
 * transaction, unless the caller has opened one with store_begin(), in
 * which case it joins it.  Keep transactions short: never hold one across
 * a client round trip.
 *
 * Strings returned in structs are copies owned by the struct; free them
 * with the matching *_clear() function.
 */
#ifndef EMS_STORE_H
#define EMS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The schema version this code writes; older stores are migrated forward. */
#define STORE_SCHEMA_VERSION 2

enum store_error {
	STORE_E_NONE = 0,
	STORE_E_NOTFOUND,
	STORE_E_EXISTS,
	STORE_E_TRANSIENT,
	STORE_E_INVALID,
	STORE_E_FAILED,
};

/* Which services a person may use (bitmask). */
#define STORE_SVC_POP  1u
#define STORE_SVC_IMAP 2u
#define STORE_SVC_LMTP 4u
#define STORE_SVC_ALL  (STORE_SVC_POP | STORE_SVC_IMAP | STORE_SVC_LMTP)

/* System flags of a mailbox entry (bitmask). */
#define STORE_FLAG_SEEN     1u
#define STORE_FLAG_ANSWERED 2u
#define STORE_FLAG_FLAGGED  4u
#define STORE_FLAG_DELETED  8u
#define STORE_FLAG_DRAFT    16u
#define STORE_FLAG_RECENT   32u

struct store;

/*
 * Opens (creating when absent) the store at PATH with BUSY_TIMEOUT_MS as
 * the lock wait.  Creates the schema, or migrates an older one forward;
 * refuses a store written by a newer ems.  Returns NULL after logging why.
 */
struct store *store_open(const char *path, int busy_timeout_ms);
void store_close(struct store *st);

enum store_error store_last_error(const struct store *st);
/* Schema version found in the file (after migration: STORE_SCHEMA_VERSION). */
int store_schema_version(struct store *st);

/* Caller-grouped transactions (BEGIN IMMEDIATE); calls inside join it. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* PRAGMA integrity_check == "ok": 0, else -1 (logged). */
int store_integrity_check(struct store *st);

/* ---- domains ---- */

struct store_domain {
	int64_t id;
	char *name;
	char *description;
};
void store_domain_clear(struct store_domain *d);

int store_domain_add(struct store *st, const char *name, const char *description,
                     int64_t *id_out);
int store_domain_find(struct store *st, const char *name, struct store_domain *out);
int store_domain_delete(struct store *st, const char *name);
/* Calls CB for each domain by name; CB returning non-zero stops early. */
int store_domain_list(struct store *st,
                      int (*cb)(const struct store_domain *d, void *arg), void *arg);

/* ---- persons ---- */

struct store_person {
	int64_t id;
	int64_t domain_id;
	char *username;        /* local part, as created */
	char *domain;          /* domain name */
	int64_t quota_bytes;   /* 0 = no limit */
	int64_t quota_messages;
	unsigned services;     /* STORE_SVC_* */
	bool admin;
	char *autoreply;       /* "" = none (schema 2) */
	char *forward_to;      /* "" = none (schema 2) */
};
void store_person_clear(struct store_person *p);

/*
 * Adds USERNAME in DOMAIN with PASSWORD (hashed here) and creates its
 * INBOX and the special-use folders Drafts, Sent, Trash and Junk.
 */
int store_person_add(struct store *st, const char *domain, const char *username,
                     const char *password, int64_t quota_bytes, int64_t *id_out);
/* Finds a person by local part and domain, case-insensitively. */
int store_person_find(struct store *st, const char *username, const char *domain,
                      struct store_person *out);
int store_person_get(struct store *st, int64_t id, struct store_person *out);
/*
 * Checks PASSWORD: 0 when right (rewriting an outdated hash on the way),
 * -1 when wrong (STORE_E_INVALID, not logged: the caller logs the failed
 * login) or on failure.
 */
int store_person_check_password(struct store *st, int64_t person_id,
                                const char *password);
int store_person_set_password(struct store *st, int64_t person_id,
                              const char *password);
int store_person_set_quota(struct store *st, int64_t person_id,
                           int64_t quota_bytes, int64_t quota_messages);
int store_person_set_services(struct store *st, int64_t person_id,
                              unsigned services, bool admin);
int store_person_set_autoreply(struct store *st, int64_t person_id,
                               const char *text, const char *forward_to);
int store_person_delete(struct store *st, int64_t person_id);
int store_person_list(struct store *st, const char *domain,
                      int (*cb)(const struct store_person *p, void *arg), void *arg);
/* Bytes and messages the person's mailboxes hold (for quotas). */
int store_person_usage(struct store *st, int64_t person_id, int64_t *bytes,
                       int64_t *messages);

/* ---- aliases and distribution lists ---- */

/* An alias NAME@DOMAIN points at TARGET: a local address, a list, or an
 * external address (resolution is postman's job). */
int store_alias_add(struct store *st, const char *domain, const char *name,
                    const char *target);
/* Finds the target of NAME@DOMAIN into TARGET (a malloc'ed copy). */
int store_alias_find(struct store *st, const char *name, const char *domain,
                     char **target);
int store_alias_delete(struct store *st, const char *domain, const char *name);

int store_dlist_add(struct store *st, const char *domain, const char *name,
                    const char *description, int64_t *id_out);
int store_dlist_find(struct store *st, const char *name, const char *domain,
                     int64_t *id_out);
int store_dlist_add_member(struct store *st, int64_t dlist_id, const char *address);
int store_dlist_remove_member(struct store *st, int64_t dlist_id, const char *address);
/* Calls CB with each member address of the list, in address order. */
int store_dlist_members(struct store *st, int64_t dlist_id,
                        int (*cb)(const char *address, void *arg), void *arg);
int store_dlist_delete(struct store *st, int64_t dlist_id);

/* ---- mailboxes ---- */

struct store_mailbox {
	int64_t id;
	int64_t person_id;
	char *name;            /* "INBOX", "Sent", "Work/2026" */
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highest_modseq;
	bool subscribed;
	char *special_use;     /* "" or "\\Sent" ... */
};
void store_mailbox_clear(struct store_mailbox *m);

int store_mailbox_create(struct store *st, int64_t person_id, const char *name,
                         const char *special_use, int64_t *id_out);
int store_mailbox_find(struct store *st, int64_t person_id, const char *name,
                       struct store_mailbox *out);
int store_mailbox_get(struct store *st, int64_t mailbox_id, struct store_mailbox *out);
int store_mailbox_list(struct store *st, int64_t person_id,
                       int (*cb)(const struct store_mailbox *m, void *arg), void *arg);
/* Renames one mailbox (not its children: callers rename each). */
int store_mailbox_rename(struct store *st, int64_t mailbox_id, const char *new_name);
/* Deletes the mailbox and expunges every entry (references dropped). */
int store_mailbox_delete(struct store *st, int64_t mailbox_id);
int store_mailbox_subscribe(struct store *st, int64_t mailbox_id, bool on);

/* ---- messages (single-instance) and mailbox entries ---- */

/*
 * Stores message bytes once: the same bytes stored again give the same id.
 * STRUCTURE (the serialized MIME structure, may be NULL) is kept with it.
 * A message nothing references is removed by the collector.
 */
int store_message_put(struct store *st, const void *data, size_t len,
                      int64_t internal_date, const void *structure,
                      size_t structure_len, int64_t *id_out);
/* Size in bytes and reference count. */
int store_message_info(struct store *st, int64_t message_id, int64_t *size,
                       int64_t *refcount);
/* Reads LEN bytes at OFFSET into BUF (streaming: never the whole message);
 * returns bytes read (0 past the end) or -1. */
ssize_t store_message_read(struct store *st, int64_t message_id, size_t offset,
                           void *buf, size_t len);
/* The stored MIME structure as a malloc'ed copy (*LEN 0 when none). */
int store_message_structure(struct store *st, int64_t message_id, void **data,
                            size_t *len);

struct store_entry {
	int64_t mailbox_id;
	uint32_t uid;
	int64_t message_id;
	unsigned flags;        /* STORE_FLAG_* */
	char *keywords;        /* space-separated */
	uint64_t modseq;
	int64_t internal_date;
	int64_t size;
};
void store_entry_clear(struct store_entry *e);

/* Appends MESSAGE_ID to MAILBOX_ID: assigns the next uid, bumps the
 * mailbox's modseq and the message's reference count, in one transaction. */
int store_entry_append(struct store *st, int64_t mailbox_id, int64_t message_id,
                       unsigned flags, const char *keywords,
                       int64_t internal_date, uint32_t *uid_out);
/* Calls CB for each live entry of the mailbox in uid order with uid >=
 * MIN_UID (0 for all). */
int store_entry_list(struct store *st, int64_t mailbox_id, uint32_t min_uid,
                     int (*cb)(const struct store_entry *e, void *arg), void *arg);
int store_entry_get(struct store *st, int64_t mailbox_id, uint32_t uid,
                    struct store_entry *out);
/* Replaces flags and keywords (KEYWORDS NULL: unchanged); bumps modseq;
 * *MODSEQ_OUT (may be NULL) gets the new value. */
int store_entry_set_flags(struct store *st, int64_t mailbox_id, uint32_t uid,
                          unsigned flags, const char *keywords,
                          uint64_t *modseq_out);
/* Removes the entry from the mailbox and drops its message reference. */
int store_entry_expunge(struct store *st, int64_t mailbox_id, uint32_t uid);
/* Copies an entry to another mailbox with a new uid (reference + 1). */
int store_entry_copy(struct store *st, int64_t mailbox_id, uint32_t uid,
                     int64_t dest_mailbox_id, uint32_t *new_uid);

/* ---- submission queue (smtpgw → postman) ---- */

struct store_queue_item {
	int64_t id;
	char *sender;          /* "" = null sender */
	char *recipients;      /* newline-separated */
	int64_t message_id;
	int attempts;
	int64_t created;
};
void store_queue_item_clear(struct store_queue_item *q);

/*
 * Stores the message and its envelope in ONE durable transaction: when
 * this returns 0 the mail is on disk and may be acknowledged.
 */
int store_queue_submit(struct store *st, const char *sender,
                       const char *recipients, const void *data, size_t len,
                       int64_t internal_date, const void *structure,
                       size_t structure_len, int64_t *id_out);
/* The oldest item due at NOW, or -1 with STORE_E_NOTFOUND when none. */
int store_queue_next(struct store *st, int64_t now, struct store_queue_item *out);
/* Delivery finished: removes the item and its message reference. */
int store_queue_done(struct store *st, int64_t id);
/* Try again at NEXT_ATTEMPT; records ERROR. */
int store_queue_retry(struct store *st, int64_t id, int64_t next_attempt,
                      const char *error);
int store_queue_depth(struct store *st, int64_t *count);

/* ---- outbound queue (postman → smtpgw's outbound mode) ---- */

struct store_outbound_item {
	int64_t id;
	char *sender;
	char *recipient;
	int64_t message_id;
	int attempts;
	int64_t created;
};
void store_outbound_item_clear(struct store_outbound_item *o);

int store_outbound_add(struct store *st, const char *sender, const char *recipient,
                       int64_t message_id, int64_t *id_out);
int store_outbound_next(struct store *st, int64_t now, struct store_outbound_item *out);
int store_outbound_done(struct store *st, int64_t id);
int store_outbound_retry(struct store *st, int64_t id, int64_t next_attempt,
                         const char *error);

#endif
