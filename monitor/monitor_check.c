/*
 * monitor_check.c - one health check of the monitor (see monitor.h).
 */
#include "monitor.h"

#include "health.h"
#include "log.h"
#include "stats.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int64_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

/* The least free space (MiB) of the store's and the log's file systems,
 * -1 when neither could be asked; *WHERE gets the path that has it. */
static long long least_free(const struct monitor_settings *set, const char **where)
{
	static char store_dir[PATH_MAX];
	snprintf(store_dir, sizeof store_dir, "%s", set->store_path ? set->store_path : "");
	const char *dirs[2] = { set->store_path ? dirname(store_dir) : set->log_dir,
	                        set->log_dir };
	long long least = -1;
	for (int i = 0; i < 2; i++) {
		long long mb = health_free_mb(dirs[i]);
		if (mb >= 0 && (least < 0 || mb < least)) {
			least = mb;
			*where = dirs[i];
		}
	}
	return least;
}

static void check_disk(const struct monitor_settings *set, struct monitor_state *state)
{
	const char *where = "";
	long long mb = least_free(set, &where);
	if (mb < 0)
		return;
	stats_set(STAT_DISK_FREE_MB, (uint64_t)mb);
	bool full = set->disk_hard_mb > 0 && mb < set->disk_hard_mb;
	bool low = set->disk_warn_mb > 0 && mb < set->disk_warn_mb;
	/* The flag file is the truth: another monitor (--once) may have
	 * raised or lowered it. */
	state->disk_full = health_store_full(set->run_dir);
	if (full && !state->disk_full) {
		char reason[PATH_MAX + 64];
		snprintf(reason, sizeof reason, "%lld MiB free in %s", mb, where);
		log_error("disk_full", "path=%s free_mb=%lld hard_mb=%lld action=refuse_delivery",
		          log_quote(where), mb, set->disk_hard_mb);
		if (health_set_store_full(set->run_dir, reason) < 0)
			return;     /* try again at the next check */
	} else if (!full && state->disk_full) {
		log_info("disk_ok", "free_mb=%lld action=accept_delivery", mb);
		if (health_clear_store_full(set->run_dir) < 0)
			return;
	}
	if (low && !state->disk_low)
		log_warn("disk_low", "path=%s free_mb=%lld warn_mb=%lld", log_quote(where), mb,
		         set->disk_warn_mb);
	else if (!low && state->disk_low && !full)
		log_info("disk_ok", "free_mb=%lld", mb);
	state->disk_full = full;
	state->disk_low = low;
}

static void check_store(const struct monitor_settings *set, struct monitor_state *state)
{
	if (set->store_path == NULL)
		return;
	char wal[PATH_MAX + 8];
	snprintf(wal, sizeof wal, "%s-wal", set->store_path);
	int64_t bytes = file_size(set->store_path) + file_size(wal);
	stats_set(STAT_STORE_BYTES, (uint64_t)bytes);
	bool big = set->store_warn_mb > 0 && bytes / (1024 * 1024) >= set->store_warn_mb;
	if (big && !state->store_big)
		log_warn("store_big", "path=%s bytes=%lld warn_mb=%lld",
		         log_quote(set->store_path), (long long)bytes, set->store_warn_mb);
	state->store_big = big;
}

static int check_heartbeat(const struct stats_snapshot *s, void *ctx)
{
	const struct monitor_settings *set = ctx;
	if (s->heartbeat_interval_ms == 0 || s->heartbeat_ms <= 0)
		return 0;
	long long age = (long long)(stats_now_ms() - s->heartbeat_ms);
	if (age > set->heartbeat_timeout_ms / 2)
		log_warn("heartbeat_late", "process=%s%02d pid=%d age_ms=%lld timeout_ms=%lld",
		         s->program, s->instance, (int)s->pid, age, set->heartbeat_timeout_ms);
	return 0;
}

void monitor_check(const struct monitor_settings *set, struct monitor_state *state)
{
	stats_wakeup();
	check_disk(set, state);
	check_store(set, state);
	monitor_check_certs(set);
	stats_each(set->run_dir, check_heartbeat, (void *)set);
}
