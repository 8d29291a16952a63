/*
 * store_migrate.c - copying an SQLite store into a PostgreSQL one; see
 * store_migrate.h.  The source is read with SQLite's own API (it is a
 * file, like store_backup.c's); the destination is written through the
 * store's statement interface.
 */
#include "store_internal.h"
#include "store_migrate.h"
#include "log.h"
#include "spool.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_MAX   1024
#define COLS_MAX  24

/* A table to copy, in an order its foreign keys allow.  The SQL buffers
 * are static so that their addresses, the statement cache's keys, stay
 * the same for the life of the destination handle. */
struct table {
	const char *name;
	bool rowid;            /* batches by rowid; else copied whole */
	bool body;             /* message bodies: through the body seam */
	int ncols;
	char cols[COLS_MAX][32];
	char insert[SQL_MAX];  /* destination: INSERT INTO name (...) VALUES (?1...) */
	char count[SQL_MAX];   /* destination: SELECT count(*) FROM name */
	char sequence[SQL_MAX]; /* destination: the identity past the last id */
};

static struct table tables[] = {
	{ .name = "domains", .rowid = true },
	{ .name = "persons", .rowid = true },
	{ .name = "aliases", .rowid = true },
	{ .name = "dlists", .rowid = true },
	{ .name = "dlist_members", .rowid = true },
	{ .name = "messages", .rowid = true },
	{ .name = "message_bodies", .rowid = true, .body = true },
	{ .name = "mailboxes", .rowid = true },
	{ .name = "entries" },
	{ .name = "queue", .rowid = true },
	{ .name = "outbound", .rowid = true },
	{ .name = "vacation_sent" },
	{ .name = "auth_failures" },
	{ .name = "person_secrets", .rowid = true },
	{ .name = "stat_samples" },
	{ .name = "subscriptions" },
	{ .name = "sieve_scripts" },
};
#define NTABLES (sizeof tables / sizeof tables[0])

/* What one run carries around. */
struct run {
	sqlite3 *src;
	struct store *dst;
	const char *spool_dir;
	store_migrate_progress *progress;
	void *ctx;
	int64_t bytes;
	char *problem;
	size_t problem_len;
};

static int say(struct run *r, const char *fmt, const char *a, const char *b)
{
	snprintf(r->problem, r->problem_len, fmt, a, b);
	log_error("store_migrate", "error=%s", log_quote(r->problem));
	return -1;
}

static int src_fail(struct run *r, const char *what)
{
	return say(r, "reading the SQLite store (%s): %s", what, sqlite3_errmsg(r->src));
}

static int dst_fail(struct run *r, const char *what)
{
	return say(r, "writing the PostgreSQL store (%s) failed%s", what,
	           store_error_transient(r->dst) ? " for now: run the migration again" : "");
}

static int64_t src_number(struct run *r, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t n = -1;
	if (sqlite3_prepare_v2(r->src, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* ---- the tables' columns and the SQL built from them ---- */

static int load_columns(struct run *r, struct table *t)
{
	char sql[SQL_MAX];
	sqlite3_stmt *s = NULL;
	snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s') ORDER BY cid",
	         t->name);
	if (sqlite3_prepare_v2(r->src, sql, -1, &s, NULL) != SQLITE_OK)
		return src_fail(r, t->name);
	t->ncols = 0;
	while (sqlite3_step(s) == SQLITE_ROW && t->ncols < COLS_MAX)
		snprintf(t->cols[t->ncols++], sizeof t->cols[0], "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (t->ncols == 0)
		return say(r, "the SQLite store has no table %s%s", t->name, "");
	return 0;
}

static bool has_column(const struct table *t, const char *col)
{
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i], col) == 0)
			return true;
	return false;
}

/* "a, b, c" of T's columns into BUF. */
static void column_list(const struct table *t, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < t->ncols && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
		                         t->cols[i]);
}

