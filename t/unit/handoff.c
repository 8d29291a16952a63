/* Unit tests for libcommon/handoff*.c: workers register (also when they
 * start before the listener, and again after it restarts), clients go to
 * the least-loaded worker of their service with room and arrive whole
 * (descriptor, addresses, flags), full workers give "busy", SSL clients
 * go to SSL-dedicated workers, a closed worker stops receiving at once,
 * and a peer that breaks the protocol is dropped.  Every wait is bounded
 * by a guard and asserts what happened, never how long it took. */
#include "evloop.h"
#include "handoff.h"
#include "handoff_wire.h"
#include "log.h"
#include "tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define GUARD_MS 10000   /* a wait that never ends fails instead */
#define MAX_GOT 8

struct got {
	struct handoff_worker *w;   /* reports its load like a real worker */
	int n;
	int fds[MAX_GOT];
	unsigned flags[MAX_GOT];
	char service[MAX_GOT][16];
	struct sockaddr_in peer[MAX_GOT];
};

static struct evloop *loop;
static const char *run_dir;

static void on_client(const struct handoff_client *c, void *arg)
{
	struct got *g = arg;
	if (g->n >= MAX_GOT) {
		close(c->fd);
		return;
	}
	g->fds[g->n] = c->fd;
	g->flags[g->n] = c->flags;
	snprintf(g->service[g->n], sizeof g->service[0], "%s", c->service);
	if (c->peer_len == sizeof(struct sockaddr_in))
		memcpy(&g->peer[g->n], &c->peer, sizeof g->peer[0]);
	g->n++;
	if (g->w != NULL)
		handoff_worker_load(g->w, (unsigned)g->n);
}

/* Runs the loop until COND(ARG) holds or the guard passes; returns the
 * final COND. */
typedef bool cond_fn(const void *arg);
static cond_fn *cond_cur;
static const void *cond_arg;

static void on_tick(struct ev_timer *t, void *arg)
{
	(void)t;
	if (cond_cur(cond_arg))
		evloop_stop(arg);
}

static void on_guard(struct ev_timer *t, void *arg)
{
	(void)t;
	evloop_stop(arg);
}

static bool run_until(cond_fn *cond, const void *arg)
{
	cond_cur = cond;
	cond_arg = arg;
	if (cond(arg))
		return true;
	struct ev_timer *tick = evloop_add_timer(loop, 5, true, on_tick, loop);
	struct ev_timer *guard = evloop_add_timer(loop, GUARD_MS, false, on_guard,
	                                          loop);
	evloop_run(loop);
	evloop_del_timer(tick);
	evloop_del_timer(guard);
	return cond(arg);
}

static bool is_registered(const void *w)
{
	return handoff_worker_registered(w);
}

struct count_want {
	const struct handoff_listener *l;
	const char *service;
	size_t n;
};

static bool has_workers(const void *arg)
{
	const struct count_want *c = arg;
	return handoff_listener_workers(c->l, c->service) == c->n;
}

/* Pumps the loop until G has received N clients. */
static bool wait_got(const struct got *g, int n)
{
	for (int i = 0; i < 400 && g->n < n; i++) {
		struct ev_timer *t = evloop_add_timer(loop, 5, false, on_guard, loop);
		evloop_run(loop);
		evloop_del_timer(t);
	}
	return g->n >= n;
}

static void pump(void)
{
	struct ev_timer *t = evloop_add_timer(loop, 20, false, on_guard, loop);
	evloop_run(loop);
	evloop_del_timer(t);
}

/* Sends one end of a fresh socketpair as a client; returns the other. */
static enum handoff_result send_client(struct handoff_listener *l,
                                       const char *service, unsigned flags,
                                       int *other, char *who, size_t cap)
{
	int sv[2];
	struct sockaddr_in peer = { .sin_family = AF_INET,
	                            .sin_port = htons(4242) };
	inet_pton(AF_INET, "192.0.2.7", &peer.sin_addr);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	enum handoff_result r = handoff_listener_send(
	    l, service, flags, sv[0], (struct sockaddr *)&peer, sizeof peer,
	    NULL, 0, who, cap);
	close(sv[0]);
	*other = sv[1];
	return r;
}

