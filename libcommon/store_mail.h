/*
 * store_mail.h - where mail sits: mailboxes, single-instance messages and
 * the mailbox entries that point at them.  Included by store.h; the
 * error, memory and transaction rules there apply to every function here.
 *
 * A message is stored once however many mailboxes hold it: its reference
 * count is the number of live entries and unfinished queue items that
 * point at it, kept by the database itself (triggers), so it stays right
 * when a mailbox, person or domain is deleted.  The collector removes
 * messages whose count has dropped to 0 (store_collect_messages()).
 *
 * An entry may carry a prefix: trace header fields of its own
 * (Return-Path, Delivered-To) that readers see on top of the shared
 * message, so that one message delivered to several people is stored
 * once while each copy names its own recipient.  Everything that serves
 * or measures an entry's message (its size, quotas, reading it) sees
 * prefix and message as one: struct store_entry_msg reads it so.
 *
 * An expunged entry is not deleted at once: it stays, marked, with the
 * modseq of its expunge, so an IMAP session in another process can learn
 * which uids vanished (store_entry_changes()); the collector purges such
 * marks later (store_collect_expunged()).
 */
#ifndef EMS_STORE_MAIL_H
#define EMS_STORE_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct store;

/* ---- mailboxes ---- */

struct store_mailbox {
	int64_t id;
	int64_t person_id;
	char *name;            /* "INBOX", "Sent", "Work/2026" */
	uint32_t uidvalidity;
	uint32_t uidnext;      /* the uid the next appended entry gets */
	uint64_t highest_modseq;
	bool subscribed;       /* the person is subscribed to its name */
	char *special_use;     /* "" or "\\Sent", "\\Trash" ... (RFC 6154) */
};

/* Frees the strings of M and zeroes it. */
void store_mailbox_clear(struct store_mailbox *m);

/* Creates mailbox NAME for the person, not subscribed (unless its name
 * was, see store_subscription_add()), with SPECIAL_USE (NULL
 * or "" for none) and a UIDVALIDITY no mailbox of this store had before.
 * *ID_OUT (may be NULL) gets its id.  STORE_E_EXISTS when the person has
 * it already ("INBOX" in any case counts as INBOX). */
int store_mailbox_create(struct store *st, int64_t person_id, const char *name,
                         const char *special_use, int64_t *id_out);

/* Fills OUT with the person's mailbox NAME: exact, but INBOX in any
 * case.  STORE_E_NOTFOUND if none. */
int store_mailbox_find(struct store *st, int64_t person_id, const char *name,
                       struct store_mailbox *out);

/* Fills OUT with mailbox ID; STORE_E_NOTFOUND if none. */
int store_mailbox_get(struct store *st, int64_t mailbox_id, struct store_mailbox *out);

/* Calls CB for each mailbox of the person in name order. */
int store_mailbox_list(struct store *st, int64_t person_id,
                       int (*cb)(const struct store_mailbox *m, void *arg), void *arg);

/* Renames one mailbox (not its children: callers rename each); uids,
 * UIDVALIDITY and a subscription to its name stay with it.  INBOX cannot be renamed or become a target
 * (STORE_E_INVALID); STORE_E_EXISTS when NEW_NAME is taken. */
int store_mailbox_rename(struct store *st, int64_t mailbox_id, const char *new_name);

/* Deletes the mailbox with its entries (their messages lose a reference);
 * a subscription to its name stays (RFC 3501 6.3.9).  INBOX cannot be deleted (STORE_E_INVALID). */
int store_mailbox_delete(struct store *st, int64_t mailbox_id);

/* NAME as the store keeps it: "INBOX" for INBOX in any case, else NAME. */
const char *store_mailbox_canon(const char *name);

/* ---- subscriptions ---- */

/* Subscribes the person to NAME, which need not be a mailbox (a
 * subscription outlives DELETE; RENAME moves it).  Subscribing twice is
 * no error. */
int store_subscription_add(struct store *st, int64_t person_id, const char *name);

/* Ends the subscription to NAME; STORE_E_NOTFOUND when there was none. */
int store_subscription_remove(struct store *st, int64_t person_id, const char *name);

/* Calls CB with each name the person is subscribed to, in name order,
 * until it returns non-zero.  NAME is valid only during the call, and CB
 * must not call the store. */
int store_subscription_list(struct store *st, int64_t person_id,
                            int (*cb)(const char *name, void *arg), void *arg);

/* ---- messages ---- */

/* The length of the content hash (SHA-256) that makes messages single-instance. */
#define STORE_HASH_LEN 32

/*
 * Stores DATA (LEN bytes) once: the same bytes stored again give the same
 * id.  STRUCTURE (the serialized MIME structure, NULL when not parsed
 * yet) is kept with a new message.  *ID_OUT gets the id.  A new message
 * has no reference until an entry or queue item points at it; do both in
 * one store_begin() group, or within the collector's grace period.
 */
int store_message_put(struct store *st, const void *data, size_t len,
                      int64_t internal_date, const void *structure,
                      size_t structure_len, int64_t *id_out);

struct spool;

