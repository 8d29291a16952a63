/*
 * guardian_standin.c - the guardian's own answer on the mail ports while
 * no listener runs; see guardian_standin.h.
 */
#include "guardian_standin.h"

#include "evloop.h"
#include "guardian.h"
#include "guardian_sockets.h"
#include "listen_ident.h"
#include "log.h"
#include "params.h"
#include "refusal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct standin_socket {
	int fd;
	struct listen_ident id;
	struct ev_io *io;
};

static struct {
	struct standin_socket s[SPAWN_LISTEN_MAX];
	size_t count;
	bool active;                    /* answering clients */
	long long paused_until;         /* -1: not paused */
} si = { .paused_until = -1 };

static void set_events(unsigned events)
{
	for (size_t i = 0; i < si.count; i++)
		evloop_io_set_events(si.s[i].io, events);
}

/* Reads what the client may already have sent, so that closing does not
 * turn into a reset that could destroy the line before it is read. */
static void drain(int fd)
{
	char buf[512];

	while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
		;
}

static void answer(const struct standin_socket *s, int fd)
{
	int rc = refusal_send(fd, s->id.service, s->id.flags,
	                      REFUSE_UNAVAILABLE);

	log_info("standin_refused", "socket=%s service=%s line=%s",
	         s->id.where[0] ? s->id.where : "?",
	         s->id.service[0] ? s->id.service : "unknown",
	         (s->id.flags & PROC_FLAG_SSL) ? "none_tls" : rc == 0 ? "sent" : "failed");
	drain(fd);
	close(fd);
}

static void pause_accepting(int err, long long now)
{
	log_warn("standin_paused", "error=%s pause_ms=%d",
	         log_quote(strerror(err)), STANDIN_PAUSE_MS);
	set_events(0);
	si.paused_until = now + STANDIN_PAUSE_MS;
	guardian_changed();     /* re-arms the timer for the end of the pause */
}

static void on_client(struct ev_io *io, unsigned events, void *arg)
{
	struct standin_socket *s = arg;

	(void)io;
	(void)events;
	for (int n = 0; n < STANDIN_ACCEPT_BATCH && si.active; n++) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			answer(s, fd);
			continue;
		}
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			pause_accepting(errno, guardian_now());
		return;
	}
}

/* The Nth name of the colon-separated LISTEN_FDNAMES list NAMES, copied
 * into OUT; NULL when there is none. */
static const char *nth_name(const char *names, size_t n, char *out,
                            size_t size)
{
	const char *p = names;

	for (size_t i = 0; i < n && p != NULL; i++) {
		p = strchr(p, ':');
		if (p != NULL)
			p++;
	}
	if (p == NULL || *p == '\0')
		return NULL;
	snprintf(out, size, "%.*s", (int)strcspn(p, ":"), p);
	return out;
}

int standin_open(struct evloop *loop, const struct listen_sockets *ls,
                 const struct ems_config *cfg)
{
	char name[LISTEN_SERVICE_MAX + 1];

	for (size_t i = 0; i < ls->count; i++) {
		struct standin_socket *s = &si.s[si.count];
		s->fd = ls->fds[i];
		/* Unknown sockets still get an answer, in neutral words. */
		listen_identify(s->fd, nth_name(ls->names, i, name, sizeof name),
		                cfg, &s->id);
		if (fd_set_nonblock(s->fd) < 0)
			return -1;
		s->io = evloop_add_io(loop, s->fd, 0, on_client, s);
		if (s->io == NULL)
			return -1;
		si.count++;
	}
	return 0;
}

void standin_update(bool listener_up, long long now)
{
	bool want = !listener_up && si.count > 0;

	if (si.paused_until >= 0 && now < si.paused_until)
		return;
	if (si.paused_until >= 0) {
		si.paused_until = -1;
		if (si.active)
			set_events(EV_READ);
	}
	if (want == si.active)
		return;
	si.active = want;
	set_events(want ? EV_READ : 0);
	log_info(want ? "standin_start" : "standin_stop", "sockets=%zu",
	         si.count);
}

long long standin_next_deadline(void)
{
	return si.paused_until;
}

void standin_close(void)
{
	for (size_t i = 0; i < si.count; i++)
		evloop_del_io(si.s[i].io);
	si.count = 0;
	si.active = false;
}
