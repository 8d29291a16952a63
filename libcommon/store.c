/*
 * store.c - opening and closing the store with the backend's driver
 * (store_driver.h), error kinds and transactions; see store.h.  Every ems
 * process that touches mail goes through store_open() first.
 */
#include "store_internal.h"
#include "config.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for "SAVEPOINT s<depth>" and friends. */
#define STORE_TX_SQL_MAX 64

enum store_error store_last_error(const struct store *st)
{
	return st->last_error;
}

bool store_error_transient(const struct store *st)
{
	return st->last_error == STORE_E_TRANSIENT;
}

/* The driver for store.backend NAME, NULL (logged) when there is none. */
static const struct store_driver *driver_named(const char *name)
{
	if (strcmp(name, "sqlite") == 0)
		return &store_driver_sqlite;
#ifdef EMS_HAVE_PG
	if (strcmp(name, "postgresql") == 0)
		return &store_driver_pg;
#else
	if (strcmp(name, "postgresql") == 0) {
		log_error("store_open", "backend=postgresql error=\"this ems was built"
		          " without PostgreSQL support\"");
		return NULL;
	}
#endif
	log_error("store_open", "backend=%s error=\"unknown store backend\"", log_quote(name));
	return NULL;
}

static struct store *open_with(const struct store_driver *drv, const char *target,
                               int busy_ms, bool nowait)
{
	struct store *st = calloc(1, sizeof *st);
	if (st == NULL || (st->path = strdup(target)) == NULL) {
		log_error("store_open", "error=\"out of memory\"");
		free(st);
		return NULL;
	}
	st->drv = drv;
	st->busy_ms = busy_ms;
	if (drv->open(st, target, busy_ms, nowait) < 0) {
		store_close(st);
		return NULL;
	}
	if (drv->schema_apply(st) < 0) {
		if (drv == &store_driver_sqlite)   /* a connection string may hold a password */
			log_error("store_open", "path=%s error=\"store not usable\"",
			          log_quote(target));
		else
			log_error("store_open", "backend=%s error=\"store not usable\"", drv->name);
		store_close(st);
		return NULL;
	}
	return st;
}

struct store *store_open(const char *path, int busy_timeout_ms)
{
	return open_with(&store_driver_sqlite, path, busy_timeout_ms, false);
}

struct store *store_open_backend(const char *backend, const char *target,
                                 int busy_timeout_ms)
{
	const struct store_driver *drv = driver_named(backend);
	return drv != NULL ? open_with(drv, target, busy_timeout_ms, false) : NULL;
}

const char *store_config_backend(const struct ems_config *cfg)
{
	return config_str(cfg, "store.backend");
}

const char *store_config_target(const struct ems_config *cfg)
{
	if (strcmp(store_config_backend(cfg), "sqlite") == 0)
		return config_path(cfg, "store");
	return config_str(cfg, "store.conninfo");
}

struct store *store_open_config(const struct ems_config *cfg)
{
	return store_open_backend(store_config_backend(cfg), store_config_target(cfg),
	                          (int)config_int(cfg, "store.busy_timeout_ms"));
}

void store_bound_replies(struct store *st, int ms)
{
	if (st == NULL || st->drv->reply_timeout == NULL)
		return;
	st->reply_ms = ms > 0 ? ms : 0;
	st->commit_waits = false;
	st->drv->reply_timeout(st, st->reply_ms);
}

void store_bound_writes(struct store *st, int ms)
{
	store_bound_replies(st, ms);
	if (st != NULL)
		st->commit_waits = true;
}

/* The outermost COMMIT of ST: unbounded when commit_waits (after a
 * stall the connection is gone already, and it fails at once). */
static int commit_outermost(struct store *st)
{
	bool unbound = st->commit_waits && st->reply_ms > 0;
	if (unbound)
		st->drv->reply_timeout(st, 0);
	int rc = st->drv->commit(st);
	if (unbound)
		st->drv->reply_timeout(st, st->reply_ms);
	return rc;
}

bool store_reads_inline(const struct store *st)
{
	return st->drv->reply_timeout == NULL;
}

/* ST, its waits for a server bounded by CFG's store.loop_timeout_ms
 * once open (a schema migration at open may take its time). */
static struct store *loop_bounded(struct store *st, const struct ems_config *cfg)
{
	store_bound_replies(st, (int)config_int(cfg, "store.loop_timeout_ms"));
	return st;
}