/*
 * The same for a message spooled as it arrived (spool.h): the row is
 * created with room for spool_size(SP) bytes and the spool copied into
 * it a chunk at a time, in the same transaction.  Takes SP's hash, so SP
 * takes no more writes; the caller still frees it.  A spool whose writes
 * failed fails here as STORE_E_TRANSIENT.
 */
int store_message_adopt(struct store *st, struct spool *sp, int64_t internal_date,
                        const void *structure, size_t structure_len, int64_t *id_out);

/* store_message_put() of DATA read back whole from spool SP: SP's hash,
 * taken as it was written, spares hashing DATA again.  Fails as
 * store_message_adopt() does for a spool whose writes failed. */
int store_message_put_spooled(struct store *st, struct spool *sp, const void *data,
                              size_t len, int64_t internal_date, const void *structure,
                              size_t structure_len, int64_t *id_out);

/* *SIZE gets the size in bytes, *REFCOUNT the reference count. */
int store_message_info(struct store *st, int64_t message_id, int64_t *size,
                       int64_t *refcount);

/* Copies the content hash of the message into HASH. */
int store_message_hash(struct store *st, int64_t message_id,
                       unsigned char hash[STORE_HASH_LEN]);

/* *ID_OUT gets the message whose hash starts with the LEN bytes of
 * PREFIX (the first in hash order when several do); STORE_E_NOTFOUND
 * when none does.  For ids derived from a hash prefix (IMAP EMAILID). */
int store_message_find_hash(struct store *st, const unsigned char *prefix, size_t len,
                            int64_t *id_out);

/* Copies up to LEN bytes from OFFSET into BUF without loading the whole
 * message (for streaming big ones).  Returns the number of bytes copied,
 * 0 at or past the end, or -1. */
ssize_t store_message_read(struct store *st, int64_t message_id, size_t offset,
                           void *buf, size_t len);

/* *DATA gets a malloc'ed copy of the whole message (caller frees), *LEN
 * its size.  For small messages; stream big ones with store_message_read(). */
int store_message_get(struct store *st, int64_t message_id, void **data,
                      size_t *len);

/* *DATA gets a malloc'ed copy of the MIME structure (caller frees), *LEN
 * its length; *DATA NULL and *LEN 0 when none is stored. */
int store_message_structure(struct store *st, int64_t message_id, void **data,
                            size_t *len);

/* Stores the MIME structure of a message (parsed later than it arrived). */
int store_message_set_structure(struct store *st, int64_t message_id,
                                const void *structure, size_t structure_len);

/* ---- mailbox entries ---- */

/* System flags of an entry (bitmask). */
#define STORE_FLAG_SEEN     1u
#define STORE_FLAG_ANSWERED 2u
#define STORE_FLAG_FLAGGED  4u
#define STORE_FLAG_DELETED  8u
#define STORE_FLAG_DRAFT    16u
#define STORE_FLAG_RECENT   32u

/* Keywords of one entry, space-separated, at most this long. */
#define STORE_KEYWORDS_MAX 1024

struct store_entry {
	int64_t mailbox_id;
	uint32_t uid;
	int64_t message_id;
	unsigned flags;        /* STORE_FLAG_* */
	char *keywords;        /* space-separated, "" for none */
	uint64_t modseq;
	int64_t internal_date;
	int64_t size;          /* of the message as the entry shows it, prefix included */
	size_t prefix_len;     /* of the entry's own prefix (0: none) */
	bool expunged;         /* only from store_entry_changes() */
};

/* The longest prefix an entry may carry. */
#define STORE_PREFIX_MAX 1024

/* Frees the strings of E and zeroes it. */
void store_entry_clear(struct store_entry *e);

/*
 * Appends message MESSAGE_ID to the mailbox with FLAGS and KEYWORDS (NULL
 * for none): it gets the mailbox's uidnext as uid and a new modseq, the
 * message one more reference, all in one transaction.  *UID_OUT (may be
 * NULL) gets the uid.  STORE_E_NOTFOUND for an unknown mailbox or message.
 */
int store_entry_append(struct store *st, int64_t mailbox_id, int64_t message_id,
                       unsigned flags, const char *keywords,
                       int64_t internal_date, uint32_t *uid_out);

/*
 * Like store_entry_append() with \Recent and no keywords, for delivery:
 * the entry carries PREFIX (PREFIX_LEN bytes, at most STORE_PREFIX_MAX,
 * else STORE_E_INVALID; NULL or 0 for none) on top of the message.
 */
int store_entry_deliver(struct store *st, int64_t mailbox_id, int64_t message_id,
                        const void *prefix, size_t prefix_len, int64_t internal_date,
                        uint32_t *uid_out);

/* Calls CB for each live entry of the mailbox with uid >= MIN_UID (0 for
 * all), in uid order. */
int store_entry_list(struct store *st, int64_t mailbox_id, uint32_t min_uid,
                     int (*cb)(const struct store_entry *e, void *arg), void *arg);

/* Calls CB for each entry, live or expunged (e->expunged), whose modseq
 * is above SINCE, in uid order: what changed since a client last looked
 * (CONDSTORE/QRESYNC, IDLE). */
