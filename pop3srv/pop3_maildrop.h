/*
 * pop3_maildrop.h - a POP3 session's view of a person's INBOX: the
 * messages as they were at login, numbered from 1, with their sizes,
 * unique ids and deletion marks; the lock that keeps it to one session
 * at a time; and the UPDATE state that applies the deletions.
 *
 * Lock: one POP3 session per maildrop at a time, across every pop3srv
 * process, by an flock(2) on <run_dir>/pop3/<person id>.lock.  The
 * kernel drops the lock with the process, so a killed worker never
 * leaves a maildrop locked.
 *
 * Unique ids: UIDVALIDITY and UID of the entry, as 16 hex digits, so a
 * message keeps its UIDL across sessions (and IMAP sees the same uid).
 */
#ifndef POP3_MAILDROP_H
#define POP3_MAILDROP_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

struct pop3_msg {
	uint32_t uid;
	uint16_t prefix_len;  /* the entry's own trace fields (store_mail.h) */
	bool deleted;
	bool retrieved;
	int64_t message_id;
	int64_t size;         /* octets as sent, before dot-stuffing (prefix included) */
};

_Static_assert(STORE_PREFIX_MAX <= UINT16_MAX, "a prefix length fits a pop3_msg");

struct pop3_maildrop {
	int lock_fd;
	int64_t mailbox_id;
	uint32_t uidvalidity;
	struct pop3_msg *msgs;
	size_t n;
	size_t cap;
	bool short_list;         /* loading ran out of memory */
	size_t n_deleted;
	int64_t octets;          /* of the messages not marked deleted */
};

enum pop3_open_result {
	POP3_OPEN_OK,
	POP3_OPEN_IN_USE,        /* another session holds the lock */
	POP3_OPEN_FAILED,        /* store or file system trouble (logged) */
};

/* Locks PERSON_ID's maildrop: *OUT gets it, empty until
 * pop3_maildrop_load() (free with pop3_maildrop_free()).  Only a local
 * file's lock: runs on the loop. */
enum pop3_open_result pop3_maildrop_lock(const char *run_dir, int64_t person_id,
                                         struct pop3_maildrop **out);

/* Loads PERSON_ID's INBOX from ST into D, locked and empty: a read, run
 * as store_read.h says.  Returns 0, or -1 after a store failure
 * (store_last_error) or running out of memory (logged). */
int pop3_maildrop_load(struct store *st, int64_t person_id, struct pop3_maildrop *d);

/* Releases the lock and frees D; nothing is deleted.  NULL is ignored. */
void pop3_maildrop_free(struct pop3_maildrop *d);

/* Message NUM (1-based) when it exists and is not deleted, else NULL. */
struct pop3_msg *pop3_maildrop_get(struct pop3_maildrop *d, unsigned long num);

/* Marks message M deleted. */
void pop3_maildrop_delete(struct pop3_maildrop *d, struct pop3_msg *m);

/* Unmarks every deleted message (RSET). */
void pop3_maildrop_reset(struct pop3_maildrop *d);

/* M's unique id into OUT (17 bytes). */
void pop3_maildrop_uidl(const struct pop3_maildrop *d, const struct pop3_msg *m,
                        char out[17]);

/* One change of the UPDATE state: expunge the entry, or mark it \Seen. */
struct pop3_change {
	uint32_t uid;
	bool expunge;
};

/* The UPDATE state's changes, copied out of the maildrop so that they
 * can run on a pool thread while the session (which may go away) stays
 * on the loop. */
struct pop3_update {
	int64_t mailbox_id;
	size_t removed;          /* set by pop3_update_apply() */
	size_t n;
	struct pop3_change changes[];
};

/* The changes D's session asks for at QUIT: the messages marked deleted
 * and the ones retrieved.  *OUT is NULL when there are none (free it with
 * free()).  Returns 0, or -1 when out of memory (logged). */
int pop3_maildrop_update(const struct pop3_maildrop *d, struct pop3_update **out);

/*
 * Applies U with ST inside the transaction the caller holds (the store
 * pool's savepoint: all of U or nothing).  U->removed gets how many were
 * expunged (a message another session expunged meanwhile counts as
 * removed).  Returns 0, or -1 after a store failure (store_last_error).
 */
int pop3_update_apply(struct store *st, struct pop3_update *u);

#endif