static void close_got(struct got *g)
{
	for (int i = 0; i < g->n; i++)
		close(g->fds[i]);
	g->n = 0;
}

static void test_register_late(void)
{
	struct got g = { 0 };
	struct handoff_worker *w = handoff_worker_open(loop, run_dir, "imap", 1, 0,
	                                               2, on_client, &g);
	g.w = w;
	ok(w != NULL && !handoff_worker_registered(w),
	   "worker starts without a listener, not registered");
	pump();
	struct handoff_listener *l = handoff_listener_open(loop, run_dir);
	ok(l != NULL, "listener opens");
	ok(run_until(is_registered, w), "worker retries and registers");
	pump();
	pump();
	pump();
	pump();
	pump();
	pump();
	ok(handoff_worker_registered(w), "worker stays registered on its one "
	   "connection (no second connection later)");
	is_int((long long)handoff_listener_workers(l, "imap"), 1,
	       "listener counts one imap worker");
	is_int((long long)handoff_listener_workers(l, "pop"), 0, "no pop worker");

	int other;
	char who[32] = "";
	is_int(send_client(l, "imap", 64, &other, who, sizeof who), HANDOFF_SENT,
	       "client sent");
	is_str(who, "imap#1", "to the worker, named for the log");
	ok(wait_got(&g, 1), "worker received it");
	is_int(g.flags[0], 64, "listener flags travel");
	is_str(g.service[0], "imap", "service travels");
	char addr[INET_ADDRSTRLEN] = "";
	inet_ntop(AF_INET, &g.peer[0].sin_addr, addr, sizeof addr);
	is_str(addr, "192.0.2.7", "peer address travels");
	is_int(ntohs(g.peer[0].sin_port), 4242, "peer port travels");
	char buf[8] = "";
	ok(write(g.fds[0], "hi", 2) == 2 && read(other, buf, sizeof buf) == 2 &&
	   memcmp(buf, "hi", 2) == 0, "received descriptor is the client's");
	close(other);
	is_int(send_client(l, "pop", 0, &other, NULL, 0), HANDOFF_NO_WORKER,
	       "no worker for another service");
	close(other);

	/* Listener restarts: the worker comes back by itself. */
	handoff_listener_close(l);
	pump();
	ok(!handoff_worker_registered(w), "worker notices the listener left");
	l = handoff_listener_open(loop, run_dir);
	ok(run_until(is_registered, w), "worker registers with the new listener");
	close_got(&g);
	handoff_worker_close(w);
	struct count_want cw = { l, NULL, 0 };
	ok(run_until(has_workers, &cw), "closed worker is gone from the listener");
	handoff_listener_close(l);
}

static void test_balance_and_busy(void)
{
	struct got ga = { 0 }, gb = { 0 };
	struct handoff_listener *l = handoff_listener_open(loop, run_dir);
	struct handoff_worker *a = handoff_worker_open(loop, run_dir, "pop", 1, 0,
	                                               2, on_client, &ga);
	ga.w = a;
	struct handoff_worker *b = handoff_worker_open(loop, run_dir, "pop", 2, 0,
	                                               2, on_client, &gb);
	gb.w = b;
	struct count_want cw = { l, "pop", 2 };
	ok(run_until(has_workers, &cw), "two pop workers registered");
	int others[5];
	int sent = 0;
	for (int i = 0; i < 4; i++)
		sent += send_client(l, "pop", 0, &others[i], NULL, 0) == HANDOFF_SENT;
	is_int(sent, 4, "four clients fit in two workers of maxclt 2");
	is_int(send_client(l, "pop", 0, &others[4], NULL, 0), HANDOFF_BUSY,
	       "the fifth finds every worker full: busy");
	close(others[4]);
	ok(wait_got(&ga, 2) && wait_got(&gb, 2),
	   "each worker got two (least loaded first)");

	/* A finishes its clients and says so: it has room again. */
	close_got(&ga);
	handoff_worker_load(a, 0);
	pump();
	char who[32] = "";
	is_int(send_client(l, "pop", 0, &others[4], who, sizeof who), HANDOFF_SENT,
	       "after a load report the worker takes clients again");
	is_str(who, "pop#1", "the one that reported room");
	close(others[4]);

	/* B dies: it stops receiving at once, A keeps serving. */
	handoff_worker_close(b);
	close_got(&gb);
	cw.n = 1;
	ok(run_until(has_workers, &cw), "dead worker unregistered");
	ok(wait_got(&ga, 1), "A has its client");
	close_got(&ga);
	handoff_worker_load(a, 0);
	pump();
	is_int(send_client(l, "pop", 0, &others[4], who, sizeof who), HANDOFF_SENT,
	       "new client still served");
	is_str(who, "pop#1", "by the live worker");
	close(others[4]);
	for (int i = 0; i < 4; i++)
		close(others[i]);
	handoff_worker_close(a);
	close_got(&ga);
	handoff_listener_close(l);
}

