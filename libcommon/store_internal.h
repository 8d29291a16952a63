/*
 * store_internal.h - what the store_*.c files share: the handle, the
 * prepared-statement cache, error mapping and transaction nesting.  Not
 * for use outside libcommon/store*.c.
 */
#ifndef EMS_STORE_INTERNAL_H
#define EMS_STORE_INTERNAL_H

#include "store.h"

#include <sqlite3.h>

#define STORE_STMT_CACHE 96

struct store {
	sqlite3 *db;
	char *path;
	enum store_error last_error;
	int tx_depth;          /* >0 inside store_begin()/internal transactions */
	struct {
		const char *sql;   /* static string: the cache key is its address */
		sqlite3_stmt *stmt;
	} cache[STORE_STMT_CACHE];
};

/* The prepared statement for SQL (a string literal), reset and with its
 * bindings cleared; NULL after logging why. */
sqlite3_stmt *store_stmt(struct store *st, const char *sql);

/* Records and logs a SQLite failure of OP; returns -1. */
int store_fail(struct store *st, const char *op, int rc);
/* Records a failure of KIND with a message; returns -1. */
int store_fail_kind(struct store *st, enum store_error kind, const char *op,
                    const char *what);

/* Internal transactions join an outer one. */
int store_tx_begin(struct store *st);
int store_tx_commit(struct store *st);
void store_tx_rollback(struct store *st);

/* Runs a statement that returns no rows; returns 0 or -1 (logged). */
int store_exec_stmt(struct store *st, sqlite3_stmt *s, const char *op);
/* Runs SQL text (schema work); returns 0 or -1 (logged). */
int store_exec(struct store *st, const char *sql);

/* malloc'ed copy of column I (never NULL on success; "" for NULL). */
char *store_col_text(sqlite3_stmt *s, int i);

/* Adds DELTA to a message's reference count. */
int store_message_ref(struct store *st, int64_t message_id, int delta);

/* Schema creation/migration, run by store_open(). */
int store_schema_apply(struct store *st);

#endif
