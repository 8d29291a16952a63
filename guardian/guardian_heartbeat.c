/*
 * guardian_heartbeat.c - hung-process detection and the wakeup times of
 * `disp process`, from the children's statistics segments; see
 * guardian_heartbeat.h.
 */
#include "guardian_heartbeat.h"

#include "guardian_procs.h"
#include "log.h"
#include "stats.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>

static struct {
	char run_dir[PATH_MAX];
	long long timeout_ms;
	long long next;
} hb;

void heartbeat_configure(const char *run_dir, long long timeout_ms)
{
	if (run_dir != NULL)
		snprintf(hb.run_dir, sizeof hb.run_dir, "%s", run_dir);
	hb.timeout_ms = timeout_ms;
	hb.next = 0;
}

long long heartbeat_next_deadline(void)
{
	return hb.timeout_ms > 0 && *hb.run_dir != '\0' ? hb.next : -1;
}

/* Judges one instance; returns true when it was killed. */
static bool check_one(const struct instance *in, long long now)
{
	struct stats_snapshot s;

	if (in->state != INST_RUNNING || in->pid <= 0 ||
	    now - in->started_ms < hb.timeout_ms ||
	    stats_read(hb.run_dir, in->pid, &s) < 0 ||
	    s.heartbeat_interval_ms == 0 || s.heartbeat_ms <= 0)
		return false;
	long long age = now - s.heartbeat_ms;
	if (age < hb.timeout_ms)
		return false;
	log_error("hung", "name=%s instance=%d pid=%d heartbeat_age_ms=%lld"
	          " timeout_ms=%lld action=kill", log_quote(in->name), in->number,
	          (int)in->pid, age, hb.timeout_ms);
	/* SIGKILL also ends a stopped process; the segment goes at once so
	 * that the next check does not kill it twice. */
	kill(in->pid, SIGKILL);
	stats_remove(hb.run_dir, in->pid);
	return true;
}

void heartbeat_check(long long now)
{
	const struct instance *in;

	if (heartbeat_next_deadline() < 0 || now < hb.next)
		return;
	hb.next = now + HEARTBEAT_CHECK_MS;
	for (size_t i = 0; (in = procs_at(i)) != NULL; i++)
		check_one(in, now);
}

void heartbeat_forget(pid_t pid)
{
	if (*hb.run_dir != '\0')
		stats_remove(hb.run_dir, pid);
}

int64_t heartbeat_wakeup(pid_t pid)
{
	struct stats_snapshot s;

	if (pid <= 0 || *hb.run_dir == '\0' || stats_read(hb.run_dir, pid, &s) < 0)
		return 0;
	return s.wakeup;
}
