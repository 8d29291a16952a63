/*
 * guardian_heartbeat.h - the guardian's watch over its children's
 * heartbeats and "Last Wakeup", read from their statistics segments
 * (stats.h).  A running instance whose heartbeat is older than
 * monitor.heartbeat_timeout_s is logged ("hung") and killed with
 * SIGKILL; the process table then restarts it like any process that
 * died.  An instance without a segment, or whose segment has no
 * heartbeat, is never judged.
 */
#ifndef EMS_GUARDIAN_HEARTBEAT_H
#define EMS_GUARDIAN_HEARTBEAT_H

#include <stdint.h>
#include <sys/types.h>

/* How often heartbeats are looked at. */
#define HEARTBEAT_CHECK_MS 1000

/* Sets where the segments are (RUN_DIR, copied; NULL keeps the one set
 * before) and the timeout in milliseconds (0: no checks). */
void heartbeat_configure(const char *run_dir, long long timeout_ms);

/* Kills every running instance whose heartbeat is older than the
 * timeout at NOW (monotonic ms). */
void heartbeat_check(long long now);

/* When heartbeat_check() is next due, or -1 when checks are off. */
long long heartbeat_next_deadline(void);

/* The child PID was reaped: removes its segment. */
void heartbeat_forget(pid_t pid);

/* The "Last Wakeup" (unix time) PID recorded, or 0. */
int64_t heartbeat_wakeup(pid_t pid);

#endif
