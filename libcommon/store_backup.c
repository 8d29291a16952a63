/*
 * store_backup.c - whole-store copies and checks of store files for
 * `oomgr backup` and `oomgr restore`; see store_backup.h.  These open
 * their own SQLite connections by path: a struct store would create a
 * missing file and migrate an old one, which a copy or a check must not.
 * SQLite only: they work on store files, which only the SQLite backend
 * has (a PostgreSQL store is copied with PostgreSQL's own tools).
 */
#include "store_internal.h"
#include "log.h"

#include <sqlite3.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Tries after a busy step before the copy gives up, each after at
 * least STORE_COPY_BUSY_PAUSE_MS (the source is read in WAL mode, so only
 * the new file's own lock could be busy, and nobody else knows it). */
#define STORE_COPY_BUSY_TRIES 100
#define STORE_COPY_BUSY_PAUSE_MS 10

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int open_db(const char *path, int flags, int busy_timeout_ms, sqlite3 **db)
{
	int rc = sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(*db, 1);
		sqlite3_busy_timeout(*db, busy_timeout_ms);
	}
	return rc;
}

static int copy_fail(const char *op, const char *path, sqlite3 *db, int rc)
{
	log_error("store_copy", "op=%s path=%s error=%s", op, log_quote(path),
	          log_quote(db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
	return -1;
}

/* TO as a new empty file of mode 0600: a store holds everyone's mail. */
static int create_new(const char *to)
{
	int fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("store_copy", "op=create path=%s error=%s", log_quote(to),
		          log_quote(strerror(errno)));
		return -1;
	}
	close(fd);
	return 0;
}

static int sync_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = fd >= 0 ? fsync(fd) : -1;
	if (rc < 0)
		log_error("store_copy", "op=fsync path=%s error=%s", log_quote(path),
		          log_quote(strerror(errno)));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The steps of the backup API, all from the snapshot SRC holds open. */
static int run_steps(sqlite3_backup *b, const char *to, sqlite3 *dst,
                     const struct store_copy_pace *pace,
                     store_copy_progress *progress, void *ctx, long page_size)
{
	int busy = 0, rc;
	while ((rc = sqlite3_backup_step(b, pace->pages)) != SQLITE_DONE) {
		if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
			if (++busy > STORE_COPY_BUSY_TRIES)
				return copy_fail("step", to, dst, rc);
			pause_ms(STORE_COPY_BUSY_PAUSE_MS);
		} else if (rc != SQLITE_OK) {
			return copy_fail("step", to, dst, rc);
		}
		if (progress != NULL)
			progress(ctx, sqlite3_backup_pagecount(b) - sqlite3_backup_remaining(b),
			         sqlite3_backup_pagecount(b), page_size);
		pause_ms(pace->pause_ms);
	}
	if (progress != NULL)
		progress(ctx, sqlite3_backup_pagecount(b), sqlite3_backup_pagecount(b),
		         page_size);
	return 0;
}

static long page_size_of(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	long size = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		size = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return size;
}

/* Copies SRC (with its read transaction open) into DST. */
static int copy_open(sqlite3 *src, sqlite3 *dst, const char *to,
                     const struct store_copy_pace *pace,
                     store_copy_progress *progress, void *ctx)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	if (b == NULL)
		return copy_fail("backup_init", to, dst, 0);
	int r = run_steps(b, to, dst, pace, progress, ctx, page_size_of(src));
	int rc = sqlite3_backup_finish(b);
	if (r == 0 && rc != SQLITE_OK)
		r = copy_fail("backup_finish", to, dst, rc);
	/* The pages say WAL, as the store's do; a copy at rest is one file
	 * (store_open() turns WAL on again when the copy becomes a store). */
	if (r == 0 && (rc = sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL,
	                                 NULL)) != SQLITE_OK)
		r = copy_fail("journal_mode", to, dst, rc);
	return r;
}

