/*
 * guardian_notify.c - the guardian's sd_notify(3) messages (sent here,
 * never blocking; libsystemd reads the watchdog setting); see
 * guardian_notify.h.  The variables stay in the
 * guardian's environment (a reload needs them again); guardian_spawn.c
 * keeps them from the children.
 */
#include "guardian_notify.h"

#include "log.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

/*
 * Sends STATE to $NOTIFY_SOCKET without ever waiting: sd_notify(3)
 * blocks while the receiver's queue is full, and a guardian stuck there
 * restarts nothing.  A message that does not fit at once is dropped and
 * logged; the next status supersedes it.
 */
static int send_state(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = path != NULL ? strlen(path) : 0;
	int fd, rc = 0;

	if (len == 0)
		return 0;
	if (len >= sizeof sa.sun_path || (path[0] != '/' && path[0] != '@')) {
		log_warn("sd_notify_failed", "state=%s error=\"bad NOTIFY_SOCKET\"",
		         log_quote(state));
		return -1;
	}
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';          /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, state, strlen(state), MSG_DONTWAIT | MSG_NOSIGNAL,
	                     (struct sockaddr *)&sa,
	                     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
		log_warn("sd_notify_failed", "state=%s error=%s", log_quote(state),
		         log_quote(strerror(errno)));
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	return rc;
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
