/* Unit tests for libcommon/control_chan.c: the child's end of the
 * guardian's control channel says hello, turns each request into the
 * program's handler, and stops the program when the guardian goes. */
#include "control_chan.h"
#include "ctlproto.h"
#include "log.h"
#include "tap.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int last_signal, signals_seen, runs;

static void on_signal(int signo, void *arg)
{
	last_signal = signo;
	signals_seen++;
	evloop_stop(arg);
}

static void on_run(void *arg)
{
	runs++;
	evloop_stop(arg);
}

/* The guardian's side sends TYPE (with level=LEVEL when given); the loop
 * runs until a handler stops it. */
static void send_and_turn(int peer, struct evloop *loop, enum ctl_type type,
                          const char *level)
{
	struct ctl_msg m;

	ctl_msg_init(&m, type);
	if (level != NULL)
		ctl_msg_add(&m, "level", "%s", level);
	ctl_send(peer, &m);
	evloop_run(loop);
}

static void on_timeout(struct ev_timer *t, void *arg)
{
	(void)t;
	evloop_stop(arg);
}

int main(void)
{
	struct evloop *loop = evloop_new();
	struct ctl_msg m;
	char fd[16];
	int sv[2];

	plan(12);
	log_set_level(LOG_LVL_INFO);
	ok(control_chan_open(loop, on_signal, loop) == 0,
	   "without EMS_CONTROL_FD there is no channel, and no error");
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	snprintf(fd, sizeof fd, "%d", sv[1]);
	setenv(CONTROL_FD_ENV, fd, 1);
	ok(control_chan_open(loop, on_signal, loop) == 0, "the channel opens");
	ok(getenv(CONTROL_FD_ENV) == NULL, "and its variable is gone");
	ok(ctl_recv(sv[0], &m) == 1 && m.type == CTL_CHILD_HELLO &&
	   atol(ctl_msg_get(&m, "pid")) == (long)getpid(),
	   "the child says hello with its pid");

	control_chan_on_run(on_run, loop);
	/* A request handled without stopping: the timer ends the turn. */
	evloop_add_timer(loop, 200, false, on_timeout, loop);
	send_and_turn(sv[0], loop, CTL_CHILD_LOGLEVEL, "debug");
	is_int(log_get_level(), LOG_LVL_DEBUG, "loglevel applies at once");
	send_and_turn(sv[0], loop, CTL_CHILD_RUN, NULL);
	is_int(runs, 1, "run calls the program's run function");
	send_and_turn(sv[0], loop, CTL_CHILD_REFRESH, NULL);
	is_int(last_signal, SIGHUP, "refresh calls the handler as SIGHUP would");
	send_and_turn(sv[0], loop, CTL_CHILD_SHUTDOWN, NULL);
	is_int(last_signal, SIGTERM, "shutdown calls it as SIGTERM would");

	last_signal = 0;
	close(sv[0]);
	evloop_run(loop);
	is_int(last_signal, SIGTERM, "a lost guardian stops the program");
	is_int(signals_seen, 3, "each request called the handler once");

	/* A type the guardian never sends breaks the channel. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	snprintf(fd, sizeof fd, "%d", sv[1]);
	setenv(CONTROL_FD_ENV, fd, 1);
	control_chan_open(loop, on_signal, loop);
	ctl_recv(sv[0], &m);
	last_signal = 0;
	send_and_turn(sv[0], loop, CTL_REQ_DISP, NULL);
	is_int(last_signal, SIGTERM, "an unexpected frame stops the program");
	ok(read(sv[0], fd, 1) == 0, "and closes the channel");
	control_chan_close();
	close(sv[0]);
	evloop_free(loop);
	return exit_status();
}
