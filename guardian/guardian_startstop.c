/*
 * guardian_startstop.c - `guardian start` and `guardian stop`; see
 * guardian_startstop.h.  Both find the running guardian through its lock
 * file (F_GETLK names the holder's pid, whatever the file says) and talk
 * to it through the control socket.
 */
#include "guardian_startstop.h"

#include "config.h"
#include "ctlproto.h"
#include "guardian_lock.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_WAIT_MS   135000  /* the daemon reports within 120 s */
#define STOP_WAIT_MS    300000  /* three shutdown phases and then some */
#define STOP_POLL_MS    50

static void run_file(const struct ems_config *cfg, const char *name, char *out,
                     size_t size)
{
	snprintf(out, size, "%s/%s", config_path(cfg, "run_dir"), name);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the daemon's one-line report into LINE.  Returns its length, 0
 * when the daemon died first, -1 on timeout. */
static ssize_t read_report(int fd, char *line, size_t size)
{
	size_t got = 0;
	long long deadline = now_ms() + START_WAIT_MS;

	while (got + 1 < size) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return -1;
		n = read(fd, line + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(line, '\n', got) != NULL)
			break;
	}
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	return (ssize_t)got;
}

static int wait_report(int fd, pid_t daemon, const char *config_path)
{
	char line[1024];
	ssize_t n = read_report(fd, line, sizeof line);

	close(fd);
	if (n < 0) {
		fprintf(stderr, "guardian: started (pid %d) but not ready after "
		        "%d s; oomgr disp process shows where it stands\n",
		        (int)daemon, START_WAIT_MS / 1000);
		return 1;
	}
	if (n == 0 || (line[0] == '1' && line[1] == ' ' && line[2] == '\0')) {
		/* It died (or gave up) before its report: reap it if dead. */
		waitpid(daemon, NULL, WNOHANG);
		fprintf(stderr, "guardian: could not start for %s (the messages "
		        "above or its log say why)\n", config_path);
		return 1;
	}
	if (line[0] == '0') {
		printf("guardian: started (pid %d); oomgr disp process shows "
		       "the processes\n", (int)daemon);
		return 0;
	}
	fprintf(stderr, "guardian: running (pid %d), but not everything "
	        "started: %s\n", (int)daemon, line + 2);
	return 1;
}

bool daemonise(const struct ems_config *cfg, const char *config_path,
               int *report_fd, int *exit_status)
{
	char lock[PATH_MAX];
	int p[2];
	pid_t holder, pid;

	run_file(cfg, LOCK_FILE_NAME, lock, sizeof lock);
	*exit_status = 1;
	holder = lock_holder(lock);
	if (holder > 0) {
		fprintf(stderr, "guardian: already running (pid %d) for %s\n",
		        (int)holder, config_path);
		return true;
	}
	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		fprintf(stderr, "guardian: cannot daemonise: %s\n",
		        strerror(errno));
		return true;
	}
	if (pid == 0) {
		close(p[0]);
		setsid();
		*report_fd = p[1];
		return false;
	}
	close(p[1]);
	*exit_status = wait_report(p[0], pid, config_path);
	return true;
}

/* Asks through the control socket; returns 0 when the guardian took it. */
static int ask_stop(const char *sock)
{
	static struct ctl_msg m;
	int fd = ctl_connect(sock), rc = -1;

	if (fd < 0)
		return -1;
	ctl_msg_init(&m, CTL_REQ_STOP);
	if (ctl_send(fd, &m) == 0 && ctl_recv(fd, &m) == 1 &&
	    m.type == CTL_REP_OK)
		rc = 0;
	close(fd);
	return rc;
}

int guardian_stop(const struct ems_config *cfg, const char *config_path)
{
	char lock[PATH_MAX], sock[PATH_MAX];
	pid_t holder;
	long long deadline = now_ms() + STOP_WAIT_MS;

	run_file(cfg, LOCK_FILE_NAME, lock, sizeof lock);
	run_file(cfg, CTL_SOCKET_NAME, sock, sizeof sock);
	holder = lock_holder(lock);
	if (holder <= 0) {
		fprintf(stderr, "guardian: not running for %s\n", config_path);
		return 1;
	}
	if (ask_stop(sock) < 0 && kill(holder, SIGTERM) < 0) {
		fprintf(stderr, "guardian: cannot stop pid %d: %s\n", (int)holder,
		        strerror(errno));
		return 1;
	}
	while (lock_holder(lock) > 0) {
		if (now_ms() >= deadline) {
			fprintf(stderr, "guardian: pid %d still running after %d s\n",
			        (int)holder, STOP_WAIT_MS / 1000);
			return 1;
		}
		nanosleep(&(struct timespec){ 0, STOP_POLL_MS * 1000000L }, NULL);
	}
	printf("guardian: stopped\n");
	return 0;
}
