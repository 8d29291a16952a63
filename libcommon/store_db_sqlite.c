/*
 * store_db_sqlite.c - store_driver_sqlite: the store in one SQLite file
 * (WAL mode, synchronous=FULL, a short-polling busy handler), and the
 * SQLite versions of the message body I/O (incremental blob reads and
 * writes); see store_driver.h and store_internal.h.
 */
#include "store_internal.h"
#include "store_checkpointer.h"
#include "log.h"
#include "spool.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* How often a writer waiting for the lock tries again. */
#define STORE_BUSY_POLL_US 500

struct sqlite_conn {
	sqlite3 *db;
	int rc;         /* the last failure's (extended) result code */
	bool nowait;    /* store_open_nowait(): no waits, no syncs */
	bool lazy;      /* synchronous=NORMAL now (a lazy transaction) */
};

static struct sqlite_conn *conn(const struct store *st)
{
	return st->conn;
}

static sqlite3 *db_of(const struct store *st)
{
	return conn(st)->db;
}

/* Records RC on ST when it is a failure; returns 0 or -1. */
static int check(struct store *st, int rc)
{
	if (rc == SQLITE_OK)
		return 0;
	conn(st)->rc = rc;
	return -1;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Waits for another writer's lock up to the busy timeout.  SQLite's own
 * handler sleeps in steps that grow to 100 ms; the writers ems has in
 * one process (a store pool's threads, the loop) hold the lock for one
 * commit, a few milliseconds, so a short poll answers their clients
 * sooner. */
static int busy_wait(void *arg, int count)
{
	struct store *st = arg;
	uint64_t now = now_us();
	if (count == 0)
		st->busy_since = now;
	if (now - st->busy_since >= (uint64_t)st->busy_ms * 1000u)
		return 0;
	usleep(STORE_BUSY_POLL_US);
	return 1;
}

/* After each commit, with the log's size: past the mark, the process's
 * checkpointer is woken, so the commit that crossed it returns at once;
 * without one, or when the log has grown far past it, this handle
 * checkpoints as SQLite's own hook would (store_checkpointer.h). */
static int wal_committed(void *arg, sqlite3 *db, const char *name, int pages)
{
	(void)arg;
	if (pages < STORE_WAL_CHECKPOINT_PAGES)
		return SQLITE_OK;
	if (pages < STORE_WAL_INLINE_PAGES && store_checkpointer_wake())
		return SQLITE_OK;
	sqlite3_wal_checkpoint(db, name);   /* BUSY: another one is running */
	return SQLITE_OK;
}

static int sq_exec(struct store *st, const char *sql)
{
	return check(st, sqlite3_exec(db_of(st), sql, NULL, NULL, NULL));
}

/* Per-connection settings; synchronous=FULL makes a commit durable, which
 * is what acknowledging mail relies on. */
static int sq_open(struct store *st, const char *target, int busy_ms, bool nowait)
{
	struct sqlite_conn *c = calloc(1, sizeof *c);
	if (c == NULL) {
		log_error("store_open", "path=%s error=\"out of memory\"", log_quote(target));
		return -1;
	}
	st->conn = c;
	c->nowait = nowait;
	int rc = sqlite3_open_v2(target, &c->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                             SQLITE_OPEN_NOMUTEX,
	                         NULL);
	if (rc != SQLITE_OK) {
		log_error("store_open", "path=%s error=%s", log_quote(target),
		          log_quote(c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc)));
		return -1;
	}
	sqlite3_extended_result_codes(c->db, 1);
	/* replaces SQLite's automatic checkpoint (a nowait handle then turns
	 * checkpoints off altogether: sq_schema_apply) */
	sqlite3_wal_hook(c->db, wal_committed, NULL);
	st->busy_ms = busy_ms;
	sqlite3_busy_handler(c->db, busy_wait, st);
	if (store_exec(st, "PRAGMA foreign_keys=ON;"
	                   "PRAGMA synchronous=FULL;") < 0) {
		log_error("store_open", "path=%s error=\"store not usable\"", log_quote(target));
		return -1;
	}
	return 0;
}

static void sq_close(struct store *st)
{
	struct sqlite_conn *c = conn(st);
	if (c == NULL)
		return;
	sqlite3_close(c->db);
	free(c);
	st->conn = NULL;
}

static int sq_schema_apply(struct store *st)
{
	if (store_schema_sqlite_apply(st) < 0)
		return -1;
	/* NORMAL in WAL mode: a commit writes the log without fsync; the
	 * checkpoints (which do sync) are left to the other handles */
	if (conn(st)->nowait)
		return store_exec(st, "PRAGMA synchronous=NORMAL;"
		                      "PRAGMA wal_autocheckpoint=0;");
	return 0;
}

static void *sq_prepare(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	if (check(st, sqlite3_prepare_v3(db_of(st), sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
	                                 NULL)) < 0)
		return NULL;
	return s;
}

static void sq_finalize(void *stmt)
{
	sqlite3_finalize(stmt);
}

static void sq_reset(void *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

static bool sq_busy(void *stmt)
{
	return sqlite3_stmt_busy(stmt) != 0;
}

static void sq_bind_int64(void *stmt, int i, int64_t v)
{
	sqlite3_bind_int64(stmt, i, v);
}

static void sq_bind_text(void *stmt, int i, const char *v)
{
	sqlite3_bind_text(stmt, i, v, -1, SQLITE_STATIC);
}

static void sq_bind_blob(void *stmt, int i, const void *p, size_t n)
{
	sqlite3_bind_blob64(stmt, i, p, n, SQLITE_STATIC);
}

static void sq_bind_null(void *stmt, int i)
{
	sqlite3_bind_null(stmt, i);
}

static int sq_step(struct store *st, void *stmt)
{
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		return STORE_ROW;
	if (rc == SQLITE_DONE)
		return STORE_DONE;
	conn(st)->rc = rc;
	return -1;
}

static int64_t sq_col_int64(void *stmt, int i)
{
	return sqlite3_column_int64(stmt, i);
}

static bool sq_col_null(void *stmt, int i)
{
	return sqlite3_column_type(stmt, i) == SQLITE_NULL;
}

static const char *sq_col_text(void *stmt, int i)
{
	return (const char *)sqlite3_column_text(stmt, i);
}

static const void *sq_col_blob(void *stmt, int i, size_t *len)
{
	const void *p = sqlite3_column_blob(stmt, i);
	*len = (size_t)sqlite3_column_bytes(stmt, i);
	return p;
}

static int64_t sq_changes(struct store *st)
{
	return sqlite3_changes64(db_of(st));
}

/* synchronous=NORMAL for a lazy transaction, FULL again after it (a
 * nowait handle stays NORMAL).  Set outside the transaction: in WAL mode
 * a NORMAL commit writes the log without fsync, which a power cut may
 * lose whole but never tear. */
static int set_lazy(struct store *st, bool lazy)
{
	struct sqlite_conn *c = conn(st);
	if (c->nowait || c->lazy == lazy)
		return 0;
	c->lazy = lazy;
	return sq_exec(st, lazy ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
}

static int sq_begin(struct store *st)
{
	if (set_lazy(st, st->lazy) < 0)
		return -1;
	return sq_exec(st, "BEGIN IMMEDIATE");
}

static int sq_commit(struct store *st)
{
	int rc = sq_exec(st, "COMMIT");
	if (rc == 0)
		set_lazy(st, false);
	return rc;
}

static void sq_rollback(struct store *st)
{
	if (sqlite3_get_autocommit(db_of(st)) == 0)
		sqlite3_exec(db_of(st), "ROLLBACK", NULL, NULL, NULL);
	set_lazy(st, false);
}

/* SQLite rolls a transaction back by itself after some errors (disk
 * full, I/O, out of memory); then it is back in autocommit mode. */
static bool sq_in_tx(struct store *st)
{
	return !sqlite3_get_autocommit(db_of(st));
}

static enum store_error sq_classify(struct store *st)
{
	int rc = conn(st)->rc;
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return STORE_E_EXISTS;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return STORE_E_NOTFOUND;   /* it points at something not there */
	default:
		break;
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_NOMEM:
	case SQLITE_CANTOPEN:
	case SQLITE_PROTOCOL:
		return STORE_E_TRANSIENT;
	case SQLITE_CONSTRAINT:
	case SQLITE_TOOBIG:
		return STORE_E_INVALID;
	default:
		return STORE_E_FAILED;
	}
}

static const char *sq_errmsg(struct store *st)
{
	return sqlite3_errmsg(db_of(st));
}

const struct store_driver store_driver_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.schema_apply = sq_schema_apply,
	.schema_version = store_schema_sqlite_version,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.reset = sq_reset,
	.busy = sq_busy,
	.bind_int64 = sq_bind_int64,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.col_int64 = sq_col_int64,
	.col_null = sq_col_null,
	.col_text = sq_col_text,
	.col_blob = sq_col_blob,
	.changes = sq_changes,
	.exec = sq_exec,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.in_tx = sq_in_tx,
	.classify = sq_classify,
	.errmsg = sq_errmsg,
};

/* ---- checkpoints ---- */

int store_sqlite_checkpoint(struct store *st, bool quiet, int *wal_pages)
{
	sqlite3 *db = db_of(st);
	int log = 0, done = 0;
	/* PASSIVE: never waits for readers; what they still need is copied
	 * next time, and SQLite starts the log over once all of it is in. */
	int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
	if (!quiet)
		return check(st, rc) == 0 ? 0 : store_fail(st, "checkpoint");
	if (rc == SQLITE_OK && log > 0 && done == log)
		/* Nobody needs the old frames: empty the file too.  BUSY means a
		 * reader or writer came in between; the log stays for next time. */
		rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		check(st, rc);
		return store_fail(st, "checkpoint");
	}
	if (wal_pages != NULL)
		*wal_pages = log > 0 ? log - done : 0;
	return 0;
}

