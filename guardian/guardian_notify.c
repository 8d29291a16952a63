/*
 * guardian_notify.c - the guardian's sd_notify(3) messages through
 * libsystemd; see guardian_notify.h.  The variables stay in the
 * guardian's environment (a reload needs them again); guardian_spawn.c
 * keeps them from the children.
 */
#include "guardian_notify.h"

#include "log.h"

#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

static int send_state(const char *state)
{
	int rc = sd_notify(0, state);

	if (rc < 0) {
		log_warn("sd_notify_failed", "state=%s error=%s",
		         log_quote(state), log_quote(strerror(-rc)));
		return -1;
	}
	return 0;
}

int notify_ready(const char *summary)
{
	char msg[512];

	snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", summary);
	return send_state(msg);
}

int notify_reloading(void)
{
	struct timespec ts;
	char msg[128];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
	         (unsigned long long)ts.tv_sec * 1000000ULL +
	         (unsigned long long)ts.tv_nsec / 1000ULL);
	return send_state(msg);
}

int notify_stopping(void)
{
	return send_state("STOPPING=1");
}

int notify_status(const char *summary)
{
	char msg[512];

	snprintf(msg, sizeof msg, "STATUS=%s", summary);
	return send_state(msg);
}

int notify_watchdog(void)
{
	return send_state("WATCHDOG=1");
}

uint64_t notify_watchdog_interval_ms(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec / 2000;
}
