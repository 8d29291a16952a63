/*
 * oomgr_restore.c - the `restore` statement of oomgr:
 *
 *   restore FILE;
 *
 * puts a backup back as the store, only while the suite is down: the
 * guardian's lock file (guardian_lock.h) says whether a guardian runs,
 * and the store's own lock whether any other process still has it open.
 * FILE is copied beside the store and checked there (integrity, schema
 * version); then the store in place is renamed to
 * <store>.before-restore-YYYYMMDD-HHMMSS (never deleted) and the copy,
 * with the old store's owner and mode, takes its name.  See oomgr(8).
 */
#include "oomgr_backup.h"
#include "oomgr_admin.h"

#include "config.h"
#include "guardian_lock.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


int restore_refuse_when_up(struct oomgr *o, const struct ems_config *cfg)
{
	char lock[PATH_MAX];

	snprintf(lock, sizeof lock, "%s/%s", config_path(cfg, "run_dir"), LOCK_FILE_NAME);
	pid_t pid = lock_holder(lock);
	if (pid > 0)
		return oomgr_fail("The suite is running (guardian pid %d holds %s): stop it "
		                  "first (systemctl stop ems, or guardian -c %s stop), then "
		                  "restore.", (int)pid, lock, o->config_path);
	if (pid < 0)
		return oomgr_fail("Cannot tell whether the suite is running: %s is not "
		                  "readable.", lock);
	return 0;
}

int restore_refuse_when_open(const char *store)
{
	admin_store_release();   /* this session's own connection, if any */
	int r = store_file_in_use(store);
	if (r == 1)
		return oomgr_fail("A process has the store %s open although no guardian "
		                  "runs (smtpgw run by the MTA, or a program started by "
		                  "hand?): stop it, then restore.", store);
	if (r < 0)
		return oomgr_fail("Cannot lock the store %s (see the messages above).", store);
	return 0;
}

/* Gives TMP the owner and mode of the store it replaces (or, for a first
 * store, of the directory's owner), so the suite's user can still write it. */
static int match_owner(const char *tmp, const char *store)
{
	char dir[PATH_MAX];
	struct stat sb;
	bool had_store = stat(store, &sb) == 0;

	snprintf(dir, sizeof dir, "%s", store);
	if (!had_store && stat(dirname(dir), &sb) < 0)
		return oomgr_fail("Cannot stat the directory of %s: %s.", store, strerror(errno));
	if ((chown(tmp, sb.st_uid, sb.st_gid) < 0 && errno != EPERM) ||
	    (had_store && chmod(tmp, sb.st_mode & 07777) < 0))
		return oomgr_fail("Cannot give %s the owner and mode of %s: %s.", tmp, store,
		                  strerror(errno));
	return 0;
}

/* Renames the store to ASIDE, with its WAL when one is left (it would
 * hold commits); the -shm file is only an index of the WAL and goes.
 * Returns 1 when there was a store, 0 when there was none, -1 (said). */
static int move_aside(const char *store, const char *aside)
{
	char from[PATH_MAX + 8], to[PATH_MAX + 8];

	if (access(store, F_OK) < 0)
		return 0;
	snprintf(from, sizeof from, "%s-wal", store);
	snprintf(to, sizeof to, "%s-wal", aside);
	if (rename(from, to) < 0 && errno != ENOENT)
		return oomgr_fail("Cannot move %s aside: %s.", from, strerror(errno));
	snprintf(from, sizeof from, "%s-shm", store);
	if (unlink(from) < 0 && errno != ENOENT)
		return oomgr_fail("Cannot remove %s: %s.", from, strerror(errno));
	if (rename(store, aside) < 0)
		return oomgr_fail("Cannot rename %s to %s: %s.", store, aside, strerror(errno));
	return 1;
}

static void aside_name(const char *store, char *out, size_t size)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	snprintf(out, size, "%s.before-restore-%s", store, stamp);
}

static void say_done(const char *store, const char *from,
                     const struct store_file_info *info, int had, const char *aside)
{
	printf("Restored %s from %s: ", store, from);
	backup_print_info(info);
	printf(".\n");
	if (info->version < STORE_SCHEMA_VERSION)
		printf("The suite migrates it from schema version %d to %d when it starts.\n",
		       info->version, STORE_SCHEMA_VERSION);
	if (had)
		printf("The store it replaced is kept as %s; delete it once the suite runs "
		       "well on the restored one.\n", aside);
	else
		printf("There was no store before.\n");
}

int oomgr_restore(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { NULL };
	const struct ems_config *cfg = oomgr_config(o);
	const char *from = stmt_word(st, 1);
	const struct store_copy_pace pace = { STORE_COPY_PAGES, 0 };   /* nobody waits */
	struct store_file_info info;
	char tmp[PATH_MAX], aside[PATH_MAX];

	if (from == NULL || stmt_word(st, 2) != NULL)
		return oomgr_fail("Usage: restore FILE;");
	if (cfg == NULL || admin_check_params(st, known) < 0 ||
	    backup_sqlite_only(cfg, "restore") < 0 || restore_refuse_when_up(o, cfg) < 0)
		return -1;
	const char *store = config_path(cfg, "store");
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.restore-tmp-%d", store, (int)getpid())
	    >= sizeof tmp)
		return oomgr_fail("The store's path %s is too long.", store);
	if (backup_copy_checked(o, from, tmp, &pace, &info) < 0)
		return -1;
	/* The copy took a while: look again right before the swap. */
	aside_name(store, aside, sizeof aside);
	int had;
	if (restore_refuse_when_up(o, cfg) < 0 || restore_refuse_when_open(store) < 0 ||
	    match_owner(tmp, store) < 0 || (had = move_aside(store, aside)) < 0) {
		unlink(tmp);
		return -1;
	}
	if (backup_install(tmp, store) < 0)
		return oomgr_fail("The old store is at %s; rename it back to %s.", aside, store);
	say_done(store, from, &info, had, aside);
	return 0;
}
