/*
 * monitor.h - what the files of the monitor share.
 *
 *   monitor.c         main: settings and callbacks of the daemon skeleton (daemon.h)
 *   monitor_check.c   one check: free disk, store size, late heartbeats
 *   monitor_certs.c   certificates that expire soon
 *
 * The monitor watches the health of the suite (monitor(8)): free space
 * of the store and log directories against monitor.disk_warn_mb and
 * monitor.disk_hard_mb (under the hard threshold it raises the
 * store-full flag of health.h, and smtpgw answers temporary failures),
 * the store's size against monitor.store_warn_mb, and heartbeats that
 * are late (the guardian kills a process whose heartbeat is older than
 * monitor.heartbeat_timeout_s; the monitor says so earlier, at half of
 * it), and certificates (tls.certificate and those installed with
 * `oomgr cert`) that expire within monitor.cert_warn_days.
 */
#ifndef EMS_MONITOR_H
#define EMS_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

struct monitor_settings {
	const char *store_path;         /* NULL: the store is no local file */
	const char *log_dir;
	const char *run_dir;
	long long disk_warn_mb, disk_hard_mb, store_warn_mb;
	long long heartbeat_timeout_ms;
	long long cert_warn_days;
	const char *tls_certificate;    /* tls.certificate */
	char cert_dir[4096];            /* installed certificates (oomgr cert) */
};

/* What the monitor knew after its last check (to log changes once). */
struct monitor_state {
	bool disk_low, disk_full, store_big;
};

/* Runs one check with SET, updating *STATE and the counters
 * disk_free_mb and store_bytes.  Logs each change of state once
 * (disk_low, disk_full, disk_ok, store_big) and each late heartbeat. */
void monitor_check(const struct monitor_settings *set, struct monitor_state *state);

/* Reads every certificate of SET; logs certificate_expiring (each check,
 * while it lasts) for one within cert_warn_days or expired, and sets the
 * counter cert_days_left to the soonest. */
void monitor_check_certs(const struct monitor_settings *set);

#endif
