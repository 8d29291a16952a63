/*
 * store_db.h - the statement interface the store_*.c files speak; the
 * same for every backend (see store_driver.h for what a backend
 * provides).  Not for use outside libcommon/store*.c.
 *
 * SQL IS WRITTEN ONCE, in the dialect SQLite (3.40) and PostgreSQL (15)
 * both accept:
 *   - numbered parameters ?1 .. ?N (the PostgreSQL driver rewrites them
 *     to $1 .. $N; a bare ? is not allowed);
 *   - INSERT ... ON CONFLICT (...) DO NOTHING / DO UPDATE, never
 *     INSERT OR IGNORE / OR REPLACE;
 *   - INSERT ... RETURNING id, never last_insert_rowid();
 *   - integers for booleans and times (seconds since the epoch, bound
 *     by the caller, never strftime()/now());
 *   - no PRAGMA outside the SQLite driver and the SQLite-only modules.
 * Where the two must differ, store_stmt_dialect() takes both texts.
 *
 * A statement comes from the handle's cache, keyed by the address of its
 * SQL string literal, already reset.  Bindings count from 1; text and
 * blob pointers must stay valid until the statement is reset (nothing is
 * copied).  Columns count from 0 and stay valid until the next step or
 * reset.
 */
#ifndef EMS_STORE_DB_H
#define EMS_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_stmt;

/* What store_step() returns besides -1. */
#define STORE_ROW  1
#define STORE_DONE 0

/* The statement for SQL (a string literal), reset with no bindings; NULL
 * after logging why, also when it is in use by a list further up. */
struct store_stmt *store_stmt(struct store *st, const char *sql);

/* The same where the dialects differ: SQLITE_SQL or PG_SQL by backend. */
struct store_stmt *store_stmt_dialect(struct store *st, const char *sqlite_sql,
                                      const char *pg_sql);

void store_bind_int64(struct store_stmt *s, int i, int64_t v);
void store_bind_text(struct store_stmt *s, int i, const char *v); /* NULL: SQL NULL */
void store_bind_blob(struct store_stmt *s, int i, const void *p, size_t n);
void store_bind_null(struct store_stmt *s, int i);

/* Runs S (the first call) or moves to its next row: STORE_ROW, STORE_DONE,
 * or -1 after store_fail(ST, OP) recorded and logged the failure. */
int store_step(struct store *st, struct store_stmt *s, const char *op);

/* Ends a walk early and clears the bindings. */
void store_reset(struct store_stmt *s);

int64_t store_col_int64(struct store_stmt *s, int i);
int store_col_int(struct store_stmt *s, int i);
bool store_col_null(struct store_stmt *s, int i);
/* Borrowed text ("" for NULL). */
const char *store_col_str(struct store_stmt *s, int i);
/* Borrowed bytes (NULL with *LEN 0 for NULL or empty). */
const void *store_col_blob(struct store_stmt *s, int i, size_t *len);

/* Rows changed by the last INSERT/UPDATE/DELETE run on ST. */
int64_t store_changes(struct store *st);

#endif
