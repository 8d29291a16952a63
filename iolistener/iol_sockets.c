/*
 * iol_sockets.c - takes over the listening sockets passed by the
 * guardian or systemd, identifies each, and accepts clients; see
 * iol_sockets.h.
 */
#include "iol_sockets.h"

#include "config.h"
#include "evloop.h"
#include "iol.h"
#include "listen_ident.h"
#include "log.h"
#include "params.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

struct iol_sockets {
	struct iol *iol;
	iol_accept_cb *cb;
	struct ev_timer *resume;     /* exists while accepting is paused */
	size_t count;
	struct iol_socket s[IOL_SOCKETS_MAX];
	char *names[IOL_SOCKETS_MAX]; /* LISTEN_FDNAMES, or NULL */
};

/* Identifies socket I from CFG's listeners, its name or its port. */
static void identify_one(struct iol_sockets *ss, size_t i,
                         const struct ems_config *cfg)
{
	struct iol_socket *s = &ss->s[i];
	struct listen_ident id;
	int rc = listen_identify(s->fd, ss->names[i], cfg, &id);

	if (id.where[0] != '\0')
		snprintf(s->where, sizeof s->where, "%s", id.where);
	if (rc < 0 && s->service[0] != '\0')
		return;         /* a refresh keeps what the socket had */
	if (rc < 0 && id.where[0] == '\0') {
		log_error("listen_socket_unknown", "fd=%d error=\"not an "
		          "IPv4 or IPv6 socket; not served\"", s->fd);
		return;
	}
	if (rc < 0) {
		log_error("listen_socket_unknown", "socket=%s name=%s error=\"no "
		          "listeners entry for this address; not served\"",
		          s->where, log_quote(ss->names[i] ? ss->names[i] : "-"));
		return;
	}
	snprintf(s->service, sizeof s->service, "%s", id.service);
	s->flags = id.flags;
	log_info("listen_socket", "socket=%s service=%s flags=%u", s->where,
	         s->service, s->flags);
}

void iol_sockets_identify(struct iol_sockets *ss, const struct ems_config *cfg)
{
	for (size_t i = 0; i < ss->count; i++)
		identify_one(ss, i, cfg);
}

static void set_accepting(struct iol_sockets *ss, bool on)
{
	for (size_t i = 0; i < ss->count; i++)
		if (ss->s[i].io != NULL)
			evloop_io_set_events(ss->s[i].io, on ? EV_READ : 0);
}

static void on_resume(struct ev_timer *t, void *arg)
{
	struct iol_sockets *ss = arg;
	evloop_del_timer(t);
	ss->resume = NULL;
	log_info("accept_resumed", NULL);
	set_accepting(ss, true);
}

/* Out of descriptors or memory: stop accepting for a while, since every
 * retry now would fail the same way. */
static void pause_accepting(struct iol_sockets *ss, int err)
{
	log_warn("accept_paused", "error=%s pause_ms=%d",
	         log_quote(strerror(err)), IOL_ACCEPT_PAUSE_MS);
	set_accepting(ss, false);
	if (ss->resume == NULL)
		ss->resume = evloop_add_timer(ss->iol->loop, IOL_ACCEPT_PAUSE_MS,
		                              false, on_resume, ss);
	if (ss->resume == NULL)   /* no memory for a timer: keep going */
		set_accepting(ss, true);
}

static void on_accept(struct ev_io *io, unsigned events, void *arg)
{
	struct iol_socket *s = arg;
	struct iol_sockets *ss = s->owner;
	(void)io;
	(void)events;
	for (int n = 0; n < IOL_ACCEPT_BATCH; n++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof peer;
		int fd = accept4(s->fd, (struct sockaddr *)&peer, &len,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				pause_accepting(ss, errno);
			else if (errno != EAGAIN && errno != EINTR &&
			         errno != ECONNABORTED)
				log_warn("accept_failed", "socket=%s error=%s", s->where,
				         log_quote(strerror(errno)));
			return;
		}
		ss->cb(ss->iol, s, fd, (struct sockaddr *)&peer, len);
	}
}

static int take_passed(struct iol_sockets *ss)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names);
	if (n <= 0) {
		log_error("listen_sockets", "error=%s", n < 0
		          ? log_quote(strerror(-n))
		          : "\"no sockets passed (LISTEN_FDS); iolistener is started "
		            "by the guardian or systemd\"");
		free(names);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if ((size_t)i < IOL_SOCKETS_MAX) {
			ss->s[ss->count].fd = SD_LISTEN_FDS_START + i;
			ss->names[ss->count++] = names ? names[i] : NULL;
		} else {
			log_error("listen_sockets", "fd=%d error=\"more than %d "
			          "sockets; closed\"", SD_LISTEN_FDS_START + i,
			          IOL_SOCKETS_MAX);
			close(SD_LISTEN_FDS_START + i);
			if (names)
				free(names[i]);
		}
	}
	free(names);
	return 0;
}

static int start_accepting(struct iol_sockets *ss, struct evloop *loop)
{
	size_t served = 0;
	for (size_t i = 0; i < ss->count; i++) {
		struct iol_socket *s = &ss->s[i];
		fd_set_cloexec(s->fd);
		if (s->service[0] == '\0')
			continue;
		if (fd_set_nonblock(s->fd) < 0)
			return -1;
		s->owner = ss;
		s->io = evloop_add_io(loop, s->fd, EV_READ, on_accept, s);
		if (s->io == NULL)
			return -1;
		served++;
	}
	if (served == 0) {
		log_error("listen_sockets", "error=\"no socket could be identified\"");
		return -1;
	}
	return 0;
}

struct iol_sockets *iol_sockets_open(struct iol *iol, const struct ems_config *cfg,
                                     iol_accept_cb *cb)
{
	struct iol_sockets *ss = calloc(1, sizeof *ss);
	if (ss == NULL) {
		log_error("listen_sockets", "error=\"out of memory\"");
		return NULL;
	}
	ss->iol = iol;
	ss->cb = cb;
	if (take_passed(ss) < 0) {
		iol_sockets_close(ss);
		return NULL;
	}
	iol_sockets_identify(ss, cfg);
	if (start_accepting(ss, iol->loop) < 0) {
		iol_sockets_close(ss);
		return NULL;
	}
	return ss;
}

void iol_sockets_close(struct iol_sockets *ss)
{
	if (ss == NULL)
		return;
	for (size_t i = 0; i < ss->count; i++) {
		evloop_del_io(ss->s[i].io);
		close(ss->s[i].fd);
		free(ss->names[i]);
	}
	evloop_del_timer(ss->resume);
	free(ss);
}