int store_copy(const char *from, const char *to, int busy_timeout_ms,
               const struct store_copy_pace *pace, store_copy_progress *progress,
               void *ctx)
{
	sqlite3 *src = NULL, *dst = NULL;
	int rc, r = -1;

	if (create_new(to) < 0)
		return -1;
	rc = open_db(from, SQLITE_OPEN_READONLY, busy_timeout_ms, &src);
	if (rc != SQLITE_OK) {
		copy_fail("open", from, src, rc);
		goto out;
	}
	/* The snapshot every step reads: one read transaction to the end. */
	rc = sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_schema", NULL, NULL,
	                  NULL);
	if (rc != SQLITE_OK) {
		copy_fail("snapshot", from, src, rc);
		goto out;
	}
	rc = open_db(to, SQLITE_OPEN_READWRITE, busy_timeout_ms, &dst);
	if (rc != SQLITE_OK) {
		copy_fail("open", to, dst, rc);
		goto out;
	}
	r = copy_open(src, dst, to, pace, progress, ctx);
out:
	sqlite3_close(dst);   /* NULL is fine */
	sqlite3_close(src);   /* ends the read transaction */
	if (r == 0)
		r = sync_file(to);
	if (r < 0)
		unlink(to);
	return r;
}

/* ---- checks of a store file ---- */

static int64_t one_number(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static int verdict(struct store_file_info *info, enum store_file_verdict v,
                   const char *problem)
{
	info->verdict = v;
	if (problem != NULL)
		snprintf(info->problem, sizeof info->problem, "%s", problem);
	return v == STORE_FILE_OK ? 0 : -1;
}

/* integrity_check's first line ("ok" when the file is sound). */
static int integrity(sqlite3 *db, struct store_file_info *info)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		/* "file is not a database" and its kind land here */
		verdict(info, (rc & 0xff) == SQLITE_CORRUPT ? STORE_FILE_CORRUPT
		                                            : STORE_FILE_UNREADABLE,
		        sqlite3_errmsg(db));
		sqlite3_finalize(s);
		return -1;
	}
	const char *line = (const char *)sqlite3_column_text(s, 0);
	int ok = line != NULL && strcmp(line, "ok") == 0;
	if (!ok)
		verdict(info, STORE_FILE_CORRUPT, line != NULL ? line : "no result");
	sqlite3_finalize(s);
	return ok ? 0 : -1;
}

static int inspect(sqlite3 *db, struct store_file_info *info)
{
	if (integrity(db, info) < 0)
		return -1;
	info->version = (int)one_number(db, "PRAGMA user_version");
	info->bytes = one_number(db, "PRAGMA page_count") * one_number(db, "PRAGMA page_size");
	if (info->version <= 0 || one_number(db, "SELECT count(*) FROM sqlite_schema "
	                                         "WHERE name = 'persons'") != 1)
		return verdict(info, STORE_FILE_NOT_EMS, "no ems schema in it");
	if (info->version > STORE_SCHEMA_VERSION)
		return verdict(info, STORE_FILE_NEWER, "written by a newer ems");
	info->persons = one_number(db, "SELECT count(*) FROM persons");
	info->messages = one_number(db, "SELECT count(*) FROM messages");
	info->entries = one_number(db, "SELECT count(*) FROM entries");
	return verdict(info, STORE_FILE_OK, "ok");
}

int store_file_check(const char *path, struct store_file_info *info)
{
	sqlite3 *db = NULL;

	memset(info, 0, sizeof *info);
	if (access(path, R_OK) < 0)
		return verdict(info, STORE_FILE_UNREADABLE, strerror(errno));
	int rc = open_db(path, SQLITE_OPEN_READONLY, 0, &db);
	int r = rc == SQLITE_OK ? inspect(db, info)
	                        : verdict(info, STORE_FILE_UNREADABLE,
	                                  db != NULL ? sqlite3_errmsg(db)
	                                             : sqlite3_errstr(rc));
	sqlite3_close(db);
	return r;
}

/* ---- is the live store in use? ---- */

int store_file_in_use(const char *path)
{
	sqlite3 *db = NULL;

	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	int rc = open_db(path, SQLITE_OPEN_READWRITE, 0, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE", NULL,
		                  NULL, NULL);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		sqlite3_close(db);
		return 1;
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
		                  NULL);
	int r = rc == SQLITE_OK ? 0 : copy_fail("lock", path, db, rc);
	sqlite3_close(db);
	return r;
}
