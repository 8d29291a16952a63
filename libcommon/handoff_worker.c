/*
 * handoff_worker.c - the worker side of the hand-off (pop3srv,
 * imap4srv): stays connected and registered to iolistener, reports its
 * load and takes the clients it is sent; see handoff.h.
 */
#include "handoff_wire.h"

#include "evloop.h"
#include "fdpass.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

struct handoff_worker {
	struct evloop *loop;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char service[HANDOFF_SERVICE_MAX + 1];
	int instance;
	unsigned flags;
	unsigned maxclt;
	handoff_client_cb *cb;
	void *arg;
	int fd;                   /* -1 while disconnected */
	struct ev_io *io;
	struct ev_timer *retry;   /* exists while a reconnection is due */
	unsigned backoff_ms;
	bool registered;
	bool load_pending;        /* a LOAD report did not fit: resend */
	bool absent_logged;       /* "listener unavailable" said once */
	unsigned nclients;
	uint64_t received;        /* CLIENT records on this connection */
	unsigned sent_nclients;   /* what the listener was told last */
	uint64_t sent_received;
};

static void on_readable(struct ev_io *io, unsigned events, void *arg);
static void on_retry(struct ev_timer *t, void *arg);

static void disconnect(struct handoff_worker *w)
{
	evloop_del_io(w->io);
	w->io = NULL;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->registered = false;
	w->load_pending = false;
	w->received = 0;
}

/* Drops the connection and tries again after the current backoff,
 * which doubles for the next failure. */
static void schedule_retry(struct handoff_worker *w)
{
	disconnect(w);
	if (w->retry == NULL)
		w->retry = evloop_add_timer(w->loop, w->backoff_ms, false,
		                            on_retry, w);
	else
		evloop_timer_set(w->retry, w->backoff_ms);
	if (w->retry == NULL)
		log_error("handoff_retry", "error=\"no timer; not reconnecting\"");
	w->backoff_ms *= 2;
	if (w->backoff_ms > HANDOFF_RETRY_MAX_MS)
		w->backoff_ms = HANDOFF_RETRY_MAX_MS;
}

static int send_record(struct handoff_worker *w, const struct handoff_msg *m)
{
	return fdpass_send(w->fd, -1, m, sizeof *m);
}

static int send_register(struct handoff_worker *w)
{
	struct handoff_msg m;
	handoff_msg_init(&m, HANDOFF_MSG_REGISTER);
	memcpy(m.u.reg.service, w->service, sizeof m.u.reg.service);
	m.u.reg.instance = w->instance;
	m.u.reg.flags = w->flags;
	m.u.reg.maxclt = w->maxclt;
	m.u.reg.nclients = w->nclients;
	w->sent_nclients = w->nclients;
	w->sent_received = 0;
	return send_record(w, &m);
}

static int send_load(struct handoff_worker *w)
{
	struct handoff_msg m;
	handoff_msg_init(&m, HANDOFF_MSG_LOAD);
	m.u.load.nclients = w->nclients;
	m.u.load.received = w->received;
	if (send_record(w, &m) == 0) {
		w->sent_nclients = w->nclients;
		w->sent_received = w->received;
		w->load_pending = false;
		evloop_io_set_events(w->io, EV_READ);
		return 0;
	}
	if (errno != EAGAIN)
		return -1;
	/* The socket is full: say it again once it drains. */
	w->load_pending = true;
	evloop_io_set_events(w->io, EV_READ | EV_WRITE);
	return 0;
}

static void note_unavailable(struct handoff_worker *w, const char *why)
{
	if (!w->absent_logged)
		log_warn("handoff_unavailable", "socket=%s error=%s retry=yes",
		         log_quote(w->path), log_quote(why));
	w->absent_logged = true;
}

/* One connection attempt; on failure the retry timer is armed. */
static void try_connect(struct handoff_worker *w)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (w->fd >= 0)
		return;   /* connected already */
	memcpy(sa.sun_path, w->path, sizeof sa.sun_path);
	w->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (w->fd < 0 || connect(w->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		note_unavailable(w, strerror(errno));
		schedule_retry(w);
		return;
	}
	w->io = evloop_add_io(w->loop, w->fd, EV_READ, on_readable, w);
	if (w->io == NULL || send_register(w) < 0) {
		note_unavailable(w, "cannot register");
		schedule_retry(w);
	}
}

static void on_retry(struct ev_timer *t, void *arg)
{
	struct handoff_worker *w = arg;
	evloop_del_timer(t);
	w->retry = NULL;
	try_connect(w);
}

/* Tells the listener what changed since the last report, if anything.
 * Returns 0, or -1 when the connection failed (reconnection started). */
static int report(struct handoff_worker *w)
{
	if (w->fd < 0 || (w->nclients == w->sent_nclients &&
	                  w->received == w->sent_received && !w->load_pending))
		return 0;
	if (send_load(w) == 0)
		return 0;
	schedule_retry(w);
	return -1;
}

