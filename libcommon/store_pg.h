/*
 * store_pg.h - what the PostgreSQL driver's files share (store_db_pg.c,
 * store_schema_pg.c, store_body_pg.c).  Not for use outside libcommon.
 */
#ifndef EMS_STORE_PG_H
#define EMS_STORE_PG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct store;
struct spool;

/* Message bodies are stored in rows of this many bytes (the last one
 * shorter; an empty body is one empty row), so that no body is ever
 * whole in memory on either side. */
#define STORE_PG_CHUNK (64 * 1024)

/* *OUT gets the first column of the first row of SQL (a query without
 * parameters): 0; 1 when it returned no row; -1 on failure (recorded on
 * ST for the driver's classify()/errmsg(), not logged). */
int store_pg_query_int(struct store *st, const char *sql, int64_t *out);

/* The driver's schema_apply() and schema_version() (store_schema_pg.c). */
int store_pg_schema_apply(struct store *st);
int store_pg_schema_version(struct store *st);

#endif
