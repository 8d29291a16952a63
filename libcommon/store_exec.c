/*
 * store_exec.c - running SQL for the store_*.c files: the per-handle
 * prepared-statement cache, stepping helpers, and the mapping of SQLite
 * result codes to store error kinds (transient or not); see
 * store_internal.h.
 */
#include "store_internal.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static enum store_error classify(int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return STORE_E_EXISTS;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return STORE_E_NOTFOUND;   /* it points at something not there */
	default:
		break;
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_NOMEM:
	case SQLITE_CANTOPEN:
	case SQLITE_PROTOCOL:
		return STORE_E_TRANSIENT;
	case SQLITE_CONSTRAINT:
	case SQLITE_TOOBIG:
		return STORE_E_INVALID;
	default:
		return STORE_E_FAILED;
	}
}

int store_fail(struct store *st, const char *op, int rc)
{
	st->last_error = classify(rc);
	enum log_level level = LOG_LVL_ERROR;
	if (st->last_error == STORE_E_EXISTS || st->last_error == STORE_E_INVALID ||
	    st->last_error == STORE_E_NOTFOUND)
		level = LOG_LVL_INFO;
	else if (st->last_error == STORE_E_TRANSIENT)
		level = LOG_LVL_WARN;
	log_event(level, "store_error", "op=%s transient=%s error=%s", op,
	          st->last_error == STORE_E_TRANSIENT ? "yes" : "no",
	          log_quote(sqlite3_errmsg(st->db)));
	return -1;
}

int store_fail_kind(struct store *st, enum store_error kind, const char *op,
                    const char *what)
{
	st->last_error = kind;
	enum log_level level = LOG_LVL_INFO;
	if (kind == STORE_E_NOTFOUND)
		level = LOG_LVL_DEBUG;
	else if (kind == STORE_E_FAILED)
		level = LOG_LVL_ERROR;
	else if (kind == STORE_E_TRANSIENT)
		level = LOG_LVL_WARN;
	log_event(level, "store_error", "op=%s transient=%s error=%s", op,
	          kind == STORE_E_TRANSIENT ? "yes" : "no", log_quote(what));
	return -1;
}

static sqlite3_stmt *cached(struct store *st, const char *sql, int *free_slot)
{
	*free_slot = -1;
	for (int i = 0; i < STORE_STMT_CACHE; i++) {
		if (st->cache[i].sql == sql)
			return st->cache[i].stmt;
		if (st->cache[i].sql == NULL && *free_slot < 0)
			*free_slot = i;
	}
	return NULL;
}

sqlite3_stmt *store_stmt(struct store *st, const char *sql)
{
	int slot;
	sqlite3_stmt *s = cached(st, sql, &slot);
	if (s != NULL) {
		/* A list still walking this statement: resetting it would
		 * silently end that walk. */
		if (sqlite3_stmt_busy(s)) {
			store_fail_kind(st, STORE_E_FAILED, "stmt",
			                "statement in use by a list callback further up");
			return NULL;
		}
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return s;
	}
	int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
	if (rc != SQLITE_OK) {
		store_fail(st, "prepare", rc);
		return NULL;
	}
	if (slot < 0) {
		/* More statements than the cache holds: a limit to raise. */
		log_warn("store_cache_full", "size=%d", STORE_STMT_CACHE);
		slot = 0;
		sqlite3_finalize(st->cache[0].stmt);
	}
	st->cache[slot].sql = sql;
	st->cache[slot].stmt = s;
	return s;
}

void store_stmt_cache_free(struct store *st)
{
	for (int i = 0; i < STORE_STMT_CACHE; i++) {
		sqlite3_finalize(st->cache[i].stmt);
		st->cache[i].stmt = NULL;
		st->cache[i].sql = NULL;
	}
}

int store_exec_stmt(struct store *st, sqlite3_stmt *s, const char *op)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(st, op, rc);
	return 0;
}

int store_exec_changed(struct store *st, sqlite3_stmt *s, const char *op,
                       const char *what)
{
	if (store_exec_stmt(st, s, op) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return store_fail_kind(st, STORE_E_NOTFOUND, op, what);
	return 0;
}

int store_step_row(struct store *st, sqlite3_stmt *s, const char *op,
                   const char *what)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 0;
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return store_fail_kind(st, STORE_E_NOTFOUND, op, what);
	return store_fail(st, op, rc);
}

int store_each_row(struct store *st, sqlite3_stmt *s, const char *op,
                   int (*each)(sqlite3_stmt *s, void *ctx), void *ctx)
{
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (each(s, ctx) != 0)
			break;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, op, rc);
	return 0;
}

int store_exec(struct store *st, const char *sql)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : store_fail(st, "exec", rc);
}

char *store_col_text(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	char *copy = strdup(t ? t : "");
	if (copy == NULL)
		abort();   /* out of memory for a short string: nothing sane left */
	return copy;
}

bool store_blank(const char *s)
{
	return s == NULL || *s == '\0';
}

bool store_address_ok(const char *addr)
{
	if (store_blank(addr) || strchr(addr, '@') == NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}