static void test_ssl_dedicated(void)
{
	struct got gp = { 0 }, gs = { 0 };
	struct handoff_listener *l = handoff_listener_open(loop, run_dir);
	struct handoff_worker *p = handoff_worker_open(loop, run_dir, "imap", 1, 0,
	                                               10, on_client, &gp);
	gp.w = p;
	struct handoff_worker *s = handoff_worker_open(loop, run_dir, "imap", 2, 64,
	                                               10, on_client, &gs);
	gs.w = s;
	struct count_want cw = { l, "imap", 2 };
	ok(run_until(has_workers, &cw), "plain and SSL imap workers registered");
	char who[32];
	int other;
	send_client(l, "imap", 64, &other, who, sizeof who);
	is_str(who, "imap#2", "SSL client to the SSL-dedicated worker");
	close(other);
	send_client(l, "imap", 0, &other, who, sizeof who);
	is_str(who, "imap#1", "plain client to the plain worker");
	close(other);
	handoff_worker_close(s);
	cw.n = 1;
	run_until(has_workers, &cw);
	send_client(l, "imap", 64, &other, who, sizeof who);
	is_str(who, "imap#1", "without SSL workers any worker takes SSL clients");
	close(other);
	pump();
	handoff_worker_close(p);
	close_got(&gp);
	close_got(&gs);
	handoff_listener_close(l);
}

static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", run_dir,
	         HANDOFF_SOCKET_NAME);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		abort();
	return fd;
}

/* True once the listener closed FD (read gives 0 or ECONNRESET). */
static bool peer_closed(int fd)
{
	char b[512];
	ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN);
}

static bool wait_closed(int fd)
{
	for (int i = 0; i < 400; i++) {
		pump();
		if (peer_closed(fd))
			return true;
	}
	return false;
}

static void test_bad_peers(void)
{
	struct handoff_listener *l = handoff_listener_open(loop, run_dir);
	struct handoff_msg m;

	int fd = raw_connect();
	ok(send(fd, "junk", 4, 0) == 4 && wait_closed(fd),
	   "garbage record: peer dropped");
	close(fd);

	fd = raw_connect();
	handoff_msg_init(&m, HANDOFF_MSG_REGISTER);
	m.version = HANDOFF_VERSION + 1;
	snprintf(m.u.reg.service, sizeof m.u.reg.service, "pop");
	m.u.reg.maxclt = 1;
	ok(send(fd, &m, sizeof m, 0) == (ssize_t)sizeof m && wait_closed(fd),
	   "wrong version: peer dropped");
	close(fd);

	fd = raw_connect();
	handoff_msg_init(&m, HANDOFF_MSG_LOAD);
	ok(send(fd, &m, sizeof m, 0) == (ssize_t)sizeof m && wait_closed(fd),
	   "load before register: peer dropped");
	close(fd);

	fd = raw_connect();
	handoff_msg_init(&m, HANDOFF_MSG_CLIENT);
	snprintf(m.u.client.service, sizeof m.u.client.service, "pop");
	ok(send(fd, &m, sizeof m, 0) == (ssize_t)sizeof m && wait_closed(fd),
	   "listener-only record from a worker: peer dropped");
	close(fd);

	fd = raw_connect();
	handoff_msg_init(&m, HANDOFF_MSG_REGISTER);
	memset(m.u.reg.service, 'x', sizeof m.u.reg.service);
	m.u.reg.maxclt = 1;
	ok(send(fd, &m, sizeof m, 0) == (ssize_t)sizeof m && wait_closed(fd),
	   "unterminated service name: peer dropped");
	close(fd);
	is_int((long long)handoff_listener_workers(l, NULL), 0,
	       "none of them counts as a worker");

	const char *why = NULL;
	handoff_msg_init(&m, 99);
	int rc = handoff_msg_check(&m, sizeof m, &why);
	ok(rc < 0 && why != NULL, "unknown type refused: %s", why ? why : "");
	handoff_msg_init(&m, HANDOFF_MSG_CLIENT);
	snprintf(m.u.client.service, sizeof m.u.client.service, "imap");
	m.u.client.peer_len = sizeof m.u.client.peer + 1;
	ok(handoff_msg_check(&m, sizeof m, &why) < 0,
	   "address length past its storage refused");
	ok(handoff_worker_open(loop, run_dir, "", 1, 0, 1, on_client, NULL) == NULL,
	   "worker with an empty service refused");
	ok(handoff_worker_open(loop, run_dir, "pop", 1, 0, 0, on_client, NULL) == NULL,
	   "worker with maxclt 0 refused");
	handoff_listener_close(l);
}