static void build_sql(struct table *t)
{
	char cols[SQL_MAX / 2], params[SQL_MAX / 2];
	size_t used = 0;
	column_list(t, cols, sizeof cols);
	params[0] = '\0';
	for (int i = 0; i < t->ncols && used < sizeof params; i++)
		used += (size_t)snprintf(params + used, sizeof params - used, "%s?%d",
		                         i ? ", " : "", i + 1);
	snprintf(t->insert, sizeof t->insert, "INSERT INTO %s (%s) VALUES (%s)", t->name,
	         cols, params);
	snprintf(t->count, sizeof t->count, "SELECT count(*) FROM %s", t->name);
	snprintf(t->sequence, sizeof t->sequence,
	         "SELECT setval(pg_get_serial_sequence('%s', 'id'),"
	         " GREATEST((SELECT max(id) FROM %s), 1))", t->name, t->name);
}

/* ---- progress kept in the destination ---- */

static int progress_table(struct run *r, bool *resumed)
{
	struct store_stmt *s = store_stmt(r->dst, "SELECT to_regclass('ems_migration') IS NOT NULL");
	if (s == NULL || store_step_row(r->dst, s, "migrate", "no answer") < 0)
		return dst_fail(r, "ems_migration");
	*resumed = store_col_int(s, 0) != 0;
	store_reset(s);
	return store_exec(r->dst, "CREATE TABLE IF NOT EXISTS ems_migration ("
	                          "  tbl TEXT PRIMARY KEY,"
	                          "  last_rowid BIGINT NOT NULL DEFAULT 0,"
	                          "  copied BIGINT NOT NULL DEFAULT 0,"
	                          "  complete INTEGER NOT NULL DEFAULT 0)") < 0
	           ? dst_fail(r, "ems_migration")
	           : 0;
}

/* How far table NAME got: *LAST rowid, *COPIED rows, *COMPLETE. */
static int progress_get(struct run *r, const char *name, int64_t *last, int64_t *copied,
                        bool *complete)
{
	*last = 0, *copied = 0, *complete = false;
	struct store_stmt *s = store_stmt(r->dst, "SELECT last_rowid, copied, complete"
	                                          " FROM ems_migration WHERE tbl = ?1");
	if (s == NULL)
		return dst_fail(r, "ems_migration");
	store_bind_text(s, 1, name);
	int rc = store_step(r->dst, s, "migrate");
	if (rc == STORE_ROW) {
		*last = store_col_int64(s, 0);
		*copied = store_col_int64(s, 1);
		*complete = store_col_int(s, 2) != 0;
	}
	store_reset(s);
	return rc < 0 ? dst_fail(r, "ems_migration") : 0;
}

static int progress_put(struct run *r, const char *name, int64_t last, int64_t copied,
                        bool complete)
{
	struct store_stmt *s = store_stmt(r->dst,
	    "INSERT INTO ems_migration (tbl, last_rowid, copied, complete)"
	    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tbl) DO UPDATE SET"
	    " last_rowid = excluded.last_rowid, copied = excluded.copied,"
	    " complete = excluded.complete");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, name);
	store_bind_int64(s, 2, last);
	store_bind_int64(s, 3, copied);
	store_bind_int64(s, 4, complete ? 1 : 0);
	return store_exec_stmt(r->dst, s, "migrate");
}

/* ---- rows ---- */

/* Binds column I (0-based) of the source row SRC to parameter I + 1 of
 * DST, as the value's own type.  Reference counts start at 0: the
 * destination's triggers count them again. */
