/*
 * client_conn.c - a protocol worker's client connection: socket, TLS,
 * stream, idle timer and the pump (see client_conn.h).
 */
#include "client_conn.h"

#include "log.h"
#include "params.h"
#include "stats.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void on_io(struct ev_io *io, unsigned events, void *arg);
static void on_idle(struct ev_timer *t, void *arg);
static void dead(struct client_conn *cc);

/* "<protocol>_<what>" into EV, the event name of a log line. */
static const char *event(const struct client_conn *cc, const char *what, char *ev, size_t cap)
{
	snprintf(ev, cap, "%s_%s", cc->ops->name, what);
	return ev;
}

/* ---- TLS as an iostream transport ---- */

static ssize_t t_read(void *ctx, void *buf, size_t len)
{
	return tls_read(ctx, buf, len);
}

static ssize_t t_write(void *ctx, const void *buf, size_t len)
{
	return tls_write(ctx, buf, len);
}

static bool t_wants_write(const void *ctx)
{
	return tls_conn_wants_write(ctx);
}

static size_t t_pending(const void *ctx)
{
	return tls_pending(ctx);
}

static const struct io_transport_ops tls_ops = { t_read, t_write, t_wants_write,
                                                 t_pending };

int client_conn_start_tls(struct client_conn *cc)
{
	cc->tls = tls_conn_new(cc->tls_ctx, cc->fd);
	if (cc->tls == NULL)
		return -1;
	cc->tls_state = CLIENT_TLS_HANDSHAKE;
	evloop_timer_set(cc->idle_timer, CLIENT_TLS_HANDSHAKE_MS);
	return 0;
}

/* 0 done, 1 waiting, -1 failed. */
static int handshake(struct client_conn *cc)
{
	int r = tls_handshake(cc->tls);
	if (r < 0)
		stats_inc(STAT_TLS_FAILURES);
	if (r != 0)
		return r;
	stats_inc(STAT_TLS_HANDSHAKES);
	ios_set_transport(cc->ios, &tls_ops, cc->tls);
	cc->tls_state = CLIENT_TLS_ON;
	evloop_timer_set(cc->idle_timer, cc->idle_ms);
	char ev[32];
	log_info(event(cc, "tls", ev, sizeof ev), "session=%s version=%s cipher=%s bits=%d resumed=%s",
	         cc->session, tls_conn_version(cc->tls), tls_conn_cipher(cc->tls),
	         tls_conn_bits(cc->tls), tls_conn_resumed(cc->tls) ? "yes" : "no");
	return 0;
}

bool client_conn_tls(const struct client_conn *cc)
{
	return cc->tls_state == CLIENT_TLS_ON;
}

int client_conn_cert_user(const struct client_conn *cc, const char *field, char *out,
                          size_t cap)
{
	out[0] = '\0';
	if (cc->tls_state != CLIENT_TLS_ON)
		return -1;
	return tls_conn_peer_user(cc->tls, field, out, cap);
}

bool client_conn_plaintext_ok(const struct client_conn *cc, int min_bits)
{
	if (min_bits <= 0)
		return true;
	return client_conn_tls(cc) && tls_conn_bits(cc->tls) >= min_bits;
}

bool client_conn_can_write(const struct client_conn *cc)
{
	return cc->tls_state == CLIENT_TLS_NONE || cc->tls_state == CLIENT_TLS_ON;
}

/* ---- life cycle ---- */