static void take_client(struct handoff_worker *w, const struct handoff_msg *m,
                        int fd)
{
	struct handoff_client c = {
		.fd = fd,
		.service = m->u.client.service,
		.flags = m->u.client.flags,
		.peer_len = m->u.client.peer_len,
		.local_len = m->u.client.local_len,
	};
	memcpy(&c.peer, &m->u.client.peer, sizeof c.peer);
	memcpy(&c.local, &m->u.client.local, sizeof c.local);
	w->received++;
	fd_set_nonblock(fd);
	w->cb(&c, w->arg);
	/* A callback that refused the client (full) may not have reported;
	 * the listener must still learn the client arrived. */
	report(w);
}

/* Handles one checked record.  Returns 0, or -1 when the listener broke
 * the protocol (the caller drops the connection). */
static int dispatch(struct handoff_worker *w, const struct handoff_msg *m,
                    int fd)
{
	switch (m->type) {
	case HANDOFF_MSG_REGISTERED:
		if (fd >= 0 || w->registered)
			break;
		w->registered = true;
		w->absent_logged = false;
		w->backoff_ms = HANDOFF_RETRY_MIN_MS;
		log_info("handoff_registered", "service=%s instance=%d flags=%u "
		         "maxclt=%u", w->service, w->instance, w->flags, w->maxclt);
		return 0;
	case HANDOFF_MSG_CLIENT:
		if (fd < 0 || !w->registered || strcmp(m->u.client.service,
		                                        w->service) != 0)
			break;
		take_client(w, m, fd);
		return 0;
	default:
		break;
	}
	log_warn("handoff_protocol", "error=\"unexpected record\" type=%s",
	         handoff_msg_type_name(m->type));
	return -1;
}

/* Reads one record; returns 1 to go on, 0 when nothing is waiting, -1
 * when the connection ended or broke (the caller retries). */
static int read_one(struct handoff_worker *w)
{
	struct handoff_msg m;
	const char *why;
	int fd = -1;
	ssize_t n = fdpass_recv(w->fd, &fd, &m, sizeof m);

	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0) {
		log_warn("handoff_lost", "socket=%s", log_quote(w->path));
		return -1;
	}
	if (handoff_msg_check(&m, (size_t)n, &why) < 0) {
		log_warn("handoff_protocol", "error=%s", log_quote(why));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (dispatch(w, &m, fd) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return 1;
}

static void on_readable(struct ev_io *io, unsigned events, void *arg)
{
	struct handoff_worker *w = arg;
	(void)io;
	if (w->fd < 0)
		return;
	if ((events & EV_WRITE) && w->load_pending && send_load(w) < 0) {
		schedule_retry(w);
		return;
	}
	if (!(events & EV_READ))
		return;
	for (;;) {
		int fd_before = w->fd;
		int rc = read_one(w);
		if (rc < 0) {
			schedule_retry(w);
			return;
		}
		/* The callback may have reported load and lost the link. */
		if (rc == 0 || w->fd != fd_before || w->fd < 0)
			return;
	}
}

static int copy_path(struct handoff_worker *w, const char *run_dir)
{
	int n = snprintf(w->path, sizeof w->path, "%s/%s", run_dir,
	                 HANDOFF_SOCKET_NAME);
	if (n < 0 || (size_t)n >= sizeof w->path) {
		log_error("handoff_open", "run_dir=%s error=\"path too long\"",
		          log_quote(run_dir));
		return -1;
	}
	return 0;
}

struct handoff_worker *handoff_worker_open(struct evloop *loop,
                                           const char *run_dir,
                                           const char *service, int instance,
                                           unsigned flags, unsigned maxclt,
                                           handoff_client_cb *cb, void *arg)
{
	if (service == NULL || *service == '\0' ||
	    strlen(service) > HANDOFF_SERVICE_MAX || maxclt == 0 || cb == NULL) {
		log_error("handoff_open", "service=%s maxclt=%u error=\"bad "
		          "arguments\"", log_quote(service ? service : ""), maxclt);
		return NULL;
	}
	struct handoff_worker *w = calloc(1, sizeof *w);
	if (w == NULL) {
		log_error("handoff_open", "error=\"out of memory\"");
		return NULL;
	}
	w->fd = -1;
	if (copy_path(w, run_dir) < 0) {
		free(w);
		return NULL;
	}
	w->loop = loop;
	snprintf(w->service, sizeof w->service, "%s", service);
	w->instance = instance;
	w->flags = flags;
	w->maxclt = maxclt;
	w->cb = cb;
	w->arg = arg;
	w->backoff_ms = HANDOFF_RETRY_MIN_MS;
	try_connect(w);
	return w;
}

int handoff_worker_load(struct handoff_worker *w, unsigned nclients)
{
	w->nclients = nclients;
	return report(w);   /* when disconnected, the next REGISTER says it */
}

void handoff_peer_text(const struct handoff_client *c, char *buf, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "";
	if (c->peer_len >= sizeof(struct sockaddr_in) &&
	    c->peer.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&c->peer;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		snprintf(buf, cap, "%s:%u", host, ntohs(in->sin_port));
	} else if (c->peer_len >= sizeof(struct sockaddr_in6) &&
	           c->peer.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&c->peer;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		snprintf(buf, cap, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, cap, "unknown");
	}
}

bool handoff_worker_registered(const struct handoff_worker *w)
{
	return w->registered;
}

void handoff_worker_close(struct handoff_worker *w)
{
	if (w == NULL)
		return;
	disconnect(w);
	evloop_del_timer(w->retry);
	free(w);
}
