/* Unit tests for guardian/guardian_chan.c, the guardian's ends of the
 * control channels, with real children (forked here): a child that said
 * hello gets shutdown and refresh as requests on its channel; one that
 * did not gets SIGTERM and SIGHUP; a child that sends anything but its
 * hello loses its channel (it sees end of file). */
#include "../../guardian/guardian_chan.h"
#include "ctlproto.h"
#include "log.h"
#include "tap.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define GUARD_MS 10000

static struct evloop *loop;

static void on_guard(struct ev_timer *t, void *arg)
{
	(void)t;
	evloop_stop(arg);
}

/* Turns the loop once long enough for a frame on a socketpair to be
 * read (the guard stops it; the channel's reads need no more). */
static void turn(unsigned ms)
{
	struct ev_timer *guard = evloop_add_timer(loop, ms, false, on_guard, loop);
	evloop_run(loop);
	evloop_del_timer(guard);
}

/* A child on END of a channel: says hello when HELLO (or sends a DISP
 * frame when BAD), then writes the type of each frame it reads to REPORT
 * (0 at end of file) and exits. */
static pid_t child(int end, int other, int report, bool hello, bool bad)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	close(other);
	struct ctl_msg m;
	if (hello || bad) {
		ctl_msg_init(&m, bad ? CTL_REQ_DISP : CTL_CHILD_HELLO);
		ctl_msg_add(&m, "pid", "%ld", (long)getpid());
		ctl_send(end, &m);
	}
	for (;;) {
		int rc = ctl_recv(end, &m);
		uint32_t type = rc == 1 ? m.type : 0;
		if (write(report, &type, sizeof type) != sizeof type || rc != 1)
			_exit(0);
	}
}

/* Starts a child (see child()) on a new channel the guardian's side
 * watches; REP gets the child's report pipe.  Returns its pid. */
static pid_t attached_child(int rep[2], bool hello, bool bad)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe(rep) < 0)
		exit(1);
	pid_t pid = child(sv[1], sv[0], rep[1], hello, bad);
	close(sv[1]);
	chan_attach(pid, sv[0]);
	turn(hello || bad ? 200 : 50);
	return pid;
}

static uint32_t reported(int fd)
{
	uint32_t type = 99;
	if (read(fd, &type, sizeof type) != sizeof type)
		return 99;
	return type;
}

static int end_of(pid_t pid)
{
	int status;
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status) ? WTERMSIG(status) : -WEXITSTATUS(status);
}

int main(void)
{
	int rep[2];
	pid_t pid;

	plan(7);
	log_set_level(LOG_LVL_ERROR);
	loop = evloop_new();
	chan_init(loop);

	/* A child that speaks the channel. */
	pid = attached_child(rep, true, false);
	ok(chan_reload(pid) == 0, "refresh to a child that said hello");
	is_int(reported(rep[0]), CTL_CHILD_REFRESH, "  arrives as a request");
	ok(chan_stop(pid) == 0 && reported(rep[0]) == CTL_CHILD_SHUTDOWN,
	   "shutdown arrives as a request");
	chan_forget(pid);
	is_int(reported(rep[0]), 0, "a forgotten channel reaches the child as end of file");
	end_of(pid);
	close(rep[0]);
	close(rep[1]);

	/* A child that never says hello: signals. */
	pid = attached_child(rep, false, false);
	ok(chan_reload(pid) == 0, "refresh to a child without hello");
	is_int(end_of(pid), SIGHUP, "  is SIGHUP");
	chan_forget(pid);
	close(rep[0]);
	close(rep[1]);

	/* A child that sends what the guardian never expects. */
	pid = attached_child(rep, false, true);
	is_int(reported(rep[0]), 0, "an unexpected frame closes the channel");
	end_of(pid);
	close(rep[0]);
	close(rep[1]);
	chan_close_all();
	evloop_free(loop);
	return exit_status();
}
