/*
 * store_driver.h - what a store backend provides: a connection, prepared
 * statements, the outermost transaction and the schema.  store_db.c and
 * store.c call these; the store_*.c modules never do (they speak
 * store_db.h).  Two drivers: store_driver_sqlite (store_db_sqlite.c, one
 * file, the default) and store_driver_pg (store_db_pg.c, libpq).
 *
 * A driver's statement is opaque (void *).  Every function that can fail
 * records the backend's error on the handle, so that classify() and
 * errmsg() can say what it was; store_fail() in store_exec.c turns that
 * into a store_error and one log line.
 */
#ifndef EMS_STORE_DRIVER_H
#define EMS_STORE_DRIVER_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_driver {
	const char *name;   /* "sqlite", "postgresql": store.backend */

	/* Connects ST to TARGET (a file path; a libpq connection string),
	 * setting the driver's own part of ST.  A write that waits for
	 * another's lock waits up to BUSY_MS, then fails as transient;
	 * NOWAIT: a lock is never waited for and a commit need not be
	 * synced (store_open_nowait()).  0 or -1 (logged). */
	int (*open)(struct store *st, const char *target, int busy_ms, bool nowait);
	void (*close)(struct store *st);
	/* Bounds every later wait for a server's reply (and a connect) to
	 * MS; past it the connection is lost (transient).  NULL where waits
	 * are local (SQLite: a read never waits on another process). */
	void (*reply_timeout)(struct store *st, int ms);

	/* Creates or migrates the schema to STORE_SCHEMA_VERSION. */
	int (*schema_apply)(struct store *st);
	int (*schema_version)(struct store *st);

	void *(*prepare)(struct store *st, const char *sql);   /* NULL: failed */
	void (*finalize)(void *stmt);
	void (*reset)(void *stmt);        /* ends a walk, clears bindings */
	bool (*busy)(void *stmt);         /* between a first step and a reset */
	void (*bind_int64)(void *stmt, int i, int64_t v);
	void (*bind_text)(void *stmt, int i, const char *v);
	void (*bind_blob)(void *stmt, int i, const void *p, size_t n);
	void (*bind_null)(void *stmt, int i);
	int (*step)(struct store *st, void *stmt);   /* STORE_ROW, STORE_DONE, -1 */
	int64_t (*col_int64)(void *stmt, int i);
	bool (*col_null)(void *stmt, int i);
	const char *(*col_text)(void *stmt, int i);
	const void *(*col_blob)(void *stmt, int i, size_t *len);
	int64_t (*changes)(struct store *st);

	/* Runs SQL text of one or more statements that return no rows. */
	int (*exec)(struct store *st, const char *sql);

	/* The outermost transaction: BEGIN taking the store's write lock
	 * (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN and the store-wide
	 * advisory lock), COMMIT, ROLLBACK.  Savepoints are plain SQL.  When
	 * st->lazy is set (store_begin_lazy()) the commit need not sync; the
	 * next transaction without it syncs again, also after a rollback
	 * (called then even when the backend has rolled back by itself). */
	int (*begin)(struct store *st);
	int (*commit)(struct store *st);
	void (*rollback)(struct store *st);
	/* False when the backend ended the transaction by itself. */
	bool (*in_tx)(struct store *st);

	/* The kind and text of the last failure recorded on ST. */
	enum store_error (*classify)(struct store *st);
	const char *(*errmsg)(struct store *st);
};

extern const struct store_driver store_driver_sqlite;
extern const struct store_driver store_driver_pg;

#endif
