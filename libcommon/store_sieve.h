/*
 * store_sieve.h - each person's Sieve scripts (sieve.h): named texts, at
 * most one of them active, the one postman runs at delivery.  oomgr and
 * sievesrv (ManageSieve) manage them.  Errors as store.h says.
 */
#ifndef EMS_STORE_SIEVE_H
#define EMS_STORE_SIEVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* The longest script name (RFC 5804 asks servers for at least 128). */
#define STORE_SIEVE_NAME_MAX 128

struct store_sieve_script {
	char *name;
	char *content;
	bool active;
	int64_t updated;        /* unix time of the last install */
};

/* Frees the strings of S and zeroes it. */
void store_sieve_clear(struct store_sieve_script *s);

/*
 * Stores CONTENT (LEN bytes, no NUL) as the person's script NAME,
 * replacing one of that name (which stays active if it was).  INVALID for
 * an empty name, one longer than STORE_SIEVE_NAME_MAX or with control
 * characters, or content with a NUL.  The caller compiles it first.
 */
int store_sieve_put(struct store *st, int64_t person_id, const char *name,
                    const char *content, size_t len, int64_t now);

/* Fills OUT with script NAME; NOTFOUND if none. */
int store_sieve_get(struct store *st, int64_t person_id, const char *name,
                    struct store_sieve_script *out);

/* Fills OUT with the person's active script; NOTFOUND if none is. */
int store_sieve_get_active(struct store *st, int64_t person_id,
                           struct store_sieve_script *out);

/* Makes NAME the person's one active script (NULL: none is active).
 * NOTFOUND when there is no script NAME. */
int store_sieve_activate(struct store *st, int64_t person_id, const char *name);

/* Deletes script NAME; NOTFOUND if none, INVALID while it is active
 * (RFC 5804 2.10: deactivate it first). */
int store_sieve_delete(struct store *st, int64_t person_id, const char *name);

/* Renames script FROM to TO, keeping its content and whether it is
 * active.  NOTFOUND when there is no FROM, EXISTS when TO is taken,
 * INVALID for a bad TO (as store_sieve_put()). */
int store_sieve_rename(struct store *st, int64_t person_id, const char *from,
                       const char *to);

/* Calls CB for each of the person's scripts in name order (content
 * NULL); a non-zero return stops. */
int store_sieve_list(struct store *st, int64_t person_id,
                     int (*cb)(const struct store_sieve_script *s, void *arg), void *arg);

#endif
