/*
 * handoff_listener.c - the iolistener side of the hand-off: accepts
 * worker connections on <run_dir>/handoff.sock, keeps their
 * registrations and load, and sends each client socket to the
 * least-loaded worker of its service with room; see handoff.h.
 */
#include "handoff_wire.h"

#include "evloop.h"
#include "fdpass.h"
#include "log.h"
#include "params.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Pending worker connections the kernel queues. */
#define HANDOFF_BACKLOG 64
/* Most worker connections at once; more are refused (logged). */
#define HANDOFF_MAX_WORKERS 512

struct hworker {
	struct hworker *next;
	struct handoff_listener *l;
	int fd;
	struct ev_io *io;
	bool registered;
	char service[HANDOFF_SERVICE_MAX + 1];
	int instance;
	unsigned flags;
	unsigned maxclt;
	unsigned nclients;        /* as last reported */
	uint64_t reported_received;
	uint64_t sent;            /* clients sent on this connection */
};

struct handoff_listener {
	struct evloop *loop;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
	struct ev_io *io;
	struct hworker *workers;
	size_t nworkers;
};

/* Clients the worker serves or has been sent and not yet counted. */
static uint64_t worker_load(const struct hworker *w)
{
	uint64_t in_flight = w->sent > w->reported_received
	                         ? w->sent - w->reported_received : 0;
	return w->nclients + in_flight;
}

static void worker_name(const struct hworker *w, char *buf, size_t cap)
{
	if (buf != NULL && cap > 0)
		snprintf(buf, cap, "%s#%d", w->service, w->instance);
}

static void drop_worker(struct hworker *w, const char *why)
{
	struct handoff_listener *l = w->l;
	struct hworker **pp = &l->workers;

	while (*pp != NULL && *pp != w)
		pp = &(*pp)->next;
	if (*pp == w)
		*pp = w->next;
	l->nworkers--;
	if (w->registered)
		log_info("handoff_worker_gone", "service=%s instance=%d load=%llu "
		         "reason=%s", w->service, w->instance,
		         (unsigned long long)worker_load(w), log_quote(why));
	else
		log_info("handoff_worker_gone", "registered=no reason=%s",
		         log_quote(why));
	evloop_del_io(w->io);
	close(w->fd);
	free(w);
}

static int on_register(struct hworker *w, const struct handoff_msg *m)
{
	struct handoff_msg ack;

	if (w->registered)
		return -1;
	memcpy(w->service, m->u.reg.service, sizeof w->service);
	w->instance = m->u.reg.instance;
	w->flags = m->u.reg.flags;
	w->maxclt = m->u.reg.maxclt;
	w->nclients = m->u.reg.nclients;
	w->registered = true;
	handoff_msg_init(&ack, HANDOFF_MSG_REGISTERED);
	if (fdpass_send(w->fd, -1, &ack, sizeof ack) < 0)
		return -1;
	log_info("handoff_worker_registered", "service=%s instance=%d flags=%u "
	         "maxclt=%u clients=%u", w->service, w->instance, w->flags,
	         w->maxclt, w->nclients);
	return 0;
}

/* Handles one checked record from worker W.  Returns 0, or -1 when the
 * worker broke the protocol (the caller drops it). */
static int dispatch(struct hworker *w, const struct handoff_msg *m)
{
	switch (m->type) {
	case HANDOFF_MSG_REGISTER:
		return on_register(w, m);
	case HANDOFF_MSG_LOAD:
		if (!w->registered)
			return -1;
		w->nclients = m->u.load.nclients;
		w->reported_received = m->u.load.received;
		log_debug("handoff_load", "service=%s instance=%d clients=%u "
		          "load=%llu", w->service, w->instance, w->nclients,
		          (unsigned long long)worker_load(w));
		return 0;
	default:
		return -1;
	}
}

/* Reads one record from W.  Returns 1 to go on, 0 when nothing is
 * waiting, -1 after dropping the worker. */
static int read_one(struct hworker *w)
{
	struct handoff_msg m;
	const char *why = "unexpected record";
	int fd = -1;
	ssize_t n = fdpass_recv(w->fd, &fd, &m, sizeof m);

	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0) {
		drop_worker(w, n == 0 ? "closed" : "socket error");
		return -1;
	}
	if (fd >= 0) {
		close(fd);   /* workers never send descriptors */
		why = "descriptor from worker";
	} else if (handoff_msg_check(&m, (size_t)n, &why) == 0 &&
	           dispatch(w, &m) == 0) {
		return 1;
	}
	log_warn("handoff_protocol", "type=%s error=%s",
	         handoff_msg_type_name(n >= 4 ? m.type : 0), log_quote(why));
	drop_worker(w, why);
	return -1;
}

static void on_worker(struct ev_io *io, unsigned events, void *arg)
{
	(void)io;
	(void)events;
	while (read_one(arg) > 0)
		;
}

static void on_accept(struct ev_io *io, unsigned events, void *arg)
{
	struct handoff_listener *l = arg;
	(void)io;
	(void)events;
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("handoff_accept", "error=%s",
				         log_quote(strerror(errno)));
			return;
		}
		struct hworker *w = l->nworkers < HANDOFF_MAX_WORKERS
		                        ? calloc(1, sizeof *w) : NULL;
		if (w == NULL) {
			log_warn("handoff_accept", "error=\"too many workers or out "
			         "of memory\" workers=%zu", l->nworkers);
			close(fd);
			continue;
		}
		w->l = l;
		w->fd = fd;
		w->io = evloop_add_io(l->loop, fd, EV_READ, on_worker, w);
		if (w->io == NULL) {
			close(fd);
			free(w);
			continue;
		}
		w->next = l->workers;
		l->workers = w;
		l->nworkers++;
	}
}