static void bind_value(const struct table *t, sqlite3_stmt *src, int si,
                       struct store_stmt *dst, int i)
{
	if (strcmp(t->name, "messages") == 0 && strcmp(t->cols[i], "refcount") == 0) {
		store_bind_int64(dst, i + 1, 0);
		return;
	}
	switch (sqlite3_column_type(src, si)) {
	case SQLITE_INTEGER:
		store_bind_int64(dst, i + 1, sqlite3_column_int64(src, si));
		break;
	case SQLITE_NULL:
		store_bind_null(dst, i + 1);
		break;
	case SQLITE_BLOB:
		store_bind_blob(dst, i + 1, sqlite3_column_blob(src, si),
		                (size_t)sqlite3_column_bytes(src, si));
		break;
	default:
		store_bind_text(dst, i + 1, (const char *)sqlite3_column_text(src, si));
		break;
	}
}

/* Copies the source row S (its columns from FIRST on) into T. */
static int copy_row(struct run *r, const struct table *t, sqlite3_stmt *s, int first)
{
	struct store_stmt *d = store_stmt(r->dst, t->insert);
	if (d == NULL)
		return dst_fail(r, t->name);
	for (int i = 0; i < t->ncols; i++)
		bind_value(t, s, first + i, d, i);
	return store_exec_stmt(r->dst, d, "migrate") < 0 ? dst_fail(r, t->name) : 0;
}

/* Copies the body of message ID (LEN bytes) through a spool file, a
 * chunk at a time, so a large message never sits whole in memory. */
static int copy_body(struct run *r, int64_t id, int64_t len)
{
	sqlite3_blob *blob = NULL;
	struct spool *sp = spool_new(r->spool_dir);
	char buf[SPOOL_CHUNK];
	int rc = sp == NULL ? SQLITE_NOMEM
	                    : sqlite3_blob_open(r->src, "main", "message_bodies", "body", id,
	                                        0, &blob);
	for (int64_t off = 0; rc == SQLITE_OK && off < len;) {
		int n = len - off < (int64_t)sizeof buf ? (int)(len - off) : (int)sizeof buf;
		rc = sqlite3_blob_read(blob, buf, n, (int)off);
		if (rc == SQLITE_OK && spool_write(sp, buf, (size_t)n) < 0)
			rc = SQLITE_IOERR;
		off += n;
	}
	sqlite3_blob_close(blob);
	if (rc != SQLITE_OK) {
		spool_free(sp);
		return src_fail(r, "message_bodies");
	}
	int ok = store_body_write_spool(r->dst, id, sp);
	spool_free(sp);
	r->bytes += len;
	return ok < 0 ? dst_fail(r, "message_bodies") : 0;
}

/* Copies the rows of one batch of S (rowid first, then the columns, or
 * for bodies the length); *LAST gets the last rowid, *N the count. */
static int copy_batch(struct run *r, const struct table *t, sqlite3_stmt *s,
                      int64_t *last, int64_t *n)
{
	int rc;
	int64_t bytes = 0;
	while (bytes < STORE_MIGRATE_BATCH_BYTES && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		int ok;
		if (t->body) {
			bytes += sqlite3_column_int64(s, 1);
			ok = copy_body(r, id, sqlite3_column_int64(s, 1));
		} else {
			ok = copy_row(r, t, s, 1);
		}
		if (ok < 0)
			return -1;
		*last = id;
		(*n)++;
	}
	if (bytes < STORE_MIGRATE_BATCH_BYTES && rc != SQLITE_DONE)
		return src_fail(r, t->name);
	return 0;
}

/* ---- tables ---- */

