/*
 * store.c - opening the SQLite store, its pragmas, the statement cache,
 * error classification and transactions; see store.h.
 */
#include "store_internal.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

enum store_error store_last_error(const struct store *st)
{
	return st->last_error;
}

static enum store_error classify(int rc)
{
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
		return STORE_E_EXISTS;
	default:
		return STORE_E_FAILED;
	}
}

int store_fail(struct store *st, const char *op, int rc)
{
	st->last_error = classify(rc);
	log_event(st->last_error == STORE_E_EXISTS ? LOG_LVL_INFO : LOG_LVL_ERROR,
	          "store_error", "op=%s transient=%s error=%s", op,
	          st->last_error == STORE_E_TRANSIENT ? "yes" : "no",
	          log_quote(sqlite3_errmsg(st->db)));
	return -1;
}

int store_fail_kind(struct store *st, enum store_error kind, const char *op,
                    const char *what)
{
	st->last_error = kind;
	log_event(kind == STORE_E_NOTFOUND ? LOG_LVL_DEBUG : LOG_LVL_INFO,
	          "store_error", "op=%s error=%s", op, log_quote(what));
	return -1;
}

sqlite3_stmt *store_stmt(struct store *st, const char *sql)
{
	int free_slot = -1;
	for (int i = 0; i < STORE_STMT_CACHE; i++) {
		if (st->cache[i].sql == sql) {
			sqlite3_reset(st->cache[i].stmt);
			sqlite3_clear_bindings(st->cache[i].stmt);
			return st->cache[i].stmt;
		}
		if (st->cache[i].sql == NULL && free_slot < 0)
			free_slot = i;
	}
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
	if (rc != SQLITE_OK) {
		store_fail(st, "prepare", rc);
		return NULL;
	}
	if (free_slot >= 0) {
		st->cache[free_slot].sql = sql;
		st->cache[free_slot].stmt = s;
		return s;
	}
	/* Cache full: a programming error worth knowing, but keep working. */
	log_warn("store_cache_full", "size=%d", STORE_STMT_CACHE);
	sqlite3_finalize(st->cache[0].stmt);
	st->cache[0].sql = sql;
	st->cache[0].stmt = s;
	return s;
}

int store_exec_stmt(struct store *st, sqlite3_stmt *s, const char *op)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_fail(st, op, rc);
	}
	sqlite3_reset(s);
	return 0;
}

int store_exec(struct store *st, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &err);
	sqlite3_free(err);
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

int store_tx_begin(struct store *st)
{
	if (st->tx_depth++ > 0)
		return 0;
	int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		st->tx_depth = 0;
		return store_fail(st, "begin", rc);
	}
	return 0;
}

int store_tx_commit(struct store *st)
{
	if (st->tx_depth == 0 || --st->tx_depth > 0)
		return 0;
	int rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		store_fail(st, "commit", rc);
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

void store_tx_rollback(struct store *st)
{
	if (st->tx_depth == 0)
		return;
	/* An inner failure aborts the whole outer transaction. */
	st->tx_depth = 0;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_begin(struct store *st)
{
	return store_tx_begin(st);
}

int store_commit(struct store *st)
{
	return store_tx_commit(st);
}

void store_rollback(struct store *st)
{
	store_tx_rollback(st);
}

static int set_pragmas(struct store *st, int busy_timeout_ms)
{
	sqlite3_busy_timeout(st->db, busy_timeout_ms);
	return store_exec(st, "PRAGMA synchronous=FULL;"
	                      "PRAGMA foreign_keys=ON;");
}

struct store *store_open(const char *path, int busy_timeout_ms)
{
	struct store *st = calloc(1, sizeof *st);
	if (st == NULL || (st->path = strdup(path)) == NULL) {
		log_error("store_open", "error=\"out of memory\"");
		free(st);
		return NULL;
	}
	int rc = sqlite3_open_v2(path, &st->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                             SQLITE_OPEN_NOMUTEX,
	                         NULL);
	if (rc != SQLITE_OK) {
		log_error("store_open", "path=%s error=%s", log_quote(path),
		          log_quote(st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc)));
		store_close(st);
		return NULL;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (set_pragmas(st, busy_timeout_ms) < 0 || store_schema_apply(st) < 0) {
		log_error("store_open", "path=%s error=\"store not usable\"", log_quote(path));
		store_close(st);
		return NULL;
	}
	return st;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < STORE_STMT_CACHE; i++)
		sqlite3_finalize(st->cache[i].stmt);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int store_integrity_check(struct store *st)
{
	sqlite3_stmt *s = store_stmt(st, "PRAGMA integrity_check");
	if (s == NULL)
		return -1;
	int rc = sqlite3_step(s);
	const char *r = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
	if (r == NULL || strcmp(r, "ok") != 0) {
		log_error("store_integrity", "result=%s", log_quote(r ? r : "none"));
		sqlite3_reset(s);
		st->last_error = STORE_E_FAILED;
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}
