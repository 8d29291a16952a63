/*
 * pop3_conn.c - one client connection of pop3srv: its socket in the
 * event loop, plain or TLS (implicit on an SSL listener, or after STLS),
 * the idle and failed-login timers, back-pressure and closing; see
 * pop3_client.h.  The protocol starts in pop3_session.c.
 *
 * The pump is the one place that decides what a connection waits for:
 * it continues a RETR while the output has room, runs buffered command
 * lines, and watches the socket for reading only while it would act on
 * the input (not during a transfer that waits for the peer to read, nor
 * while a failed login's answer is held back).
 */
#include "pop3_client.h"
#include "pop3_maildrop.h"
#include "pop3_retr.h"
#include "pop3_session.h"
#include "log.h"
#include "params.h"
#include "stats.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Output above this pauses a transfer until the peer reads. */
#define OUT_HIGH_WATER (128 * 1024)
/* A client gets this long to finish the TLS handshake. */
#define TLS_HANDSHAKE_MS 60000
/* Longest reply line pop3_reply() formats. */
#define REPLY_MAX 1024

static void on_io(struct ev_io *io, unsigned events, void *arg);
static void on_idle(struct ev_timer *t, void *arg);

/* ---- replies ---- */

void pop3_reply(struct pop3_client *c, const char *fmt, ...)
{
	char line[REPLY_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof line - 2 ? (size_t)n : sizeof line - 3;
	memcpy(line + len, "\r\n", 2);
	ios_write(c->ios, line, len + 2);
}

bool pop3_client_error(struct pop3_client *c, const char *fmt, ...)
{
	char text[REPLY_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	pop3_reply(c, "-ERR %s", text);
	if (++c->errors < c->srv->set.max_errors)
		return true;
	log_info("pop3_errors", "session=%s peer=%s errors=%u", c->session, c->peer, c->errors);
	pop3_reply(c, "-ERR too many bad commands, closing");
	c->closing = true;
	return false;
}

static void on_delay(struct ev_timer *t, void *arg)
{
	struct pop3_client *c = arg;
	(void)t;
	if (c->delayed_reply != NULL) {
		ios_puts(c->ios, c->delayed_reply);
		ios_puts(c->ios, "\r\n");
		free(c->delayed_reply);
		c->delayed_reply = NULL;
	}
	if (c->delayed_close)
		c->closing = true;
	pop3_client_pump(c);
}

void pop3_client_delay(struct pop3_client *c, unsigned delay_ms, const char *reply,
                       bool close)
{
	char *copy = strdup(reply);
	if (delay_ms > 0 && copy != NULL) {
		if (c->delay_timer == NULL)
			c->delay_timer = evloop_add_timer(c->srv->loop, delay_ms, false, on_delay, c);
		else
			evloop_timer_set(c->delay_timer, delay_ms);
		if (c->delay_timer != NULL) {
			free(c->delayed_reply);
			c->delayed_reply = copy;
			c->delayed_close = close;
			return;
		}
	}
	free(copy);
	pop3_reply(c, "%s", reply);
	if (close)
		c->closing = true;
}

static bool delaying(const struct pop3_client *c)
{
	return c->delayed_reply != NULL;
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

static int start_tls(struct pop3_client *c)
{
	c->tls = tls_conn_new(c->srv->tls, c->fd);
	if (c->tls == NULL)
		return -1;
	c->tls_state = POP3_TLS_HANDSHAKE;
	evloop_timer_set(c->idle_timer, TLS_HANDSHAKE_MS);
	return 0;
}

/* 0 done, 1 waiting, -1 failed. */
static int handshake(struct pop3_client *c)
{
	int r = tls_handshake(c->tls);
	if (r < 0)
		stats_inc(STAT_TLS_FAILURES);
	if (r != 0)
		return r;
	stats_inc(STAT_TLS_HANDSHAKES);
	ios_set_transport(c->ios, &tls_ops, c->tls);
	c->tls_state = POP3_TLS_ON;
	evloop_timer_set(c->idle_timer, c->srv->set.idle_timeout_s * 1000u);
	log_info("pop3_tls", "session=%s version=%s cipher=%s bits=%d resumed=%s", c->session,
	         tls_conn_version(c->tls), tls_conn_cipher(c->tls), tls_conn_bits(c->tls),
	         tls_conn_resumed(c->tls) ? "yes" : "no");
	return 0;
}

bool pop3_client_tls(const struct pop3_client *c)
{
	return c->tls_state == POP3_TLS_ON;
}

bool pop3_client_plaintext_ok(const struct pop3_client *c)
{
	int min = c->srv->set.plaintextmincipher;
	if (min <= 0)
		return true;
	return pop3_client_tls(c) && tls_conn_bits(c->tls) >= min;
}

/* ---- life cycle ---- */

static void link_client(struct pop3_server *srv, struct pop3_client *c)
{
	c->next = srv->clients;
	if (srv->clients)
		srv->clients->prev = c;
	srv->clients = c;
	srv->nclients++;
}

static void unlink_client(struct pop3_client *c)
{
	struct pop3_server *srv = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nclients--;
}

void pop3_client_free(struct pop3_client *c)
{
	if (c == NULL)
		return;
	struct pop3_server *srv = c->srv;
	log_info("pop3_disconnect", "session=%s peer=%s user=%s normal=%s", c->session, c->peer,
	         c->drop ? log_quote(c->who.address) : "-", c->quit ? "yes" : "no");
	stats_conn_close(c->quit);
	if (c->drop != NULL)
		stats_add(STAT_USERS_CURRENT, (uint64_t)-1);
	unlink_client(c);
	evloop_del_io(c->io);
	evloop_del_timer(c->idle_timer);
	evloop_del_timer(c->delay_timer);
	pop3_maildrop_free(c->drop);   /* unlocks; deletes nothing */
	sasl_free(c->sasl);
	ios_free(c->ios);
	tls_conn_free(c->tls);
	close(c->fd);
	free(c->delayed_reply);
	memset(c->user, 0, sizeof c->user);
	free(c);
	pop3_server_client_gone(srv);
}

static int setup(struct pop3_client *c)
{
	struct pop3_server *srv = c->srv;
	c->ios = ios_new(c->fd, srv->set.max_line, OUT_HIGH_WATER);
	c->io = evloop_add_io(srv->loop, c->fd, EV_READ, on_io, c);
	c->idle_timer = evloop_add_timer(srv->loop, srv->set.idle_timeout_s * 1000u, false,
	                                 on_idle, c);
	if (c->ios == NULL || c->io == NULL || c->idle_timer == NULL)
		return -1;
	if (c->flags & PROC_FLAG_SSL) {
		if (srv->tls == NULL) {
			log_warn("pop3_connect", "session=%s error=\"TLS listener but no certificate\"",
			         c->session);
			return -1;
		}
		return start_tls(c);
	}
	pop3_session_greet(c);
	return 0;
}

struct pop3_client *pop3_client_new(struct pop3_server *srv, int fd, const char *peer,
                                    const char *addr, unsigned flags)
{
	struct pop3_client *c = calloc(1, sizeof *c);
	if (c == NULL || fd_set_nonblock(fd) < 0) {
		if (c == NULL)
			log_error("pop3_connect", "error=\"out of memory\"");
		free(c);
		close(fd);
		return NULL;
	}
	c->srv = srv;
	c->fd = fd;
	c->flags = flags;
	c->id = ++srv->next_id;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	snprintf(c->addr, sizeof c->addr, "%s", addr);
	snprintf(c->session, sizeof c->session, "%s.%llu", srv->name, (unsigned long long)c->id);
	link_client(srv, c);
	stats_conn_open();
	log_info("pop3_connect", "session=%s peer=%s tls=%s", c->session, c->peer,
	         flags & PROC_FLAG_SSL ? "implicit" : "no");
	if (setup(c) < 0) {
		pop3_client_free(c);
		return NULL;
	}
	return pop3_client_pump(c) ? c : NULL;
}

/* ---- events ---- */

static void on_idle(struct ev_timer *t, void *arg)
{
	struct pop3_client *c = arg;
	(void)t;
	log_info("pop3_timeout", "session=%s peer=%s", c->session, c->peer);
	stats_inc(STAT_CLIENT_TIMEOUTS);
	if (c->tls_state == POP3_TLS_NONE || c->tls_state == POP3_TLS_ON)
		pop3_reply(c, "-ERR idle for too long, closing");
	c->closing = true;
	pop3_client_pump(c);
}

/* Reads what the socket has; false when the connection is dead. */
static bool fill(struct pop3_client *c)
{
	ssize_t n = ios_fill(c->ios);
	if (n > 0) {
		evloop_timer_reset(c->idle_timer);
		return true;
	}
	if (n == 0) {
		c->eof = true;
		return true;
	}
	if (errno == EAGAIN || errno == ENOBUFS)
		return true;
	log_info("pop3_read", "session=%s error=%s", c->session, log_quote(strerror(errno)));
	return false;
}

static bool want_input(const struct pop3_client *c)
{
	if (c->closing || c->eof || c->tls_state == POP3_TLS_STARTING || delaying(c))
		return false;
	return !c->xfer.active && !ios_out_full(c->ios);
}

static void on_io(struct ev_io *io, unsigned events, void *arg)
{
	struct pop3_client *c = arg;
	(void)io;
	if (c->tls_state == POP3_TLS_HANDSHAKE) {
		int r = handshake(c);
		if (r < 0) {
			pop3_client_free(c);
			return;
		}
		if (r == 1) {
			evloop_io_set_events(c->io, tls_conn_wants_write(c->tls) ? EV_WRITE : EV_READ);
			return;
		}
		/* implicit TLS greets now; after STLS the client speaks first */
		if (!c->greeted)
			pop3_session_greet(c);
	}
	if ((events & EV_READ) && want_input(c) && !fill(c)) {
		pop3_client_free(c);
		return;
	}
	pop3_client_pump(c);
}

/* Flushes output and sets what the socket is watched for.  False when
 * the client was freed. */
static bool settle(struct pop3_client *c)
{
	size_t before = ios_out_pending(c->ios);
	int r = ios_flush(c->ios);
	/* a client reading a long RETR slowly is busy, not idle */
	if (r >= 0 && ios_out_pending(c->ios) < before && c->tls_state != POP3_TLS_HANDSHAKE)
		evloop_timer_reset(c->idle_timer);
	if (r < 0 || (c->closing && r == 0)) {
		pop3_client_free(c);
		return false;
	}
	if (c->tls_state == POP3_TLS_STARTING && r == 0) {
		if (start_tls(c) < 0) {
			pop3_client_free(c);
			return false;
		}
		evloop_io_set_events(c->io, EV_READ);
		return true;
	}
	unsigned ev = ios_wants_write(c->ios) ? EV_WRITE : 0;
	if (want_input(c) && !(ev && ios_out_full(c->ios)))
		ev |= EV_READ;
	evloop_io_set_events(c->io, ev);
	return true;
}

/* One step: a transfer chunk or a command line.  1 did something, 0
 * nothing to do now, -1 the connection is dead. */
static int step(struct pop3_client *c)
{
	if (c->xfer.active)
		return pop3_retr_continue(c) < 0 ? -1 : (c->xfer.active ? 0 : 1);
	char *line;
	size_t len;
	switch (ios_read_line(c->ios, &line, &len)) {
	case IOS_OK:
		pop3_session_line(c, line, len);
		return 1;
	case IOS_TOO_LONG:
		pop3_client_error(c, "line too long");
		return 1;
	case IOS_EOF:
		c->eof = true;
		c->closing = true;
		return 0;
	default:
		if (c->eof)
			c->closing = true;
		return 0;
	}
}

bool pop3_client_pump(struct pop3_client *c)
{
	for (;;) {
		if (c->closing || c->tls_state == POP3_TLS_STARTING ||
		    c->tls_state == POP3_TLS_HANDSHAKE || delaying(c))
			break;
		if (ios_out_full(c->ios) && ios_flush(c->ios) != 0 && ios_out_full(c->ios))
			break;
		int r = step(c);
		if (r < 0) {
			pop3_client_free(c);
			return false;
		}
		if (r > 0)
			continue;
		if (c->xfer.active)
			continue;     /* room again after the flush above */
		/* a TLS record may hold input the socket will not announce */
		if (!ios_transport_pending(c->ios) || !want_input(c))
			break;
		size_t before = ios_in_buffered(c->ios);
		if (!fill(c)) {
			pop3_client_free(c);
			return false;
		}
		if (ios_in_buffered(c->ios) == before && !c->eof)
			break;
	}
	return settle(c);
}