static int copy_by_rowid(struct run *r, struct table *t, int64_t total)
{
	char sql[SQL_MAX], cols[SQL_MAX / 2];
	int64_t last, copied;
	bool complete;
	if (progress_get(r, t->name, &last, &copied, &complete) < 0)
		return -1;
	if (complete)
		return 0;
	column_list(t, cols, sizeof cols);
	if (t->body)
		snprintf(cols, sizeof cols, "length(body)");
	snprintf(sql, sizeof sql,
	         "SELECT rowid, %s FROM %s WHERE rowid > ?1 ORDER BY rowid LIMIT %d", cols,
	         t->name, STORE_MIGRATE_BATCH);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(r->src, sql, -1, &s, NULL) != SQLITE_OK)
		return src_fail(r, t->name);
	for (;;) {
		int64_t n = 0;
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, last);
		if (store_begin(r->dst) < 0) {
			sqlite3_finalize(s);
			return dst_fail(r, "begin");
		}
		if (copy_batch(r, t, s, &last, &n) < 0 ||
		    progress_put(r, t->name, last, copied + n, n == 0) < 0 ||
		    store_commit(r->dst) < 0) {
			store_rollback(r->dst);
			sqlite3_finalize(s);
			return r->problem[0] ? -1 : dst_fail(r, t->name);
		}
		copied += n;
		if (r->progress != NULL)
			r->progress(r->ctx, t->name, copied, total, r->bytes);
		if (n == 0)
			break;
	}
	sqlite3_finalize(s);
	return 0;
}

static int copy_whole(struct run *r, struct table *t, int64_t total)
{
	char sql[SQL_MAX], cols[SQL_MAX / 2];
	int64_t last, copied = 0;
	bool complete;
	if (progress_get(r, t->name, &last, &copied, &complete) < 0)
		return -1;
	if (complete)
		return 0;
	column_list(t, cols, sizeof cols);
	snprintf(sql, sizeof sql, "SELECT %s FROM %s", cols, t->name);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(r->src, sql, -1, &s, NULL) != SQLITE_OK)
		return src_fail(r, t->name);
	int rc = store_begin(r->dst) < 0 ? -1 : 0;
	copied = 0;
	int step;
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
		rc = copy_row(r, t, s, 0);
		copied++;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = src_fail(r, t->name);
	sqlite3_finalize(s);
	if (rc < 0 || progress_put(r, t->name, 0, copied, true) < 0 ||
	    store_commit(r->dst) < 0) {
		store_rollback(r->dst);
		return r->problem[0] ? -1 : dst_fail(r, t->name);
	}
	if (r->progress != NULL)
		r->progress(r->ctx, t->name, copied, total, r->bytes);
	return 0;
}

static int copy_table(struct run *r, struct table *t)
{
	char sql[SQL_MAX];
	if (load_columns(r, t) < 0)
		return -1;
	build_sql(t);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", t->name);
	int64_t total = src_number(r, sql);
	int rc = t->rowid ? copy_by_rowid(r, t, total) : copy_whole(r, t, total);
	if (rc < 0 || t->body || !has_column(t, "id"))
		return rc;
	struct store_stmt *s = store_stmt(r->dst, t->sequence);
	if (s == NULL || store_step_row(r->dst, s, "migrate", "no answer") < 0)
		return dst_fail(r, "identity");
	store_reset(s);
	return 0;
}

/* The high-water mark of UIDVALIDITY values ever given out. */
static int copy_uidvalidity_high(struct run *r)
{
	int64_t v = src_number(r, "SELECT value FROM uidvalidity_high WHERE id = 1");
	if (v < 0)
		return 0;
	struct store_stmt *s = store_stmt(r->dst,
	    "INSERT INTO uidvalidity_high (id, value) VALUES (1, ?1)"
	    " ON CONFLICT (id) DO UPDATE SET value = GREATEST(uidvalidity_high.value,"
	    " excluded.value)");
	if (s == NULL)
		return dst_fail(r, "uidvalidity_high");
	store_bind_int64(s, 1, v);
	return store_exec_stmt(r->dst, s, "migrate") < 0 ? dst_fail(r, "uidvalidity_high") : 0;
}

/* ---- the check at the end ---- */

static int64_t dst_number(struct run *r, const char *sql)
{
	struct store_stmt *s = store_stmt(r->dst, sql);
	if (s == NULL || store_step_row(r->dst, s, "migrate", "no answer") < 0)
		return -1;
	int64_t n = store_col_int64(s, 0);
	store_reset(s);
	return n;
}