int client_conn_open(struct client_conn *cc, struct client_list *list, struct evloop *loop,
                     int fd, size_t max_line, size_t high_water, unsigned idle_ms,
                     struct tls_server *tls_ctx, const char *session,
                     const struct client_conn_ops *ops, void *client)
{
	int one = 1;
	/* Answers leave whole through ios, so Nagle only delays them: a
	 * TLS answer goes out one record per write, and on loopback (an MSS
	 * of 64 KiB) each record is a "small" segment that waits for the
	 * client's delayed ACK of the one before; an untagged push (IDLE's
	 * EXISTS) waits the same way.  On a socket that is not TCP this
	 * fails, harmlessly. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	cc->list = list;
	cc->prev = NULL;
	cc->next = list->head;
	if (list->head != NULL)
		list->head->prev = cc;
	list->head = cc;
	list->n++;
	cc->fd = fd;
	cc->ops = ops;
	cc->client = client;
	cc->session = session;
	cc->tls_ctx = tls_ctx;
	cc->idle_ms = idle_ms;
	cc->ios = ios_new(fd, max_line, high_water);
	cc->io = evloop_add_io(loop, fd, EV_READ, on_io, cc);
	cc->idle_timer = evloop_add_timer(loop, idle_ms, false, on_idle, cc);
	return cc->ios != NULL && cc->io != NULL && cc->idle_timer != NULL ? 0 : -1;
}

void client_conn_close(struct client_conn *cc)
{
	if (cc->ops == NULL)
		return;
	if (cc->prev != NULL)
		cc->prev->next = cc->next;
	else
		cc->list->head = cc->next;
	if (cc->next != NULL)
		cc->next->prev = cc->prev;
	cc->list->n--;
	evloop_del_io(cc->io);
	evloop_del_timer(cc->idle_timer);
	ios_free(cc->ios);
	tls_conn_free(cc->tls);
	close(cc->fd);
	cc->ops = NULL;
	if (cc->list->changed != NULL)
		cc->list->changed(cc->list, cc->list->changed_arg);
}

enum ios_status client_conn_input(struct client_conn *cc, enum ios_status st)
{
	if (st == IOS_EOF)
		cc->eof = true;
	if (st == IOS_EOF || (st == IOS_NEED_MORE && cc->eof))
		cc->closing = true;
	return st;
}

bool client_conn_start(struct client_conn *cc, unsigned flags, const char *peer)
{
	char ev[32];
	bool implicit = (flags & PROC_FLAG_SSL) != 0;
	int r;
	cc->peer = peer;
	log_info(event(cc, "connect", ev, sizeof ev), "session=%s peer=%s tls=%s", cc->session,
	         log_quote(peer), implicit ? "implicit" : "no");
	if (!implicit) {
		r = cc->ops->greet(cc->client);
	} else if (cc->tls_ctx == NULL) {
		log_warn(ev, "session=%s error=\"TLS listener but no certificate\"", cc->session);
		r = -1;
	} else {
		r = client_conn_start_tls(cc);
	}
	if (r < 0) {
		dead(cc);
		return false;
	}
	return client_conn_pump(cc);
}

/* ---- events ---- */

static void dead(struct client_conn *cc)
{
	cc->ops->free(cc->client);
}

static void on_idle(struct ev_timer *t, void *arg)
{
	struct client_conn *cc = arg;
	(void)t;
	char ev[32];
	stats_inc(STAT_CLIENT_TIMEOUTS);
	log_info(event(cc, "timeout", ev, sizeof ev), "session=%s peer=%s", cc->session,
	         log_quote(cc->peer ? cc->peer : "-"));
	if (client_conn_can_write(cc))
		cc->ops->idle(cc->client);
	cc->closing = true;
	client_conn_pump(cc);
}

/* Reads what the socket has; false when the connection is dead. */
static bool fill(struct client_conn *cc)
{
	ssize_t n = ios_fill(cc->ios);
	if (n > 0) {
		evloop_timer_reset(cc->idle_timer);
		return true;
	}
	if (n == 0) {
		cc->eof = true;
		return true;
	}
	if (errno == EAGAIN || errno == ENOBUFS)
		return true;
	char ev[32];
	log_info(event(cc, "read", ev, sizeof ev), "session=%s error=%s", cc->session,
	         log_quote(strerror(errno)));
	return false;
}

static bool want_input(const struct client_conn *cc)
{
	if (cc->closing || cc->eof || cc->tls_state == CLIENT_TLS_STARTING ||
	    cc->ops->input_held(cc->client))
		return false;
	return !ios_out_full(cc->ios);
}

static void on_io(struct ev_io *io, unsigned events, void *arg)
{
	struct client_conn *cc = arg;
	(void)io;
	if (cc->tls_state == CLIENT_TLS_HANDSHAKE) {
		int r = handshake(cc);
		if (r < 0) {
			dead(cc);
			return;
		}
		if (r == 1) {
			evloop_io_set_events(cc->io, tls_conn_wants_write(cc->tls) ? EV_WRITE : EV_READ);
			return;
		}
		if (cc->ops->greet(cc->client) < 0) {
			dead(cc);
			return;
		}
	}
	if ((events & EV_READ) && want_input(cc) && !fill(cc)) {
		dead(cc);
		return;
	}
	client_conn_pump(cc);
}

/* Flushes output and sets what the socket is watched for.  False when
 * the client was freed. */
static bool settle(struct client_conn *cc, bool more)
{
	size_t before = ios_out_pending(cc->ios);
	int r = ios_flush(cc->ios);
	if (cc->ops->output_is_activity && r >= 0 && ios_out_pending(cc->ios) < before &&
	    cc->tls_state != CLIENT_TLS_HANDSHAKE)
		evloop_timer_reset(cc->idle_timer);
	if (r < 0 || (cc->closing && r == 0)) {
		dead(cc);
		return false;
	}
	if (cc->tls_state == CLIENT_TLS_STARTING && r == 0) {
		if (client_conn_start_tls(cc) < 0) {
			dead(cc);
			return false;
		}
		evloop_io_set_events(cc->io, EV_READ);
		return true;
	}
	/* MORE: the pump yielded with work left; a writable socket brings
	 * it back after the loop's other events */
	unsigned ev = ios_wants_write(cc->ios) || more ? EV_WRITE : 0;
	if (want_input(cc) && !(ev && ios_out_full(cc->ios)))
		ev |= EV_READ;
	evloop_io_set_events(cc->io, ev);
	return true;
}

bool client_conn_pump(struct client_conn *cc)
{
	unsigned steps = 0;
	for (;;) {
		if (cc->closing || cc->tls_state == CLIENT_TLS_STARTING ||
		    cc->tls_state == CLIENT_TLS_HANDSHAKE)
			break;
		if (ios_out_full(cc->ios) && ios_flush(cc->ios) != 0 && ios_out_full(cc->ios))
			break;
		int r = cc->ops->step(cc->client);
		if (r < 0) {
			dead(cc);
			return false;
		}
		if (r > 0) {
			if (++steps < CLIENT_PUMP_STEPS)
				continue;
			return settle(cc, true);
		}
		/* a TLS record may hold input the socket will not announce */
		if (!ios_transport_pending(cc->ios) || !want_input(cc))
			break;
		size_t before = ios_in_buffered(cc->ios);
		if (!fill(cc)) {
			dead(cc);
			return false;
		}
		if (ios_in_buffered(cc->ios) == before && !cc->eof)
			break;   /* the buffer is full: the protocol must take some first */
	}
	return settle(cc, false);
}
