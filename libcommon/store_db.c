/*
 * store_db.c - the statement interface of store_db.h over the handle's
 * driver (store_driver.h): the per-handle statement cache and thin
 * wrappers that send each call to the driver that made the statement.
 */
#include "store_internal.h"
#include "log.h"

static struct store_stmt *cached(struct store *st, const char *sql, int *free_slot)
{
	*free_slot = -1;
	for (int i = 0; i < STORE_STMT_CACHE; i++) {
		if (st->cache[i].sql == sql)
			return &st->cache[i].s;
		if (st->cache[i].sql == NULL && *free_slot < 0)
			*free_slot = i;
	}
	return NULL;
}

struct store_stmt *store_stmt(struct store *st, const char *sql)
{
	int slot;
	struct store_stmt *s = cached(st, sql, &slot);
	if (s != NULL) {
		/* A list still walking this statement: resetting it would
		 * silently end that walk. */
		if (st->drv->busy(s->h)) {
			store_fail_kind(st, STORE_E_FAILED, "stmt",
			                "statement in use by a list callback further up");
			return NULL;
		}
		st->drv->reset(s->h);
		return s;
	}
	void *h = st->drv->prepare(st, sql);
	if (h == NULL) {
		store_fail(st, "prepare");
		return NULL;
	}
	if (slot < 0) {
		/* More statements than the cache holds: a limit to raise. */
		log_warn("store_cache_full", "size=%d", STORE_STMT_CACHE);
		slot = 0;
		st->drv->finalize(st->cache[0].s.h);
	}
	st->cache[slot].sql = sql;
	st->cache[slot].s.drv = st->drv;
	st->cache[slot].s.h = h;
	return &st->cache[slot].s;
}

struct store_stmt *store_stmt_dialect(struct store *st, const char *sqlite_sql,
                                      const char *pg_sql)
{
	return store_stmt(st, st->drv == &store_driver_sqlite ? sqlite_sql : pg_sql);
}

void store_stmt_cache_free(struct store *st)
{
	for (int i = 0; i < STORE_STMT_CACHE; i++) {
		if (st->cache[i].s.h != NULL)
			st->drv->finalize(st->cache[i].s.h);
		st->cache[i].s.h = NULL;
		st->cache[i].sql = NULL;
	}
}

void store_bind_int64(struct store_stmt *s, int i, int64_t v)
{
	s->drv->bind_int64(s->h, i, v);
}

void store_bind_text(struct store_stmt *s, int i, const char *v)
{
	if (v == NULL)
		s->drv->bind_null(s->h, i);
	else
		s->drv->bind_text(s->h, i, v);
}

void store_bind_blob(struct store_stmt *s, int i, const void *p, size_t n)
{
	s->drv->bind_blob(s->h, i, p, n);
}

void store_bind_null(struct store_stmt *s, int i)
{
	s->drv->bind_null(s->h, i);
}

int store_step(struct store *st, struct store_stmt *s, const char *op)
{
	int rc = s->drv->step(st, s->h);
	if (rc < 0)
		return store_fail(st, op);
	return rc;
}

void store_reset(struct store_stmt *s)
{
	s->drv->reset(s->h);
}

int64_t store_col_int64(struct store_stmt *s, int i)
{
	return s->drv->col_int64(s->h, i);
}

int store_col_int(struct store_stmt *s, int i)
{
	return (int)s->drv->col_int64(s->h, i);
}

bool store_col_null(struct store_stmt *s, int i)
{
	return s->drv->col_null(s->h, i);
}

const char *store_col_str(struct store_stmt *s, int i)
{
	const char *t = s->drv->col_text(s->h, i);
	return t != NULL ? t : "";
}

const void *store_col_blob(struct store_stmt *s, int i, size_t *len)
{
	const void *p = s->drv->col_blob(s->h, i, len);
	if (p == NULL || *len == 0) {
		*len = 0;
		return NULL;
	}
	return p;
}

int64_t store_changes(struct store *st)
{
	return st->drv->changes(st);
}

int store_exec(struct store *st, const char *sql)
{
	return st->drv->exec(st, sql) == 0 ? 0 : store_fail(st, "exec");
}
