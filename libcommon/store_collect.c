/*
 * store_collect.c - garbage removal in the store, for the collector:
 * purging expunge marks and finished queue items, deleting messages that
 * nothing references, incremental vacuum and WAL checkpoints.  Each call
 * does a bounded amount of work so that no transaction blocks the
 * delivering processes for long; see store_queue.h.
 */
#include "store_internal.h"
#include "log.h"

#include <stdio.h>

/* Runs S (bound to BEFORE and LIMIT) and reports the rows it deleted. */
static int purge(struct store *st, sqlite3_stmt *s, int64_t before, int limit,
                 const char *op, int64_t *n)
{
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int(s, 2, limit > 0 ? limit : 0);
	if (store_exec_stmt(st, s, op) < 0)
		return -1;
	if (n != NULL)
		*n = sqlite3_changes(st->db);
	return 0;
}

int store_collect_expunged(struct store *st, int64_t before, int limit, int64_t *n)
{
	sqlite3_stmt *s = store_stmt(st,
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
	sqlite3_stmt *s = store_stmt(st,
	    "DELETE FROM messages WHERE id IN (SELECT id FROM messages g"
	    " WHERE refcount <= 0 AND stored < ?1"
	    " AND NOT EXISTS (SELECT 1 FROM entries WHERE message_id = g.id)"
	    " AND NOT EXISTS (SELECT 1 FROM queue WHERE message_id = g.id)"
	    " AND NOT EXISTS (SELECT 1 FROM outbound WHERE message_id = g.id)"
	    " LIMIT ?2)");
	return purge(st, s, before, limit, "collect_messages", n);
}

int store_vacuum_step(struct store *st, int pages)
{
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA incremental_vacuum(%d)", pages > 0 ? pages : 1);
	return store_exec(st, sql);
}

int store_checkpoint(struct store *st)
{
	/* PASSIVE: never waits for readers; what they still need is copied
	 * next time, and SQLite starts the log over once all of it is in. */
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	                                   NULL, NULL);
	return rc == SQLITE_OK ? 0 : store_fail(st, "checkpoint", rc);
}

int store_checkpoint_quiet(struct store *st, int *wal_pages)
{
	int log = 0, done = 0;
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	                                   &log, &done);
	if (rc == SQLITE_OK && log > 0 && done == log)
		/* Nobody needs the old frames: empty the file too.  BUSY means a
		 * reader or writer came in between; the log stays for next time. */
		rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
		                               &log, &done);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return store_fail(st, "checkpoint", rc);
	if (wal_pages != NULL)
		*wal_pages = log > 0 ? log - done : 0;
	return 0;
}

/* The integer a one-row pragma returns. */
static int pragma_int(struct store *st, const char *sql, int64_t *out)
{
	sqlite3_stmt *s = store_stmt(st, sql);
	if (s == NULL || store_step_row(st, s, "pragma", sql) < 0)
		return -1;
	*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

int store_page_counts(struct store *st, int64_t *pages, int64_t *free_pages,
                      int64_t *page_size)
{
	return pragma_int(st, "PRAGMA page_count", pages) < 0 ||
	       pragma_int(st, "PRAGMA freelist_count", free_pages) < 0 ||
	       pragma_int(st, "PRAGMA page_size", page_size) < 0 ? -1 : 0;
}

const char *store_path(const struct store *st)
{
	return st->path;
}
