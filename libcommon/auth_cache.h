/*
 * auth_cache.h - passwords recently verified, remembered in memory so
 * that a client logging in again does not pay a full password hash
 * (yescrypt: tens of milliseconds of CPU) each time.
 *
 * An entry is a keyed hash (HMAC-SHA-256 under a key drawn at random
 * when the cache is made, never written anywhere) of the person id, the
 * person's stored password hash and the password: never the password
 * itself, and nothing an attacker who reads the process's memory could
 * test guesses against without the key.  Because the stored hash is
 * part of the key, a password changed with oomgr (a new hash, a new
 * salt) misses at once: no entry can vouch for an old password, and
 * there is nothing to flush.  Locks, lock-outs and allowed services are
 * not cached at all: auth.c reads them from the store on every login,
 * before and after the password check.  Only successes are remembered:
 * a wrong password always costs the full hash and counts as a failure.
 *
 * Bounded in entries (AUTH_CACHE_WAYS entries per slot group; a new
 * entry displaces an expired or the oldest one of its group) and in
 * time (an entry is trusted for TTL seconds after the full check that
 * made it; a hit does not extend it).  One mutex: the check threads of
 * auth_async.h share their process's cache.
 */
#ifndef EMS_AUTH_CACHE_H
#define EMS_AUTH_CACHE_H

#include <stdbool.h>
#include <stdint.h>

struct auth_cache;

/* Entries looked at per slot group. */
#define AUTH_CACHE_WAYS 4

/*
 * A cache of about SIZE entries (rounded up to a whole number of
 * groups) trusted for TTL_S seconds.  NULL with SIZE 0 or TTL_S 0 (the
 * cache is off: every function below accepts NULL and then remembers
 * nothing), or when out of memory or without a random key (logged).
 */
struct auth_cache *auth_cache_new(unsigned size, int64_t ttl_s);
void auth_cache_free(struct auth_cache *c);

/* True when PASSWORD was verified against STORED_HASH of PERSON_ID by a
 * full check less than the TTL before NOW. */
bool auth_cache_hit(struct auth_cache *c, int64_t person_id, const char *stored_hash,
                    const char *password, int64_t now);

/* Remembers that PASSWORD verified against STORED_HASH of PERSON_ID at
 * NOW (call only after a full check said so). */
void auth_cache_add(struct auth_cache *c, int64_t person_id, const char *stored_hash,
                    const char *password, int64_t now);

#endif
