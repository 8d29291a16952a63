/*
 * oomgr_backup.c - the `backup` statement of oomgr, and what it shares
 * with `restore` (oomgr_restore.c):
 *
 *   backup FILE [step=PAGES] [pause=MS];
 *
 * copies the store while the suite runs (store_copy(): one snapshot,
 * PAGES per step, a pause of MS between steps), checks the copy and only
 * then gives it the name FILE, so FILE is either the old file or a whole
 * good copy, never half of one.  See oomgr(8), "BACKUP AND RESTORE".
 */
#include "oomgr_backup.h"
#include "oomgr_admin.h"
#include "oomgr_progress.h"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bounds of the statement's step= and pause= (a step of 1 GB at 4 KB
 * pages; a minute between steps). */
#define STORE_COPY_PAGES_MAX    262144
#define STORE_COPY_PAUSE_MS_MAX 60000

static void show_progress(void *ctx, long done, long total, long page_size)
{
	progress_set(ctx, (size_t)done, (size_t)total, (uint64_t)done * (uint64_t)page_size);
}

/* The sentence for a file store_file_check() did not take. */
static int say_verdict(const char *path, const struct store_file_info *info)
{
	switch (info->verdict) {
	case STORE_FILE_CORRUPT:
		return oomgr_fail("%s fails the integrity check: %s.", path, info->problem);
	case STORE_FILE_NOT_EMS:
		return oomgr_fail("%s is an SQLite database but not an ems store (%s).", path,
		                  info->problem);
	case STORE_FILE_NEWER:
		return oomgr_fail("%s has schema version %d; this ems understands up to %d: "
		                  "use the ems that wrote it.", path, info->version,
		                  STORE_SCHEMA_VERSION);
	case STORE_FILE_UNREADABLE:
		return oomgr_fail("Cannot read %s as a store: %s.", path, info->problem);
	case STORE_FILE_OK:
		break;
	}
	return 0;
}

int backup_copy_checked(struct oomgr *o, const char *from, const char *tmp,
                        const struct store_copy_pace *pace,
                        struct store_file_info *info)
{
	const struct ems_config *cfg = oomgr_config(o);
	struct progress bar;

	progress_start(&bar, 0, "pages", "pages/s");
	int r = store_copy(from, tmp, (int)config_int(cfg, "store.busy_timeout_ms"), pace,
	                   show_progress, &bar);
	progress_end(&bar);
	if (r < 0) {
		/* The check says in a sentence what SQLite's error said in a log line. */
		if (store_file_check(from, info) < 0)
			return say_verdict(from, info);
		return oomgr_fail("Cannot copy %s to %s (see the messages above).", from, tmp);
	}
	if (store_file_check(tmp, info) < 0) {
		unlink(tmp);   /* the copy is FROM as it was: the sentence names FROM */
		return say_verdict(from, info);
	}
	return 0;
}

static int sync_dir_of(const char *path)
{
	char copy[PATH_MAX];
	snprintf(copy, sizeof copy, "%s", path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd >= 0 ? fsync(fd) : -1;
	if (fd >= 0)
		close(fd);
	return rc;
}

int backup_install(const char *tmp, const char *path)
{
	if (rename(tmp, path) < 0) {
		int err = errno;
		unlink(tmp);
		return oomgr_fail("Cannot rename %s to %s: %s.", tmp, path, strerror(err));
	}
	if (sync_dir_of(path) < 0)
		return oomgr_fail("Cannot sync the directory of %s: %s.", path, strerror(errno));
	return 0;
}

void backup_print_info(const struct store_file_info *info)
{
	printf("schema version %d, %lld person%s, %lld message%s in %lld mailbox entr%s, "
	       "%.1f MB, integrity ok", info->version, (long long)info->persons,
	       info->persons == 1 ? "" : "s", (long long)info->messages,
	       info->messages == 1 ? "" : "s", (long long)info->entries,
	       info->entries == 1 ? "y" : "ies", (double)info->bytes / 1e6);
}

/* True when A and B name the same existing file. */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int parse_pace(const struct oomgr_stmt *st, struct store_copy_pace *pace)
{
	const char *step = stmt_param(st, "step"), *pause = stmt_param(st, "pause");
	int64_t v;

	pace->pages = STORE_COPY_PAGES;
	pace->pause_ms = STORE_COPY_PAUSE_MS;
	if (step != NULL) {
		if (admin_parse_range("step", step, 1, STORE_COPY_PAGES_MAX, &v) < 0)
			return -1;
		pace->pages = (int)v;
	}
	if (pause != NULL) {
		if (admin_parse_range("pause", pause, 0, STORE_COPY_PAUSE_MS_MAX, &v) < 0)
			return -1;
		pace->pause_ms = (int)v;
	}
	return 0;
}

int backup_sqlite_only(const struct ems_config *cfg, const char *command)
{
	const char *backend = config_str(cfg, "store.backend");
	if (strcmp(backend, "sqlite") == 0)
		return 0;
	return oomgr_fail("%s copies SQLite store files; store.backend is %s, whose"
	                  " database is copied with its own tools.", command, backend);
}

int oomgr_backup(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { "step", "pause", NULL };
	const struct ems_config *cfg = oomgr_config(o);
	const char *to = stmt_word(st, 1);
	struct store_copy_pace pace;
	struct store_file_info info;
	char tmp[PATH_MAX];

	if (to == NULL || stmt_word(st, 2) != NULL)
		return oomgr_fail("Usage: backup FILE [step=PAGES] [pause=MS];");
	if (cfg == NULL || admin_check_params(st, known) < 0 || parse_pace(st, &pace) < 0 ||
	    backup_sqlite_only(cfg, "backup") < 0)
		return -1;
	const char *store = config_path(cfg, "store");
	if (same_file(store, to))
		return oomgr_fail("%s is the store itself; back it up to another file.", to);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%d", to, (int)getpid()) >= sizeof tmp)
		return oomgr_fail("The path %s is too long.", to);
	bool replacing = access(to, F_OK) == 0;
	struct progress clock;
	progress_start(&clock, 0, "pages", "pages/s");   /* for the elapsed time only */
	if (backup_copy_checked(o, store, tmp, &pace, &info) < 0 ||
	    backup_install(tmp, to) < 0)
		return -1;
	printf("Backed up %s to %s%s: ", store, to, replacing ? " (replaced)" : "");
	backup_print_info(&info);
	printf("; %.1f s.\n", progress_elapsed(&clock));
	return 0;
}
