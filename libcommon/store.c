/*
 * store.c - opening and closing the SQLite store (connection pragmas,
 * busy timeout), error kinds and transactions; see store.h.  Every ems
 * process that touches mail goes through store_open() first.
 */
#include "store_internal.h"
#include "config.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Room for "SAVEPOINT s<depth>" and friends. */
#define STORE_TX_SQL_MAX 64
/* How often a writer waiting for the lock tries again. */
#define STORE_BUSY_POLL_US 500

enum store_error store_last_error(const struct store *st)
{
	return st->last_error;
}

bool store_error_transient(const struct store *st)
{
	return st->last_error == STORE_E_TRANSIENT;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Waits for another writer's lock up to the busy timeout.  SQLite's own
 * handler sleeps in steps that grow to 100 ms; the writers ems has in
 * one process (a store pool's threads, the loop) hold the lock for one
 * commit, a few milliseconds, so a short poll answers their clients
 * sooner. */
static int busy_wait(void *arg, int count)
{
	struct store *st = arg;
	uint64_t now = now_us();
	if (count == 0)
		st->busy_since = now;
	if (now - st->busy_since >= (uint64_t)st->busy_ms * 1000u)
		return 0;
	usleep(STORE_BUSY_POLL_US);
	return 1;
}

/* Per-connection settings; synchronous=FULL makes a commit durable, which
 * is what acknowledging mail relies on. */
static int set_pragmas(struct store *st, int busy_timeout_ms)
{
	sqlite3_extended_result_codes(st->db, 1);
	st->busy_ms = busy_timeout_ms;
	sqlite3_busy_handler(st->db, busy_wait, st);
	return store_exec(st, "PRAGMA foreign_keys=ON;"
	                      "PRAGMA synchronous=FULL;");
}

struct store *store_open(const char *path, int busy_timeout_ms)
{
	struct store *st = calloc(1, sizeof *st);
	if (st == NULL || (st->path = strdup(path)) == NULL) {
		log_error("store_open", "path=%s error=\"out of memory\"", log_quote(path));
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
	if (set_pragmas(st, busy_timeout_ms) < 0 || store_schema_apply(st) < 0) {
		log_error("store_open", "path=%s error=\"store not usable\"", log_quote(path));
		store_close(st);
		return NULL;
	}
	return st;
}

struct store *store_open_config(const struct ems_config *cfg)
{
	return store_open(config_path(cfg, "store"),
	                  (int)config_int(cfg, "store.busy_timeout_ms"));
}

struct store *store_open_nowait(const char *path)
{
	struct store *st = store_open(path, 0);
	/* NORMAL in WAL mode: a commit writes the log without fsync; the
	 * checkpoints (which do sync) are left to the other handles */
	if (st != NULL && store_exec(st, "PRAGMA synchronous=NORMAL;"
	                                 "PRAGMA wal_autocheckpoint=0;") < 0) {
		store_close(st);
		return NULL;
	}
	return st;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->tx_depth > 0) {
		log_warn("store_close", "error=\"transaction left open, rolled back\"");
		st->tx_depth = 1;
		store_tx_rollback(st);
	}
	store_stmt_cache_free(st);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int store_integrity_check(struct store *st)
{
	sqlite3_stmt *s = store_stmt(st, "PRAGMA integrity_check");
	if (s == NULL || store_step_row(st, s, "integrity_check", "no result") < 0)
		return -1;
	const char *r = (const char *)sqlite3_column_text(s, 0);
	int ok = r != NULL && strcmp(r, "ok") == 0;
	if (!ok) {
		log_error("store_integrity", "path=%s result=%s", log_quote(st->path),
		          log_quote(r ? r : "none"));
		st->last_error = STORE_E_FAILED;
	}
	sqlite3_reset(s);
	return ok ? 0 : -1;
}

/* ---- transactions: BEGIN IMMEDIATE outside, savepoints inside ---- */

/* SQLite rolls a transaction back by itself after some errors (disk
 * full, I/O, out of memory); then our depth no longer matches. */
static bool tx_lost(const struct store *st)
{
	return st->tx_depth > 0 && sqlite3_get_autocommit(st->db);
}

static int tx_sql(struct store *st, const char *fmt, int depth, const char *op)
{
	char sql[STORE_TX_SQL_MAX];
	snprintf(sql, sizeof sql, fmt, depth, depth);
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : store_fail(st, op, rc);
}

int store_tx_begin(struct store *st)
{
	if (tx_lost(st))
		return store_fail_kind(st, st->last_error ? st->last_error : STORE_E_FAILED,
		                       "begin", "enclosing transaction was rolled back");
	if (st->tx_depth == 0) {
		int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return store_fail(st, "begin", rc);
	} else if (tx_sql(st, "SAVEPOINT s%d", st->tx_depth, "savepoint") < 0) {
		return -1;
	}
	st->tx_depth++;
	return 0;
}

int store_tx_commit(struct store *st)
{
	if (st->tx_depth == 0)
		return store_fail_kind(st, STORE_E_FAILED, "commit", "no transaction open");
	if (tx_lost(st)) {
		st->tx_depth--;
		return store_fail_kind(st, st->last_error ? st->last_error : STORE_E_FAILED,
		                       "commit", "transaction was rolled back");
	}
	if (st->tx_depth > 1) {
		if (tx_sql(st, "RELEASE s%d", st->tx_depth - 1, "release") < 0) {
			store_tx_rollback(st);
			return -1;
		}
		st->tx_depth--;
		return 0;
	}
	int rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		store_fail(st, "commit", rc);
		store_tx_rollback(st);
		return -1;
	}
	st->tx_depth = 0;
	return 0;
}

void store_tx_rollback(struct store *st)
{
	if (st->tx_depth == 0)
		return;
	st->tx_depth--;
	if (sqlite3_get_autocommit(st->db))
		return;   /* SQLite has rolled back already */
	enum store_error kept = st->last_error;   /* keep the cause, not this */
	if (st->tx_depth > 0)
		tx_sql(st, "ROLLBACK TO s%d; RELEASE s%d", st->tx_depth, "rollback");
	else
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->last_error = kept;
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
