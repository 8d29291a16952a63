/*
 * store_migrate.h - moving a site from the SQLite store to PostgreSQL
 * (`oomgr migrate store to postgresql CONNINFO`; part of store.h).
 *
 * The copy goes table by table in the order foreign keys need, each row
 * keeping its id.  Tables with a rowid go in batches of at most
 * STORE_MIGRATE_BATCH rows (and STORE_MIGRATE_BATCH_BYTES of bodies),
 * each batch one transaction in PostgreSQL that also records how far the
 * table got (table ems_migration there); the small tables without a rowid
 * go whole, in one transaction each.  Run again after an interruption
 * (a kill, a lost connection), the copy goes on after the last committed
 * batch.  Message reference counts are not copied: PostgreSQL's triggers
 * count them again as the entries and queue items arrive, and the check
 * at the end compares them with the source.
 *
 * The source must not change meanwhile: the caller makes sure the suite
 * is stopped (store_file_in_use()).
 */
#ifndef EMS_STORE_MIGRATE_H
#define EMS_STORE_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define STORE_MIGRATE_BATCH       500
#define STORE_MIGRATE_BATCH_BYTES (64L * 1024 * 1024)

/* Called after every batch: TABLE has DONE of TOTAL rows copied; BYTES of
 * message bodies have been copied in all. */
typedef void store_migrate_progress(void *ctx, const char *table, int64_t done,
                                    int64_t total, int64_t bytes);

/*
 * Copies the SQLite store FROM (opened read only; its schema version must
 * be STORE_SCHEMA_VERSION: open it once with this ems first) into DST, a
 * PostgreSQL store; large bodies pass through spool files in SPOOL_DIR
 * (paths.spool_dir).  A DST that holds persons or messages and no record
 * of an earlier migration is refused, as is an SQLite DST.  At the end
 * every table's row count and the sum of reference counts are compared;
 * PROBLEM (PROBLEM_LEN bytes) gets the first difference.  Returns 0, or
 * -1 with PROBLEM saying why (also logged).
 */
int store_migrate(const char *from, struct store *dst, const char *spool_dir,
                  store_migrate_progress *progress, void *ctx, char *problem,
                  size_t problem_len);

#endif