/* A worker whose listener sends it a record it does not expect drops
 * the connection and registers again. */
static void test_worker_drops_bad_listener(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", run_dir,
	         HANDOFF_SOCKET_NAME);
	int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	unlink(sa.sun_path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(lfd, 4) < 0)
		abort();
	struct got g = { 0 };
	struct handoff_worker *w = handoff_worker_open(loop, run_dir, "pop", 1, 0,
	                                               1, on_client, &g);
	g.w = w;
	int c = accept(lfd, NULL, NULL);
	struct handoff_msg m;
	ok(c >= 0 && recv(c, &m, sizeof m, 0) == (ssize_t)sizeof m &&
	   m.type == HANDOFF_MSG_REGISTER, "worker registers first");
	handoff_msg_init(&m, HANDOFF_MSG_LOAD);
	send(c, &m, sizeof m, 0);
	ok(wait_closed(c), "worker drops a listener that sends a worker record");
	ok(!handoff_worker_registered(w) && g.n == 0, "and took no client");
	close(c);
	handoff_worker_close(w);
	close(lfd);
	unlink(sa.sun_path);
}

static int refused;

/* A full worker: closes each client at once and reports nothing. */
static void on_client_refuse(const struct handoff_client *c, void *arg)
{
	(void)arg;
	close(c->fd);
	refused++;
}

static bool refused_two(const void *arg)
{
	(void)arg;
	return refused >= 2;
}

/* The library tells the listener of each arrival, so a client the
 * callback refused without a load report does not hold a place. */
static void test_refused_frees_place(void)
{
	struct handoff_listener *l = handoff_listener_open(loop, run_dir);
	struct handoff_worker *w = handoff_worker_open(loop, run_dir, "pop", 1, 0,
	                                               1, on_client_refuse, NULL);
	ok(run_until(is_registered, w), "refusing worker registered");
	int other;
	is_int(send_client(l, "pop", 0, &other, NULL, 0), HANDOFF_SENT,
	       "first client sent to the worker of maxclt 1");
	close(other);
	for (int i = 0; i < 400 && refused < 1; i++)
		pump();
	pump();
	is_int(send_client(l, "pop", 0, &other, NULL, 0), HANDOFF_SENT,
	       "its place is free again once it took the client");
	close(other);
	ok(run_until(refused_two, NULL), "and it took the second");
	handoff_worker_close(w);
	handoff_listener_close(l);
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	run_dir = tap_tmpdir();
	loop = evloop_new();
	test_register_late();
	test_balance_and_busy();
	test_ssl_dedicated();
	test_refused_frees_place();
	test_bad_peers();
	test_worker_drops_bad_listener();
	evloop_free(loop);
	done_testing();
	return exit_status();
}
