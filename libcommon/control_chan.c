/*
 * control_chan.c - the child's end of the guardian's control channel
 * (see control_chan.h).
 */
#include "control_chan.h"

#include "ctlproto.h"
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
	int fd;
	struct ev_io *io;
	ev_signal_cb *cb;
	void *arg;
	void (*run_fn)(void *arg);
	void *run_arg;
	size_t len;
	unsigned char buf[CTL_HEADER_SIZE + CTL_PAYLOAD_MAX];
} chan = { .fd = -1 };

void control_chan_on_run(void (*fn)(void *arg), void *arg)
{
	chan.run_fn = fn;
	chan.run_arg = arg;
}

void control_chan_close(void)
{
	evloop_del_io(chan.io);
	chan.io = NULL;
	if (chan.fd >= 0)
		close(chan.fd);
	chan.fd = -1;
	chan.len = 0;
}

/* The channel broke or the guardian went away: stop, as Postfix's
 * daemons do when their master goes. */
static void lost(const char *why)
{
	log_warn("guardian_gone", "reason=%s action=stop", log_quote(why));
	control_chan_close();
	chan.cb(SIGTERM, chan.arg);
}

static void set_level(const struct ctl_msg *m)
{
	const char *name = ctl_msg_get(m, "level");
	int level = name != NULL ? log_level_parse(name) : -1;

	if (level < 0) {
		log_warn("control_bad_level", "level=%s",
		         log_quote(name != NULL ? name : ""));
		return;
	}
	log_set_level((enum log_level)level);
	log_info("loglevel", "level=%s", log_level_name((enum log_level)level));
}

/* One request; returns -1 for a type the guardian never sends. */
static int dispatch(const struct ctl_msg *m)
{
	switch (m->type) {
	case CTL_CHILD_SHUTDOWN:
		log_info("control_request", "verb=shutdown");
		chan.cb(SIGTERM, chan.arg);
		return 0;
	case CTL_CHILD_REFRESH:
		log_info("control_request", "verb=refresh");
		chan.cb(SIGHUP, chan.arg);
		return 0;
	case CTL_CHILD_LOGLEVEL:
		set_level(m);
		return 0;
	case CTL_CHILD_RUN:
		if (chan.run_fn != NULL)
			chan.run_fn(chan.run_arg);
		else
			log_debug("control_run_ignored", NULL);
		return 0;
	default:
		log_error("control_bad_type", "type=%u", (unsigned)m->type);
		return -1;
	}
}

/* Handles the whole frames in the buffer; returns -1 on a bad one. */
static int drain(void)
{
	static struct ctl_msg m;
	size_t off = 0;
	ssize_t used;

	while ((used = ctl_msg_decode(chan.buf + off, chan.len - off, &m)) > 0) {
		off += (size_t)used;
		if (dispatch(&m) < 0)
			return -1;
		if (chan.fd < 0)        /* a handler closed the channel */
			return 0;
	}
	if (used < 0)
		return -1;
	memmove(chan.buf, chan.buf + off, chan.len - off);
	chan.len -= off;
	return 0;
}

static void on_readable(struct ev_io *io, unsigned events, void *arg)
{
	ssize_t n;

	(void)io;
	(void)events;
	(void)arg;
	do
		n = read(chan.fd, chan.buf + chan.len, sizeof chan.buf - chan.len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		lost(n == 0 ? "end of file" : strerror(errno));
		return;
	}
	chan.len += (size_t)n;
	if (drain() < 0)
		lost("bad frame");
}

/* The descriptor EMS_CONTROL_FD names, or -1 when it names no socket. */
static int take_fd(void)
{
	const char *env = getenv(CONTROL_FD_ENV);
	char *end;
	long fd;
	struct stat sb;

	if (env == NULL)
		return -1;
	errno = 0;
	fd = strtol(env, &end, 10);
	if (errno != 0 || *end != '\0' || end == env || fd < 0 || fd > INT_MAX ||
	    fstat((int)fd, &sb) < 0 || !S_ISSOCK(sb.st_mode)) {
		log_warn("control_fd_invalid", "value=%s", log_quote(env));
		unsetenv(CONTROL_FD_ENV);
		return -1;
	}
	unsetenv(CONTROL_FD_ENV);
	return (int)fd;
}

static int say_hello(void)
{
	static struct ctl_msg m;

	ctl_msg_init(&m, CTL_CHILD_HELLO);
	if (ctl_msg_add(&m, "pid", "%ld", (long)getpid()) < 0)
		return -1;
	return ctl_send(chan.fd, &m);
}

int control_chan_open(struct evloop *loop, ev_signal_cb *cb, void *arg)
{
	int fd = take_fd();

	if (fd < 0)
		return 0;
	control_chan_close();
	chan.fd = fd;
	chan.cb = cb;
	chan.arg = arg;
	if (fd_set_cloexec(fd) < 0 || fd_set_nonblock(fd) < 0 || say_hello() < 0 ||
	    (chan.io = evloop_add_io(loop, fd, EV_READ, on_readable, NULL)) == NULL) {
		log_error("control_open_failed", "fd=%d error=%s", fd,
		          log_quote(strerror(errno)));
		control_chan_close();
		return -1;
	}
	/* From here the channel reports a lost guardian, in order. */
	prctl(PR_SET_PDEATHSIG, 0);
	log_debug("control_open", "fd=%d", fd);
	return 0;
}
