/*
 * store_internal.h - what the store_*.c files share: the handle, the
 * prepared-statement cache, error mapping, row helpers and transaction
 * nesting.  Not for use outside libcommon/store*.c.
 */
#ifndef EMS_STORE_INTERNAL_H
#define EMS_STORE_INTERNAL_H

#include "store.h"

#include "store_db.h"
#include "store_driver.h"

struct spool;

/* Distinct SQL statements ems prepares; the cache warns when exceeded. */
#define STORE_STMT_CACHE 128

/* A cached statement: the driver's own and the driver that made it. */
struct store_stmt {
	const struct store_driver *drv;
	void *h;
};

struct store {
	const struct store_driver *drv;
	void *conn;            /* the driver's connection state */
	char *path;            /* the file, or the connection string */
	enum store_error last_error;
	int tx_depth;          /* 0: none, 1: BEGIN, >1: savepoints */
	bool lazy;             /* the open transaction's commit need not sync */
	int busy_ms;           /* store.busy_timeout_ms */
	int reply_ms;          /* store_bound_replies() or _writes(); 0: none */
	bool commit_waits;     /* the outermost COMMIT is not bounded */
	uint64_t busy_since;   /* monotonic microseconds the current wait began */
	struct {
		const char *sql;   /* a string literal: the key is its address */
		struct store_stmt s;
	} cache[STORE_STMT_CACHE];
	/* Read-ahead of the body being streamed (store_message_read): bytes
	 * [off, off + len) of message ID; AT_END: the body ends there. */
	struct {
		int64_t id;        /* 0: nothing held */
		size_t off, len, cap;
		bool at_end;
		char *buf;
	} body;
};

/* Drops the body read-ahead and its buffer (store_message_read). */
void store_body_window_free(struct store *st);

/* Finalizes every cached statement (before the driver closes). */
void store_stmt_cache_free(struct store *st);

/* Records and logs the backend failure of OP the driver recorded on ST
 * (its kind by drv->classify, its text by drv->errmsg); returns -1. */
int store_fail(struct store *st, const char *op);

/* Records a failure of KIND for OP, logging WHAT; returns -1. */
int store_fail_kind(struct store *st, enum store_error kind, const char *op,
                    const char *what);

/* 0 when ST is an SQLite store; else -1 with STORE_E_FAILED, logging
 * that OP is not supported on this backend.  Guards the SQLite-only
 * parts (vacuum, checkpoints, page counts, integrity_check). */
int store_sqlite_only(struct store *st, const char *op);

/* Steps S, which returns no rows, and resets it: 0 or -1 (logged). */
int store_exec_stmt(struct store *st, struct store_stmt *s, const char *op);

/* Like store_exec_stmt(), then -1 with STORE_E_NOTFOUND (WHAT logged)
 * when no row changed. */
int store_exec_changed(struct store *st, struct store_stmt *s, const char *op,
                       const char *what);

/* Steps S once: 0 with a row to read (reset S afterwards), else resets S
 * and returns -1 (STORE_E_NOTFOUND with WHAT logged when there was none). */
int store_step_row(struct store *st, struct store_stmt *s, const char *op,
                   const char *what);

/* Calls EACH for each row of S until it returns non-zero, then resets S.
 * Returns 0, or -1 (logged) when a step failed. */
int store_each_row(struct store *st, struct store_stmt *s, const char *op,
                   int (*each)(struct store_stmt *s, void *ctx), void *ctx);

/* The WAL checkpoints of store_checkpoint() (QUIET false) and
 * store_checkpoint_quiet() (QUIET true, *WAL_PAGES may be NULL); SQLite
 * stores only (store_db_sqlite.c). */
int store_sqlite_checkpoint(struct store *st, bool quiet, int *wal_pages);

/* Steps S, an INSERT ... RETURNING id, and resets it: 0 with *ID set,
 * or -1 (logged). */
int store_exec_id(struct store *st, struct store_stmt *s, const char *op, int64_t *id);

/* Runs SQL text (schema work, pragmas); returns 0 or -1 (logged). */
int store_exec(struct store *st, const char *sql);

/* malloc'ed copy of text column I ("" for NULL); aborts when out of memory. */
char *store_col_text(struct store_stmt *s, int i);

/* Transactions as store_begin()/store_commit()/store_rollback(). */
int store_tx_begin(struct store *st);
int store_tx_commit(struct store *st);
void store_tx_rollback(struct store *st);

/* *ID gets the id of domain NAME (NOTFOUND if none). */
int store_domain_id(struct store *st, const char *name, int64_t *id);

/* 0 when NAME is no person, alias or list of domain DOMAIN_ID yet; else
 * -1 with STORE_E_EXISTS.  Call inside the transaction that adds NAME. */
int store_local_name_free(struct store *st, int64_t domain_id, const char *name,
                          const char *op);

/* True when S is empty or NULL. */
bool store_blank(const char *s);

/* True when ADDR is usable as an address: an '@', no blanks or controls. */
bool store_address_ok(const char *addr);

/* BUF (STORE_PREFIX_MAX bytes) gets the prefix of entry UID of the
 * mailbox, live or expunged, *LEN its length (0: none).  STORE_E_NOTFOUND
 * when there is no such entry. */
int store_entry_prefix_load(struct store *st, int64_t mailbox_id, uint32_t uid,
                            char *buf, size_t *len);

/* The SQLite schema: creates and migrates it (store_schema.c), run by
 * store_driver_sqlite's schema_apply; the version in PRAGMA user_version. */
int store_schema_sqlite_apply(struct store *st);
int store_schema_sqlite_version(struct store *st);

/*
 * Message bodies, the one place the backends store data differently, so
 * that a message never sits whole in memory (SQLite: incremental blob
 * I/O on message_bodies; PostgreSQL: 64 KiB rows of message_chunks).
 * store_body_write() stores LEN bytes at DATA, store_body_write_spool()
 * spool SP, as the body of new message ID (no body row of it yet; inside
 * the caller's transaction); 0 or -1 (logged).  store_body_read() reads
 * up to N bytes from offset OFF of message ID's body into BUF and returns
 * how many (0 past the end), -1 (logged; STORE_E_NOTFOUND for no such
 * message).  store_body.c picks the backend's version: store_sqlite_*
 * in store_db_sqlite.c, store_pg_* in store_body_pg.c.
 */
int store_body_write(struct store *st, int64_t id, const void *data, size_t len);
int store_body_write_spool(struct store *st, int64_t id, const struct spool *sp);
ssize_t store_body_read(struct store *st, int64_t id, size_t off, void *buf, size_t n);

int store_sqlite_body_write(struct store *st, int64_t id, const void *data, size_t len);
int store_sqlite_body_write_spool(struct store *st, int64_t id, const struct spool *sp);
ssize_t store_sqlite_body_read(struct store *st, int64_t id, size_t off, void *buf,
                               size_t n);
int store_pg_body_write(struct store *st, int64_t id, const void *data, size_t len);
int store_pg_body_write_spool(struct store *st, int64_t id, const struct spool *sp);
ssize_t store_pg_body_read(struct store *st, int64_t id, size_t off, void *buf, size_t n);

#endif