static int verify(struct run *r)
{
	char sql[SQL_MAX], a[32], b[32];
	for (size_t i = 0; i < NTABLES; i++) {
		if (tables[i].body)
			continue;   /* bodies are compared by their bytes below */
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i].name);
		int64_t want = src_number(r, sql), got = dst_number(r, tables[i].count);
		if (want != got) {
			snprintf(a, sizeof a, "%lld in SQLite", (long long)want);
			snprintf(b, sizeof b, "%lld in PostgreSQL", (long long)got);
			snprintf(sql, sizeof sql, "rows of table %s: %%s, %%s", tables[i].name);
			return say(r, sql, a, b);
		}
	}
	int64_t bytes = src_number(r, "SELECT coalesce(sum(length(body)), 0) FROM message_bodies");
	int64_t pg_bytes = dst_number(r, "SELECT coalesce(sum(length(data)), 0)"
	                                 " FROM message_chunks");
	if (bytes != pg_bytes) {
		snprintf(a, sizeof a, "%lld", (long long)bytes);
		snprintf(b, sizeof b, "%lld", (long long)pg_bytes);
		return say(r, "message bodies: %s bytes in SQLite, %s in PostgreSQL", a, b);
	}
	int64_t want = src_number(r, "SELECT coalesce(sum(refcount), 0) FROM messages");
	int64_t got = dst_number(r, "SELECT coalesce(sum(refcount), 0) FROM messages");
	if (want != got) {
		snprintf(a, sizeof a, "%lld", (long long)want);
		snprintf(b, sizeof b, "%lld", (long long)got);
		return say(r, "message reference counts: %s in SQLite, %s in PostgreSQL", a, b);
	}
	return 0;
}

/* ---- the whole copy ---- */

static int open_source(struct run *r, const char *from)
{
	if (sqlite3_open_v2(from, &r->src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK)
		return src_fail(r, from);
	int64_t v = src_number(r, "PRAGMA user_version");
	if (v != STORE_SCHEMA_VERSION) {
		char have[32];
		snprintf(have, sizeof have, "%lld", (long long)v);
		return say(r, "%s has schema version %s: open it once with this ems (any "
		              "oomgr statement) so that it migrates, then run this again",
		           from, have);
	}
	return 0;
}

static int refuse_nonempty(struct run *r, bool resumed)
{
	if (resumed)
		return 0;
	int64_t n = dst_number(r, "SELECT (SELECT count(*) FROM persons)"
	                          " + (SELECT count(*) FROM messages)");
	if (n != 0)
		return say(r, "the PostgreSQL store already holds persons or messages%s%s",
		           n < 0 ? " (or cannot be read)" : "", ": migrate into an empty database");
	return 0;
}

int store_migrate(const char *from, struct store *dst, const char *spool_dir,
                  store_migrate_progress *progress, void *ctx, char *problem,
                  size_t problem_len)
{
	struct run r = { .dst = dst, .progress = progress, .ctx = ctx, .problem = problem,
	                 .problem_len = problem_len, .spool_dir = spool_dir };
	bool resumed = false;
	problem[0] = '\0';
	if (strcmp(dst->drv->name, "postgresql") != 0)
		return say(&r, "the destination is an %s store, not PostgreSQL%s", dst->drv->name,
		           "");
	int rc = open_source(&r, from);
	if (rc == 0)
		rc = progress_table(&r, &resumed);
	if (rc == 0)
		rc = refuse_nonempty(&r, resumed);
	for (size_t i = 0; rc == 0 && i < NTABLES; i++)
		rc = copy_table(&r, &tables[i]);
	if (rc == 0)
		rc = copy_uidvalidity_high(&r);
	if (rc == 0)
		rc = verify(&r);
	sqlite3_close(r.src);
	if (rc == 0)
		log_info("store_migrate", "from=%s bytes=%lld result=ok", log_quote(from),
		         (long long)r.bytes);
	return rc;
}
