/*
 * store_auth.c - failed-login counters and retrievable secrets in the
 * store; see store_auth.h.
 */
#include "store_internal.h"
#include "store_auth.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

/* Reads the row of (KIND, KEY) into OUT, raw: zeros when absent. */
static int read_row(struct store *st, const char *kind, const char *key,
                    struct store_auth_state *out, int64_t *last)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT failures, last_failure, locked_until FROM auth_failures"
	    " WHERE kind = ?1 AND key = ?2");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, kind);
	store_bind_text(s, 2, key);
	memset(out, 0, sizeof *out);
	*last = 0;
	int rc = store_step(st, s, "auth_state");
	if (rc == STORE_ROW) {
		out->failures = store_col_int(s, 0);
		*last = store_col_int64(s, 1);
		out->locked_until = store_col_int64(s, 2);
		store_reset(s);
		return 0;
	}
	store_reset(s);
	return rc == STORE_DONE ? 0 : -1;
}

int store_auth_state(struct store *st, const char *kind, const char *key,
                     int64_t now, int64_t window_s, struct store_auth_state *out)
{
	int64_t last;
	if (read_row(st, kind, key, out, &last) < 0)
		return -1;
	if (now - last > window_s)
		out->failures = 0;
	return 0;
}

static int write_row(struct store *st, const char *kind, const char *key,
                     const struct store_auth_state *v, int64_t now)
{
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO auth_failures (kind, key, failures, last_failure, locked_until)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (kind, key) DO UPDATE SET"
	    " key = excluded.key, failures = excluded.failures,"
	    " last_failure = excluded.last_failure, locked_until = excluded.locked_until");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, kind);
	store_bind_text(s, 2, key);
	store_bind_int64(s, 3, v->failures);
	store_bind_int64(s, 4, now);
	store_bind_int64(s, 5, v->locked_until);
	return store_exec_stmt(st, s, "auth_fail");
}

int store_auth_fail(struct store *st, const char *kind, const char *key,
                    int64_t now, int64_t window_s, int lock_after,
                    int64_t lock_s, struct store_auth_state *out)
{
	if (store_tx_begin(st) < 0)
		return -1;
	if (store_auth_state(st, kind, key, now, window_s, out) < 0) {
		store_tx_rollback(st);
		return -1;
	}
	out->failures++;
	if (lock_after > 0 && out->failures >= lock_after) {
		out->locked_until = now + lock_s;
		out->failures = 0;
	}
	if (write_row(st, kind, key, out, now) < 0) {
		store_tx_rollback(st);
		return -1;
	}
	return store_tx_commit(st);
}

int store_auth_reset(struct store *st, const char *kind, const char *key)
{
	struct store_stmt *s = store_stmt(st,
	    "DELETE FROM auth_failures WHERE kind = ?1 AND key = ?2");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, kind);
	store_bind_text(s, 2, key);
	return store_exec_stmt(st, s, "auth_reset");
}

int store_auth_expire(struct store *st, int64_t now, int64_t window_s)
{
	struct store_stmt *s = store_stmt(st,
	    "DELETE FROM auth_failures WHERE last_failure < ?1 AND locked_until <= ?2");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, now - window_s);
	store_bind_int64(s, 2, now);
	if (store_exec_stmt(st, s, "auth_expire") < 0)
		return -1;
	return store_changes(st);
}

int store_auth_secret_set(struct store *st, int64_t person_id, const char *secret)
{
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO person_secrets (person_id, secret, hash)"
	    " SELECT id, ?2, password_hash FROM persons WHERE id = ?1"
	    " ON CONFLICT (person_id) DO UPDATE SET secret = excluded.secret,"
	    " hash = excluded.hash");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_text(s, 2, secret);
	return store_exec_changed(st, s, "auth_secret_set", "no such person");
}

int store_auth_secret_get(struct store *st, int64_t person_id, char **secret)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT s.secret FROM person_secrets s JOIN persons p ON p.id = s.person_id"
	    " WHERE s.person_id = ?1 AND s.hash = p.password_hash");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	if (store_step_row(st, s, "auth_secret_get", "no valid secret") < 0)
		return -1;
	*secret = store_col_text(s, 0);
	store_reset(s);
	return 0;
}

int store_auth_secret_purge(struct store *st)
{
	struct store_stmt *s = store_stmt(st, "DELETE FROM person_secrets");
	if (s == NULL)
		return -1;
	if (store_exec_stmt(st, s, "auth_secret_purge") < 0)
		return -1;
	return store_changes(st);
}
