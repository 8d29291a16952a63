/*
 * store_sieve.c - the sieve_scripts table: persons' Sieve scripts and
 * which one is active (store_sieve.h).  The partial unique index keeps
 * at most one active per person whatever the callers do.
 */
#include "store_internal.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

void store_sieve_clear(struct store_sieve_script *s)
{
	free(s->name);
	free(s->content);
	memset(s, 0, sizeof *s);
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > STORE_SIEVE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return false;
	return true;
}

int store_sieve_put(struct store *st, int64_t person_id, const char *name,
                    const char *content, size_t len, int64_t now)
{
	if (!name_ok(name))
		return store_fail_kind(st, STORE_E_INVALID, "sieve_put", "bad script name");
	if (memchr(content, '\0', len) != NULL)
		return store_fail_kind(st, STORE_E_INVALID, "sieve_put", "NUL in the script");
	/* text binds end at a NUL; CONTENT need not have one */
	char *text = strndup(content, len);
	if (text == NULL)
		return store_fail_kind(st, STORE_E_TRANSIENT, "sieve_put", "out of memory");
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO sieve_scripts (person_id, name, content, updated)"
	    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (person_id, name)"
	    " DO UPDATE SET content = excluded.content, updated = excluded.updated");
	int r = -1;
	if (s != NULL) {
		store_bind_int64(s, 1, person_id);
		store_bind_text(s, 2, name);
		store_bind_text(s, 3, text);
		store_bind_int64(s, 4, now);
		r = store_exec_stmt(st, s, "sieve_put");
	}
	free(text);
	return r;
}

static void from_row(struct store_stmt *s, struct store_sieve_script *out, bool content)
{
	out->name = store_col_text(s, 0);
	out->content = content ? store_col_text(s, 1) : NULL;
	out->active = store_col_int(s, 2) != 0;
	out->updated = store_col_int64(s, 3);
}

int store_sieve_get(struct store *st, int64_t person_id, const char *name,
                    struct store_sieve_script *out)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT name, content, active, updated FROM sieve_scripts"
	    " WHERE person_id = ?1 AND name = ?2");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_text(s, 2, name);
	if (store_step_row(st, s, "sieve_get", "no such script") < 0)
		return -1;
	from_row(s, out, true);
	store_reset(s);
	return 0;
}

int store_sieve_get_active(struct store *st, int64_t person_id,
                           struct store_sieve_script *out)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT name, content, active, updated FROM sieve_scripts"
	    " WHERE person_id = ?1 AND active <> 0");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	if (store_step_row(st, s, "sieve_active", "no active script") < 0)
		return -1;
	from_row(s, out, true);
	store_reset(s);
	return 0;
}

static int set_active(struct store *st, int64_t person_id, const char *name)
{
	struct store_stmt *s = store_stmt(st,
	    "UPDATE sieve_scripts SET active = 0 WHERE person_id = ?1 AND active <> 0");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	if (store_exec_stmt(st, s, "sieve_activate") < 0 || name == NULL)
		return name == NULL ? 0 : -1;
	s = store_stmt(st,
	    "UPDATE sieve_scripts SET active = 1 WHERE person_id = ?1 AND name = ?2");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_text(s, 2, name);
	return store_exec_changed(st, s, "sieve_activate", "no such script");
}

int store_sieve_activate(struct store *st, int64_t person_id, const char *name)
{
	if (store_begin(st) < 0)
		return -1;
	if (set_active(st, person_id, name) < 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
}

int store_sieve_delete(struct store *st, int64_t person_id, const char *name)
{
	struct store_sieve_script cur = { 0 };
	if (store_sieve_get(st, person_id, name, &cur) < 0)
		return -1;
	bool active = cur.active;
	store_sieve_clear(&cur);
	if (active)
		return store_fail_kind(st, STORE_E_INVALID, "sieve_delete",
		                       "the script is active");
	struct store_stmt *s = store_stmt(st,
	    "DELETE FROM sieve_scripts WHERE person_id = ?1 AND name = ?2");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_text(s, 2, name);
	return store_exec_changed(st, s, "sieve_delete", "no such script");
}

struct sieve_walk {
	int (*cb)(const struct store_sieve_script *s, void *arg);
	void *arg;
};

static int sieve_each(struct store_stmt *s, void *ctx)
{
	struct sieve_walk *w = ctx;
	struct store_sieve_script sc = { 0 };
	from_row(s, &sc, false);
	int stop = w->cb(&sc, w->arg);
	store_sieve_clear(&sc);
	return stop;
}

int store_sieve_list(struct store *st, int64_t person_id,
                     int (*cb)(const struct store_sieve_script *s, void *arg), void *arg)
{
	struct sieve_walk w = { cb, arg };
	struct store_stmt *s = store_stmt(st,
	    "SELECT name, NULL, active, updated FROM sieve_scripts"
	    " WHERE person_id = ?1 ORDER BY name");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	return store_each_row(st, s, "sieve_list", sieve_each, &w);
}

int store_sieve_rename(struct store *st, int64_t person_id, const char *from, const char *to)
{
	if (!name_ok(to))
		return store_fail_kind(st, STORE_E_INVALID, "sieve_rename", "bad script name");
	struct store_stmt *s = store_stmt(st,
	    "UPDATE sieve_scripts SET name = ?3 WHERE person_id = ?1 AND name = ?2");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_text(s, 2, from);
	store_bind_text(s, 3, to);
	return store_exec_changed(st, s, "sieve_rename", "no such script");
}
