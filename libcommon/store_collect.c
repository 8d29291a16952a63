/*
 * store_collect.c - garbage removal in the store, for the collector:
 * purging expunge marks and finished queue items, deleting messages that
 * nothing references, and (SQLite only) incremental vacuum and WAL
 * checkpoints.  Each call
 * does a bounded amount of work so that no transaction blocks the
 * delivering processes for long; see store_queue.h.
 */
#include "store_internal.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Runs S (bound to BEFORE and LIMIT) and reports the rows it deleted. */
static int purge(struct store *st, struct store_stmt *s, int64_t before, int limit,
                 const char *op, int64_t *n)
{
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, before);
	store_bind_int64(s, 2, limit > 0 ? limit : 0);
	if (store_exec_stmt(st, s, op) < 0)
		return -1;
	if (n != NULL)
		*n = store_changes(st);
	return 0;
}

int store_collect_expunged(struct store *st, int64_t before, int limit, int64_t *n)
{
	struct store_stmt *s = store_stmt(st,
	    "DELETE FROM entries WHERE (mailbox_id, uid) IN (SELECT mailbox_id, uid"
	    " FROM entries WHERE expunged IS NOT NULL AND expunged < ?1 LIMIT ?2)");
	return purge(st, s, before, limit, "collect_expunged", n);
}

int store_collect_queues(struct store *st, int64_t before, int limit, int64_t *n)
{
	int64_t a = 0, b = 0;
	if (store_tx_begin(st) < 0)
		return -1;
	if (purge(st, store_stmt(st,
	              "DELETE FROM queue WHERE id IN (SELECT id FROM queue"
	              " WHERE state <> 'queued' AND finished < ?1 LIMIT ?2)"),
	          before, limit, "collect_queue", &a) < 0 ||
	    purge(st, store_stmt(st,
	              "DELETE FROM outbound WHERE id IN (SELECT id FROM outbound"
	              " WHERE state <> 'queued' AND finished < ?1 LIMIT ?2)"),
	          before, limit, "collect_outbound", &b) < 0) {
		store_tx_rollback(st);
		return -1;
	}
	if (store_tx_commit(st) < 0)
		return -1;
	if (n != NULL)
		*n = a + b;
	return 0;
}

int store_collect_messages(struct store *st, int64_t before, int limit, int64_t *n)
{
	/* The NOT EXISTS guard keeps messages that expunge marks or finished
	 * queue items still point at until those are purged. */
	struct store_stmt *s = store_stmt(st,
	    "DELETE FROM messages WHERE id IN (SELECT id FROM messages g"
	    " WHERE refcount <= 0 AND stored < ?1"
	    " AND NOT EXISTS (SELECT 1 FROM entries WHERE message_id = g.id)"
	    " AND NOT EXISTS (SELECT 1 FROM queue WHERE message_id = g.id)"
	    " AND NOT EXISTS (SELECT 1 FROM outbound WHERE message_id = g.id)"
	    " LIMIT ?2)");
	return purge(st, s, before, limit, "collect_messages", n);
}

/* PostgreSQL vacuums and checkpoints by itself (autovacuum, the
 * checkpointer): there the calls below have nothing to do. */
static bool self_maintained(const struct store *st)
{
	return st->drv != &store_driver_sqlite;
}

int store_vacuum_step(struct store *st, int pages)
{
	if (self_maintained(st))
		return 0;
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA incremental_vacuum(%d)", pages > 0 ? pages : 1);
	return store_exec(st, sql);
}

int store_checkpoint(struct store *st)
{
	if (self_maintained(st))
		return 0;
	return store_sqlite_checkpoint(st, false, NULL);
}

int store_checkpoint_quiet(struct store *st, int *wal_pages)
{
	if (self_maintained(st)) {
		if (wal_pages != NULL)
			*wal_pages = 0;
		return 0;
	}
	return store_sqlite_checkpoint(st, true, wal_pages);
}

/* The integer a one-row pragma returns. */
static int pragma_int(struct store *st, const char *sql, int64_t *out)
{
	struct store_stmt *s = store_stmt(st, sql);
	if (s == NULL || store_step_row(st, s, "pragma", sql) < 0)
		return -1;
	*out = store_col_int64(s, 0);
	store_reset(s);
	return 0;
}

int store_page_counts(struct store *st, int64_t *pages, int64_t *free_pages,
                      int64_t *page_size)
{
	if (self_maintained(st)) {
		/* the database's size in blocks; free space is PostgreSQL's own */
		*free_pages = 0;
		if (pragma_int(st, "SELECT current_setting('block_size')::bigint", page_size) < 0 ||
		    pragma_int(st, "SELECT pg_database_size(current_database())", pages) < 0)
			return -1;
		*pages /= *page_size;   /* a block is never 0 bytes */
		return 0;
	}
	return pragma_int(st, "PRAGMA page_count", pages) < 0 ||
	       pragma_int(st, "PRAGMA freelist_count", free_pages) < 0 ||
	       pragma_int(st, "PRAGMA page_size", page_size) < 0 ? -1 : 0;
}

static int64_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

int store_size(struct store *st, int64_t *bytes)
{
	if (strcmp(store_backend(st), "sqlite") == 0) {
		char wal[4200];
		snprintf(wal, sizeof wal, "%s-wal", st->path);
		*bytes = file_size(st->path) + file_size(wal);
		return 0;
	}
	int64_t pages, free_pages, page_size;
	if (store_page_counts(st, &pages, &free_pages, &page_size) < 0)
		return -1;
	*bytes = pages * page_size;
	return 0;
}

const char *store_path(const struct store *st)
{
	return st->path;
}