int store_entry_changes(struct store *st, int64_t mailbox_id, uint64_t since,
                        int (*cb)(const struct store_entry *e, void *arg), void *arg);

/*
 * *FLOOR gets the highest modseq of an expunge mark of the mailbox that
 * the collector purged (0 when none): store_entry_changes() since a
 * modseq below it may miss uids that vanished (QRESYNC, RFC 7162 3.2).
 */
int store_mailbox_vanished_floor(struct store *st, int64_t mailbox_id, uint64_t *floor);

/* Fills OUT with the live entry UID; STORE_E_NOTFOUND if none. */
int store_entry_get(struct store *st, int64_t mailbox_id, uint32_t uid,
                    struct store_entry *out);

enum store_flag_mode {
	STORE_FLAGS_SET,       /* replace */
	STORE_FLAGS_ADD,       /* add these */
	STORE_FLAGS_REMOVE,    /* remove these */
};

/*
 * Changes the flags and keywords of entry UID as MODE says; KEYWORDS NULL
 * leaves keywords alone (also with STORE_FLAGS_SET).  Keywords compare
 * case-insensitively.  When anything changed the entry gets a new modseq;
 * *MODSEQ_OUT (may be NULL) gets the entry's modseq either way.
 * STORE_E_INVALID when the keywords would exceed STORE_KEYWORDS_MAX.
 */
int store_entry_set_flags(struct store *st, int64_t mailbox_id, uint32_t uid,
                          enum store_flag_mode mode, unsigned flags,
                          const char *keywords, uint64_t *modseq_out);

/* Expunges entry UID: marks it expunged with a new modseq and drops its
 * message reference.  STORE_E_NOTFOUND when no live entry has that uid. */
int store_entry_expunge(struct store *st, int64_t mailbox_id, uint32_t uid);

/* Copies entry UID to DEST_MAILBOX_ID with a new uid there (*NEW_UID, may
 * be NULL), its prefix and \Recent set; the message gets one more
 * reference. */
int store_entry_copy(struct store *st, int64_t mailbox_id, uint32_t uid,
                     int64_t dest_mailbox_id, uint32_t *new_uid);

/* *UID_OUT (may be NULL) gets the uid of a live entry of the mailbox that
 * holds message MESSAGE_ID (the lowest); STORE_E_NOTFOUND when none does.
 * Lets an import skip what is already there. */
int store_entry_find_message(struct store *st, int64_t mailbox_id,
                             int64_t message_id, uint32_t *uid_out);

/* ---- the message as one entry shows it (store_entry_msg.c) ---- */

/*
 * A reader of one entry's message: its prefix, then the shared message.
 * Set it up with store_entry_msg_init(), or fill the first four fields
 * (from what a session kept of an entry) and zero the rest; the prefix
 * is read from the store on first need and kept here, so a reader costs
 * no allocation.
 */
struct store_entry_msg {
	int64_t mailbox_id;
	uint32_t uid;
	int64_t message_id;
	size_t prefix_len;
	bool prefix_loaded;
	char prefix[STORE_PREFIX_MAX];
};

/* Sets M up to read the message of entry E. */
void store_entry_msg_init(struct store_entry_msg *m, const struct store_entry *e);

/* Copies up to LEN bytes from OFFSET of M's message (prefix included)
 * into BUF.  Returns the number copied, 0 at or past the end, or -1
 * (STORE_E_NOTFOUND when the entry or the message is gone). */
ssize_t store_entry_read(struct store *st, struct store_entry_msg *m, size_t offset,
                         void *buf, size_t len);

/* *DATA gets a malloc'ed copy of M's whole message, prefix included
 * (caller frees), *LEN its size. */
int store_entry_text(struct store *st, struct store_entry_msg *m, void **data,
                     size_t *len);

/* ---- what a reading session (IMAP) needs besides the above ---- */

/*
 * Takes \Recent (STORE_FLAG_RECENT) off every live entry of the mailbox
 * with uid >= MIN_UID that still has it and calls CB with each such uid
 * (in no particular order): the one session that does this first owns
 * \Recent for those messages (RFC 3501).  No modseq changes, since
 * \Recent is never shown to another session.  CB must not call the
 * store, and should return 0: the claim is made in full either way.
 */
int store_entry_claim_recent(struct store *st, int64_t mailbox_id, uint32_t min_uid,
                             int (*cb)(uint32_t uid, void *arg), void *arg);

/* Counts of a mailbox's live entries (IMAP STATUS). */
struct store_mailbox_counts {
	int64_t messages;
	int64_t recent;      /* with STORE_FLAG_RECENT */
	int64_t unseen;      /* without STORE_FLAG_SEEN */
	int64_t deleted;     /* with STORE_FLAG_DELETED */
	int64_t bytes;       /* sizes of their messages, prefixes included */
};

/* Fills OUT with the counts of mailbox MAILBOX_ID (all 0 for an unknown
 * or empty one). */
int store_mailbox_counts(struct store *st, int64_t mailbox_id,
                         struct store_mailbox_counts *out);

#endif