static int bind_socket(struct handoff_listener *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, l->path, sizeof sa.sun_path);
	l->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -1;
	if (unlink(l->path) < 0 && errno != ENOENT)
		return -1;
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    chmod(l->path, 0660) < 0 || listen(l->fd, HANDOFF_BACKLOG) < 0)
		return -1;
	return 0;
}

struct handoff_listener *handoff_listener_open(struct evloop *loop,
                                               const char *run_dir)
{
	struct handoff_listener *l = calloc(1, sizeof *l);
	if (l == NULL) {
		log_error("handoff_listen", "error=\"out of memory\"");
		return NULL;
	}
	l->loop = loop;
	l->fd = -1;
	int n = snprintf(l->path, sizeof l->path, "%s/%s", run_dir,
	                 HANDOFF_SOCKET_NAME);
	if (n < 0 || (size_t)n >= sizeof l->path) {
		log_error("handoff_listen", "run_dir=%s error=\"path too long\"",
		          log_quote(run_dir));
		free(l);
		return NULL;
	}
	if (bind_socket(l) < 0) {
		log_error("handoff_listen", "socket=%s error=%s",
		          log_quote(l->path), log_quote(strerror(errno)));
		if (l->fd >= 0)
			close(l->fd);
		free(l);
		return NULL;
	}
	l->io = evloop_add_io(loop, l->fd, EV_READ, on_accept, l);
	if (l->io == NULL) {
		close(l->fd);
		unlink(l->path);
		free(l);
		return NULL;
	}
	log_info("handoff_listen", "socket=%s", log_quote(l->path));
	return l;
}

/* True when W is an SSL-dedicated worker and FLAGS an SSL listener's,
 * or neither. */
static bool same_kind(const struct hworker *w, unsigned flags)
{
	return ((w->flags & PROC_FLAG_SSL) != 0) == ((flags & PROC_FLAG_SSL) != 0);
}

/* The worker to send a client of SERVICE/FLAGS to, or NULL; *ANY tells
 * whether the service has a registered worker at all. */
static struct hworker *pick(struct handoff_listener *l, const char *service,
                            unsigned flags, bool *any)
{
	struct hworker *best = NULL;
	bool kind_exists = false;

	*any = false;
	for (struct hworker *w = l->workers; w != NULL; w = w->next)
		if (w->registered && strcasecmp(w->service, service) == 0) {
			*any = true;
			kind_exists |= same_kind(w, flags);
		}
	for (struct hworker *w = l->workers; w != NULL; w = w->next) {
		if (!w->registered || strcasecmp(w->service, service) != 0 ||
		    (kind_exists && !same_kind(w, flags)))
			continue;
		uint64_t load = worker_load(w);
		if (load >= w->maxclt)
			continue;
		/* Ties go to the worker sent fewer clients on its
		 * connection, so idle workers share the arrivals. */
		if (best == NULL || load < worker_load(best) ||
		    (load == worker_load(best) && w->sent < best->sent))
			best = w;
	}
	return best;
}

static void fill_client(struct handoff_msg *m, const char *service,
                        unsigned flags, const struct sockaddr *peer,
                        socklen_t peer_len, const struct sockaddr *local,
                        socklen_t local_len)
{
	handoff_msg_init(m, HANDOFF_MSG_CLIENT);
	snprintf(m->u.client.service, sizeof m->u.client.service, "%s", service);
	m->u.client.flags = flags;
	if (peer != NULL && peer_len <= sizeof m->u.client.peer) {
		memcpy(&m->u.client.peer, peer, peer_len);
		m->u.client.peer_len = peer_len;
	}
	if (local != NULL && local_len <= sizeof m->u.client.local) {
		memcpy(&m->u.client.local, local, local_len);
		m->u.client.local_len = local_len;
	}
}

/* A worker that died a moment ago may not have been read yet: its
 * hang-up is already visible, and a client sent to it would be lost. */
static bool worker_hung_up(const struct hworker *w)
{
	struct pollfd p = { .fd = w->fd, .events = POLLRDHUP };
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
}

enum handoff_result handoff_listener_send(struct handoff_listener *l,
                                          const char *service, unsigned flags,
                                          int fd,
                                          const struct sockaddr *peer,
                                          socklen_t peer_len,
                                          const struct sockaddr *local,
                                          socklen_t local_len,
                                          char *worker, size_t worker_cap)
{
	struct handoff_msg m;
	struct hworker *w;
	bool any;

	fill_client(&m, service, flags, peer, peer_len, local, local_len);
	while ((w = pick(l, service, flags, &any)) != NULL) {
		if (worker_hung_up(w)) {
			drop_worker(w, "closed");
			continue;
		}
		if (fdpass_send(w->fd, fd, &m, sizeof m) == 0) {
			w->sent++;
			worker_name(w, worker, worker_cap);
			return HANDOFF_SENT;
		}
		if (errno == EAGAIN) {
			/* Its queue is full: count it as full until it reports
			 * again rather than wait. */
			w->nclients = w->maxclt;
			continue;
		}
		drop_worker(w, "send failed");
	}
	return any ? HANDOFF_BUSY : HANDOFF_NO_WORKER;
}

size_t handoff_listener_workers(const struct handoff_listener *l,
                                const char *service)
{
	size_t n = 0;
	for (const struct hworker *w = l->workers; w != NULL; w = w->next)
		if (w->registered &&
		    (service == NULL || strcasecmp(w->service, service) == 0))
			n++;
	return n;
}

void handoff_listener_close(struct handoff_listener *l)
{
	if (l == NULL)
		return;
	while (l->workers != NULL)
		drop_worker(l->workers, "listener closing");
	evloop_del_io(l->io);
	close(l->fd);
	unlink(l->path);
	free(l);
}