/* ---- message bodies: incremental blob I/O ---- */

/* Copies spool SP into the body of row ID, inserted with a zeroblob of
 * its size, a chunk at a time: the message never sits whole in memory. */
static int copy_spool(struct store *st, int64_t id, const struct spool *sp)
{
	char buf[SPOOL_CHUNK];
	sqlite3_blob *blob = NULL;
	int rc = sqlite3_blob_open(db_of(st), "main", "message_bodies", "body", id, 1, &blob);
	uint64_t off = 0, size = spool_size(sp);
	while (rc == SQLITE_OK && off < size) {
		ssize_t n = spool_read(sp, off, buf, size - off < sizeof buf ? (size_t)(size - off)
		                                                           : sizeof buf);
		if (n <= 0) {
			sqlite3_blob_close(blob);
			return store_fail_kind(st, STORE_E_TRANSIENT, "message_put",
			                       "spool file unreadable");
		}
		rc = sqlite3_blob_write(blob, buf, (int)n, (int)off);
		off += (uint64_t)n;
	}
	int crc = sqlite3_blob_close(blob);
	if (rc == SQLITE_OK)
		rc = crc;
	return check(st, rc) == 0 ? 0 : store_fail(st, "message_put");
}

int store_sqlite_body_write(struct store *st, int64_t id, const void *data, size_t len)
{
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO message_bodies (id, body) VALUES (?1, ?2)");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, id);
	store_bind_blob(s, 2, len ? data : "", len);
	return store_exec_stmt(st, s, "message_put");
}

