/*
 * store_auth.h - what authentication keeps in the store: failed-login
 * counters per client address and per person, shared by every worker
 * process (so a client gains nothing by reconnecting to another one),
 * and the retrievable secrets CRAM-MD5 and APOP need.  The error, memory
 * and transaction rules of store.h apply; libcommon/auth.c is the only
 * intended caller.
 *
 * Counters: one row per (kind, key), kind "addr" (key: the client's IP
 * address) or "person" (key: the person id in decimal).  A failure older
 * than the window no longer counts: the next failure starts from 1.
 *
 * Secrets: CRAM-MD5 and APOP compute a digest from the password itself,
 * which a one-way hash cannot give back.  When a site enables them
 * (auth.retrievable_secrets), the password a person logs in with in
 * clear (USER/PASS, LOGIN, AUTH PLAIN/LOGIN) is kept in person_secrets
 * with the password hash it was checked against; a secret whose hash is
 * no longer the person's (the password was changed) is void.  The
 * secret is kept as given: anyone who can read store.db can read it,
 * which is what enabling these mechanisms accepts.
 */
#ifndef EMS_STORE_AUTH_H
#define EMS_STORE_AUTH_H

#include <stdint.h>

struct store;

#define STORE_AUTH_ADDR   "addr"
#define STORE_AUTH_PERSON "person"

/* What the store knows of one (kind, key). */
struct store_auth_state {
	int failures;          /* within the window, 0 when none */
	int64_t locked_until;  /* unix time; 0 or past when not locked */
};

/*
 * Fills OUT with the counter of (KIND, KEY) as of NOW: failures older
 * than WINDOW_S seconds count as none.  A key never seen gives zeros.
 * Returns 0 or -1 (logged).
 */
int store_auth_state(struct store *st, const char *kind, const char *key,
                     int64_t now, int64_t window_s, struct store_auth_state *out);

/*
 * Records one failure of (KIND, KEY) at NOW in one transaction: the
 * count restarts at 1 when the last failure is older than WINDOW_S;
 * when it reaches LOCK_AFTER (> 0) the key is locked until NOW + LOCK_S
 * and the count starts again.  OUT gets the state after the update.
 * Returns 0 or -1 (logged).
 */
int store_auth_fail(struct store *st, const char *kind, const char *key,
                    int64_t now, int64_t window_s, int lock_after,
                    int64_t lock_s, struct store_auth_state *out);

/* Forgets the failures and any lock of (KIND, KEY) (a successful
 * login).  Returns 0 or -1 (logged). */
int store_auth_reset(struct store *st, const char *kind, const char *key);

/* Deletes the counters that no longer matter at NOW: no failure within
 * WINDOW_S and no lock in force.  Returns the number deleted, or -1
 * (logged). */
int store_auth_expire(struct store *st, int64_t now, int64_t window_s);

/* Keeps SECRET for PERSON_ID, bound to the person's current password
 * hash.  Returns 0, or -1 (logged; STORE_E_NOTFOUND for no person). */
int store_auth_secret_set(struct store *st, int64_t person_id, const char *secret);

/* *SECRET gets a malloc'ed copy (the caller wipes and frees it) of the
 * person's valid secret.  STORE_E_NOTFOUND (logged at debug) when there
 * is none or it belongs to an older password. */
int store_auth_secret_get(struct store *st, int64_t person_id, char **secret);

/* Deletes every kept secret (the site turned them off).  Returns the
 * number deleted, or -1 (logged). */
int store_auth_secret_purge(struct store *st);

#endif
