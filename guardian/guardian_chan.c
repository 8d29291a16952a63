/*
 * guardian_chan.c - the guardian's ends of its children's control
 * channels; see guardian_chan.h.
 */
#include "guardian_chan.h"

#include "guardian_procs.h"

#include "ctlproto.h"
#include "log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Bytes a child may have sent and we not yet read: its hello. */
#define CHAN_INBUF 512

struct chan {
	pid_t pid;
	int fd;
	bool hello;                 /* the child reads its channel */
	/* Asked before the hello: sent with it (a child just started). */
	char pending_level[16];
	bool pending_run;
	struct ev_io *io;
	size_t len;
	unsigned char in[CHAN_INBUF];
	struct chan *next;
};

static struct {
	struct evloop *loop;
	struct chan *head;
} chans;

void chan_init(struct evloop *loop)
{
	chans.loop = loop;
}

static struct chan *find(pid_t pid)
{
	struct chan *c;

	for (c = chans.head; c != NULL && c->pid != pid; c = c->next)
		;
	return c;
}

static void drop(struct chan *c)
{
	struct chan **pp;

	for (pp = &chans.head; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	evloop_del_io(c->io);
	close(c->fd);
	free(c);
}

/* Sends a request of TYPE (with FIELD=VALUE when FIELD) to PID, if it
 * said hello.  Returns 0 when sent; -1 otherwise (a failed send breaks
 * the channel). */
static int request(pid_t pid, enum ctl_type type, const char *field,
                   const char *value)
{
	static struct ctl_msg m;
	struct chan *c = find(pid);

	if (c == NULL || !c->hello)
		return -1;
	ctl_msg_init(&m, type);
	if (field != NULL && ctl_msg_add(&m, field, "%s", value) < 0)
		return -1;
	if (ctl_send(c->fd, &m) < 0) {
		drop(c);
		return -1;
	}
	return 0;
}

/* The child said hello: what was asked meanwhile goes now. */
static void send_pending(struct chan *c)
{
	pid_t pid = c->pid;

	if (*c->pending_level != '\0' &&
	    request(pid, CTL_CHILD_LOGLEVEL, "level", c->pending_level) < 0)
		return;         /* the channel broke, C is gone */
	if (c->pending_run)
		request(pid, CTL_CHILD_RUN, NULL, NULL);
}

/* One frame from a child: only its hello belongs here. */
static int handle(struct chan *c, const struct ctl_msg *m)
{
	if (m->type != CTL_CHILD_HELLO || c->hello) {
		log_error("control_unexpected", "pid=%d type=%u action=close",
		          (int)c->pid, (unsigned)m->type);
		return -1;
	}
	c->hello = true;
	log_debug("control_hello", "pid=%d", (int)c->pid);
	return 0;
}

static int drain(struct chan *c)
{
	static struct ctl_msg m;
	size_t off = 0;
	ssize_t used;

	while ((used = ctl_msg_decode(c->in + off, c->len - off, &m)) > 0) {
		off += (size_t)used;
		if (handle(c, &m) < 0)
			return -1;
	}
	if (used < 0 || (off == 0 && c->len == sizeof c->in))
		return -1;
	memmove(c->in, c->in + off, c->len - off);
	c->len -= off;
	return 0;
}

static void on_readable(struct ev_io *io, unsigned events, void *arg)
{
	struct chan *c = arg;
	ssize_t n;

	(void)io;
	(void)events;
	do
		n = read(c->fd, c->in + c->len, sizeof c->in - c->len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n > 0) {
		bool had_hello = c->hello;
		c->len += (size_t)n;
		if (drain(c) == 0) {
			if (!had_hello && c->hello)
				send_pending(c);
			return;
		}
	}
	/* End of file (the child closed it or is exiting), an error or a
	 * broken frame: signals from here on. */
	log_debug("control_closed", "pid=%d", (int)c->pid);
	drop(c);
}

void chan_attach(pid_t pid, int fd)
{
	struct chan *c = calloc(1, sizeof *c);

	if (c == NULL || fd_set_nonblock(fd) < 0 ||
	    (c->io = evloop_add_io(chans.loop, fd, EV_READ, on_readable, c)) == NULL) {
		log_error("control_attach_failed", "pid=%d", (int)pid);
		free(c);
		close(fd);
		return;
	}
	c->pid = pid;
	c->fd = fd;
	c->next = chans.head;
	chans.head = c;
}

void chan_forget(pid_t pid)
{
	struct chan *c = find(pid);

	if (c != NULL)
		drop(c);
}

void chan_close_all(void)
{
	while (chans.head != NULL)
		drop(chans.head);
}

static int request_or_signal(pid_t pid, enum ctl_type type, int signo)
{
	if (request(pid, type, NULL, NULL) == 0)
		return 0;
	if (kill(pid, signo) == 0 || errno == ESRCH)
		return 0;
	log_warn("kill_failed", "pid=%d signal=%d error=%s", (int)pid, signo,
	         log_quote(strerror(errno)));
	return -1;
}

int chan_stop(pid_t pid)
{
	return request_or_signal(pid, CTL_CHILD_SHUTDOWN, SIGTERM);
}

int chan_reload(pid_t pid)
{
	return request_or_signal(pid, CTL_CHILD_REFRESH, SIGHUP);
}

static bool matches(const struct instance *in, const char *name, int instance)
{
	return in->state == INST_RUNNING && in->pid > 0 &&
	       (strcasecmp(name, "all") == 0 || strcasecmp(in->name, name) == 0) &&
	       (instance == 0 || in->number == instance);
}

/* Log level and run now to a child that has not said hello yet wait
 * for its hello; a child that never says it (a script) never gets them.
 * Returns 0 when sent or kept. */
static int request_or_keep(pid_t pid, enum ctl_type type, const char *level)
{
	struct chan *c = find(pid);

	if (c == NULL)
		return -1;
	if (c->hello)
		return request(pid, type, level != NULL ? "level" : NULL, level);
	if (level != NULL)
		snprintf(c->pending_level, sizeof c->pending_level, "%s", level);
	else
		c->pending_run = true;
	return 0;
}

void chan_request_run(const char *name, int instance)
{
	const struct instance *in;

	if (strcasecmp(name, "all") == 0)
		return;
	for (size_t i = 0; (in = procs_at(i)) != NULL; i++)
		if (matches(in, name, instance) &&
		    request_or_keep(in->pid, CTL_CHILD_RUN, NULL) == 0)
			log_info("run_requested", "name=%s instance=%d pid=%d",
			         log_quote(in->name), in->number, (int)in->pid);
}

int chan_request_loglevel(const char *name, int instance, const char *level)
{
	const struct instance *in;
	int n = 0, lvl = log_level_parse(level);

	if (lvl < 0)
		return 0;
	for (size_t i = 0; (in = procs_at(i)) != NULL; i++)
		if (matches(in, name, instance) &&
		    request_or_keep(in->pid, CTL_CHILD_LOGLEVEL,
		                    log_level_name((enum log_level)lvl)) == 0)
			n++;
	return n;
}