int store_sqlite_body_write_spool(struct store *st, int64_t id, const struct spool *sp)
{
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO message_bodies (id, body) VALUES (?1, zeroblob(?2))");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, id);
	store_bind_int64(s, 2, (int64_t)spool_size(sp));
	if (store_exec_stmt(st, s, "message_put") < 0)
		return -1;
	return copy_spool(st, id, sp);
}

ssize_t store_sqlite_body_read(struct store *st, int64_t id, size_t off, void *buf, size_t n)
{
	sqlite3_blob *blob = NULL;
	int rc = sqlite3_blob_open(db_of(st), "main", "message_bodies", "body", id, 0, &blob);
	if (rc != SQLITE_OK) {
		sqlite3_blob_close(blob);
		/* SQLITE_ERROR here means "no such row" */
		if (rc == SQLITE_ERROR)
			return store_fail_kind(st, STORE_E_NOTFOUND, "message_read", "no such message");
		check(st, rc);
		return store_fail(st, "message_read");
	}
	size_t size = (size_t)sqlite3_blob_bytes(blob);
	size_t len = off >= size ? 0 : (size - off < n ? size - off : n);
	if (len > 0)   /* a blob is below 2 GiB, so both fit an int */
		rc = sqlite3_blob_read(blob, buf, (int)len, (int)off);
	sqlite3_blob_close(blob);
	if (check(st, rc) < 0)
		return store_fail(st, "message_read");
	return (ssize_t)len;
}
