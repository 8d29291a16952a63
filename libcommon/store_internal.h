/*
 * store_internal.h - what the store_*.c files share: the handle, the
 * prepared-statement cache, error mapping, row helpers and transaction
 * nesting.  Not for use outside libcommon/store*.c.
 */
#ifndef EMS_STORE_INTERNAL_H
#define EMS_STORE_INTERNAL_H

#include "store.h"

#include <sqlite3.h>

/* Distinct SQL statements ems prepares; the cache warns when exceeded. */
#define STORE_STMT_CACHE 128

struct store {
	sqlite3 *db;
	char *path;
	enum store_error last_error;
	int tx_depth;          /* 0: none, 1: BEGIN, >1: savepoints */
	int busy_ms;           /* store.busy_timeout_ms */
	uint64_t busy_since;   /* monotonic microseconds the current wait began */
	struct {
		const char *sql;   /* a string literal: the key is its address */
		sqlite3_stmt *stmt;
	} cache[STORE_STMT_CACHE];
};

/*
 * The prepared statement for SQL (a string literal: it is cached by
 * address), reset and with its bindings cleared.  NULL after logging why,
 * also when the statement is in use by a list further up the call stack.
 */
sqlite3_stmt *store_stmt(struct store *st, const char *sql);

/* Finalizes every cached statement (before sqlite3_close). */
void store_stmt_cache_free(struct store *st);

/* Records and logs the SQLite failure RC of OP; returns -1. */
int store_fail(struct store *st, const char *op, int rc);

/* Records a failure of KIND for OP, logging WHAT; returns -1. */
int store_fail_kind(struct store *st, enum store_error kind, const char *op,
                    const char *what);

/* Steps S, which returns no rows, and resets it: 0 or -1 (logged). */
int store_exec_stmt(struct store *st, sqlite3_stmt *s, const char *op);

/* Like store_exec_stmt(), then -1 with STORE_E_NOTFOUND (WHAT logged)
 * when no row changed. */
int store_exec_changed(struct store *st, sqlite3_stmt *s, const char *op,
                       const char *what);

/* Steps S once: 0 with a row to read (reset S afterwards), else resets S
 * and returns -1 (STORE_E_NOTFOUND with WHAT logged when there was none). */
int store_step_row(struct store *st, sqlite3_stmt *s, const char *op,
                   const char *what);

/* Calls EACH for each row of S until it returns non-zero, then resets S.
 * Returns 0, or -1 (logged) when a step failed. */
int store_each_row(struct store *st, sqlite3_stmt *s, const char *op,
                   int (*each)(sqlite3_stmt *s, void *ctx), void *ctx);

/* Runs SQL text (schema work, pragmas); returns 0 or -1 (logged). */
int store_exec(struct store *st, const char *sql);

/* malloc'ed copy of text column I ("" for NULL); aborts when out of memory. */
char *store_col_text(sqlite3_stmt *s, int i);

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

/* Creates and migrates the schema; run by store_open(). */
int store_schema_apply(struct store *st);

#endif
