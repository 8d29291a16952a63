/*
 * monitor.h - what the files of the monitor share.
 *
 *   monitor.c         main: parameters, the event loop, signals
 *   monitor_check.c   one check: free disk, store size, late heartbeats
 *
 * The monitor watches the health of the suite (monitor(8)): free space
 * of the store and log directories against monitor.disk_warn_mb and
 * monitor.disk_hard_mb (under the hard threshold it raises the
 * store-full flag of health.h, and smtpgw answers temporary failures),
 * the store's size against monitor.store_warn_mb, and heartbeats that
 * are late (the guardian kills a process whose heartbeat is older than
 * monitor.heartbeat_timeout_s; the monitor says so earlier, at half of
 * it).
 */
#ifndef EMS_MONITOR_H
#define EMS_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

struct monitor_settings {
	const char *store_path;
	const char *log_dir;
	const char *run_dir;
	long long disk_warn_mb, disk_hard_mb, store_warn_mb;
	long long heartbeat_timeout_ms;
};

/* What the monitor knew after its last check (to log changes once). */
struct monitor_state {
	bool disk_low, disk_full, store_big;
};

/* Runs one check with SET, updating *STATE and the counters
 * disk_free_mb and store_bytes.  Logs each change of state once
 * (disk_low, disk_full, disk_ok, store_big) and each late heartbeat. */
void monitor_check(const struct monitor_settings *set, struct monitor_state *state);

#endif