struct store *store_open_loop(const struct ems_config *cfg)
{
	return loop_bounded(store_open_config(cfg), cfg);
}

struct store *store_open_client(const struct ems_config *cfg)
{
	struct store *st = store_open_config(cfg);
	store_bound_writes(st, (int)(config_int(cfg, "store.loop_timeout_ms") +
	                             config_int(cfg, "store.busy_timeout_ms")));
	return st;
}

struct store *store_open_nowait(const struct ems_config *cfg)
{
	const struct store_driver *drv = driver_named(store_config_backend(cfg));
	return drv != NULL ? loop_bounded(open_with(drv, store_config_target(cfg), 0, true), cfg)
	                   : NULL;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->tx_depth > 0 && st->conn != NULL) {
		log_warn("store_close", "error=\"transaction left open, rolled back\"");
		st->tx_depth = 1;
		store_tx_rollback(st);
	}
	store_body_window_free(st);
	if (st->conn != NULL) {
		store_stmt_cache_free(st);
		st->drv->close(st);
	}
	free(st->path);
	free(st);
}

int store_schema_version(struct store *st)
{
	return st->drv->schema_version(st);
}

int store_integrity_check(struct store *st)
{
	if (store_sqlite_only(st, "integrity_check") < 0)
		return -1;
	struct store_stmt *s = store_stmt(st, "PRAGMA integrity_check");
	if (s == NULL || store_step_row(st, s, "integrity_check", "no result") < 0)
		return -1;
	const char *r = store_col_str(s, 0);
	int ok = strcmp(r, "ok") == 0;
	if (!ok) {
		log_error("store_integrity", "path=%s result=%s", log_quote(st->path),
		          log_quote(*r ? r : "none"));
		st->last_error = STORE_E_FAILED;
	}
	store_reset(s);
	return ok ? 0 : -1;
}

/* ---- transactions: the driver's BEGIN outside, savepoints inside ---- */

/* A backend may roll a transaction back by itself after some errors
 * (SQLite: disk full, I/O, out of memory); then our depth no longer
 * matches. */
static bool tx_lost(struct store *st)
{
	return st->tx_depth > 0 && !st->drv->in_tx(st);
}

static int tx_sql(struct store *st, const char *fmt, int depth, const char *op)
{
	char sql[STORE_TX_SQL_MAX];
	snprintf(sql, sizeof sql, fmt, depth, depth);
	return st->drv->exec(st, sql) == 0 ? 0 : store_fail(st, op);
}

int store_tx_begin(struct store *st)
{
	if (tx_lost(st))
		return store_fail_kind(st, st->last_error ? st->last_error : STORE_E_FAILED,
		                       "begin", "enclosing transaction was rolled back");
	if (st->tx_depth == 0) {
		if (st->drv->begin(st) < 0)
			return store_fail(st, "begin");
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
	if (commit_outermost(st) < 0) {
		store_fail(st, "commit");
		store_tx_rollback(st);
		return -1;
	}
	st->tx_depth = 0;
	st->lazy = false;
	return 0;
}

void store_tx_rollback(struct store *st)
{
	if (st->tx_depth == 0)
		return;
	st->tx_depth--;
	enum store_error kept = st->last_error;   /* keep the cause, not this */
	if (!st->drv->in_tx(st)) {
		/* the backend has rolled back already; a lazy one still has its
		 * driver put the durable commits back */
		if (st->tx_depth == 0 && st->lazy)
			st->drv->rollback(st);
	} else if (st->tx_depth > 0) {
		tx_sql(st, "ROLLBACK TO s%d; RELEASE s%d", st->tx_depth, "rollback");
	} else {
		st->drv->rollback(st);
	}
	if (st->tx_depth == 0)
		st->lazy = false;
	st->last_error = kept;
}

int store_begin(struct store *st)
{
	return store_tx_begin(st);
}

int store_begin_lazy(struct store *st)
{
	if (st->tx_depth == 0)
		st->lazy = true;
	int rc = store_tx_begin(st);
	if (rc < 0 && st->tx_depth == 0)
		st->lazy = false;
	return rc;
}

int store_commit(struct store *st)
{
	return store_tx_commit(st);
}

void store_rollback(struct store *st)
{
	store_tx_rollback(st);
}
