/*
 * imap_conn.c - one client connection of imap4srv: its socket in the
 * event loop, plain or TLS (implicit on an SSL listener, or after
 * STARTTLS), the idle timer, back-pressure, and closing; see
 * imap_client.h.  The protocol itself starts in imap_command.c.
 *
 * The pump is the one place that decides what a connection waits for:
 * it runs buffered commands while the output has room, resumes a
 * suspended command when the peer has read enough, and watches the
 * socket for reading only while it would act on the input.
 */
#include "imap_client.h"
#include "imap_command.h"
#include "imap_trace.h"
#include "imap_view.h"
#include "log.h"
#include "params.h"
#include "stats.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Output above this stops command processing until the peer reads. */
#define OUT_HIGH_WATER (256 * 1024)
/* A client gets this long to finish the TLS handshake. */
#define TLS_HANDSHAKE_MS 60000

static void on_io(struct ev_io *io, unsigned events, void *arg);
static void on_idle(struct ev_timer *t, void *arg);

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

static int start_tls(struct imap_client *c)
{
	c->tls = tls_conn_new(c->srv->tls, c->fd);
	if (c->tls == NULL)
		return -1;
	c->tls_state = IMAP_TLS_HANDSHAKE;
	evloop_timer_set(c->idle_timer, TLS_HANDSHAKE_MS);
	return 0;
}

/* 0 done, 1 waiting, -1 failed. */
static int handshake(struct imap_client *c)
{
	int r = tls_handshake(c->tls);
	if (r != 0)
		return r;
	ios_set_transport(c->ios, &tls_ops, c->tls);
	c->tls_state = IMAP_TLS_ON;
	stats_inc(STAT_TLS_HANDSHAKES);
	evloop_timer_set(c->idle_timer, c->srv->set.idle_timeout_s * 1000u);
	log_info("imap_tls", "session=%llu version=%s cipher=%s resumed=%s",
	         (unsigned long long)c->id, tls_conn_version(c->tls),
	         tls_conn_cipher(c->tls), tls_conn_resumed(c->tls) ? "yes" : "no");
	return 0;
}

bool imap_client_tls(const struct imap_client *c)
{
	return c->tls_state == IMAP_TLS_ON;
}

bool imap_client_plaintext_ok(const struct imap_client *c)
{
	int min = c->srv->set.plaintextmincipher;
	if (min <= 0)
		return true;
	return imap_client_tls(c) && tls_conn_bits(c->tls) >= min;
}

/* ---- life cycle ---- */

static void link_client(struct imap_server *srv, struct imap_client *c)
{
	c->next = srv->clients;
	if (srv->clients)
		srv->clients->prev = c;
	srv->clients = c;
	srv->nclients++;
}

static void unlink_client(struct imap_client *c)
{
	struct imap_server *srv = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nclients--;
}

void imap_client_free(struct imap_client *c)
{
	if (c == NULL)
		return;
	log_info("imap_disconnect", "session=%llu peer=%s user=%s", (unsigned long long)c->id,
	         c->peer, c->username ? log_quote(c->username) : "-");
	imap_command_reset(c);
	stats_conn_end(c->state == IMAP_LOGOUT, c->username != NULL);
	unlink_client(c);
	evloop_del_io(c->io);
	evloop_del_timer(c->idle_timer);
	imap_view_free(c->view);
	ios_free(c->ios);
	tls_conn_free(c->tls);
	close(c->fd);
	imap_trace_close(c->trace);
	free(c->cmd);
	free(c->username);
	free(c);
}

static int setup(struct imap_client *c)
{
	struct imap_server *srv = c->srv;
	int one = 1;
	/* Whole responses are written at once; Nagle would hold an untagged
	 * push (IDLE's EXISTS) until the client's delayed ACK of the last
	 * one.  On a socket that is not TCP this fails, harmlessly. */
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->ios = ios_new(c->fd, srv->set.max_line, OUT_HIGH_WATER);
	c->io = evloop_add_io(srv->loop, c->fd, EV_READ, on_io, c);
	c->idle_timer = evloop_add_timer(srv->loop, srv->set.idle_timeout_s * 1000u, false,
	                                 on_idle, c);
	if (c->ios == NULL || c->io == NULL || c->idle_timer == NULL)
		return -1;
	if (srv->set.server_trace)
		c->trace = imap_trace_open(srv->log_dir, config_path(srv->cfg, "node"), c->id,
		                           c->peer, srv->set.trace_synch,
		                           srv->set.trace_literal_max);
	if (c->flags & PROC_FLAG_SSL) {
		if (srv->tls == NULL) {
			log_warn("imap_connect", "session=%llu error=\"TLS listener but no certificate\"",
			         (unsigned long long)c->id);
			return -1;
		}
		return start_tls(c);
	}
	return imap_command_greet(c);
}

/* Turns a client away before any state is built for it. */
static void refuse(struct imap_server *srv, int fd, unsigned flags)
{
	static const char bye[] = "* BYE [UNAVAILABLE] too many connections, try later\r\n";
	log_warn("imap_connect", "error=\"too many clients\" maxclt=%u", srv->set.maxclt);
	stats_inc(STAT_CONN_TOO_MANY);
	if (!(flags & PROC_FLAG_SSL) && send(fd, bye, sizeof bye - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("imap_connect", "error=%s", log_quote(strerror(errno)));
	close(fd);
}

struct imap_client *imap_client_new(struct imap_server *srv, int fd,
                                    const char *peer, unsigned flags)
{
	if (srv->set.maxclt && srv->nclients >= srv->set.maxclt) {
		refuse(srv, fd, flags);
		return NULL;
	}
	struct imap_client *c = calloc(1, sizeof *c);
	if (c == NULL || fd_set_nonblock(fd) < 0) {
		if (c == NULL)
			log_error("imap_connect", "error=\"out of memory\"");
		free(c);
		close(fd);
		return NULL;
	}
	c->srv = srv;
	c->fd = fd;
	c->flags = flags;
	c->id = ++srv->trace_seq;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	link_client(srv, c);
	stats_conn_open();
	log_info("imap_connect", "session=%llu peer=%s tls=%s", (unsigned long long)c->id,
	         c->peer, flags & PROC_FLAG_SSL ? "implicit" : "no");
	if (setup(c) < 0) {
		imap_client_free(c);
		return NULL;
	}
	return imap_client_pump(c) ? c : NULL;
}

/* ---- events ---- */

static void on_idle(struct ev_timer *t, void *arg)
{
	struct imap_client *c = arg;
	(void)t;
	log_info("imap_timeout", "session=%llu peer=%s", (unsigned long long)c->id, c->peer);
	stats_inc(STAT_CLIENT_TIMEOUTS);
	if (c->tls_state == IMAP_TLS_NONE || c->tls_state == IMAP_TLS_ON)
		imap_outs(c, "* BYE Autologout; idle for too long\r\n");
	c->closing = true;
	imap_client_pump(c);
}

/* Reads what the socket has; false when the connection is dead. */
static bool fill(struct imap_client *c)
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
	log_info("imap_read", "session=%llu error=%s", (unsigned long long)c->id,
	         log_quote(strerror(errno)));
	return false;
}

static bool want_input(const struct imap_client *c)
{
	if (c->closing || c->eof || c->tls_state == IMAP_TLS_STARTING)
		return false;
	if (c->busy && c->active.on_line == NULL)
		return false;      /* a suspended command: wait for the peer to read */
	return !ios_out_full(c->ios);
}

static void on_io(struct ev_io *io, unsigned events, void *arg)
{
	struct imap_client *c = arg;
	(void)io;
	(void)events;
	if (c->tls_state == IMAP_TLS_HANDSHAKE) {
		int r = handshake(c);
		if (r < 0) {
			imap_client_free(c);
			return;
		}
		if (r == 1) {
			evloop_io_set_events(c->io, tls_conn_wants_write(c->tls) ? EV_WRITE : EV_READ);
			return;
		}
		/* implicit TLS greets now; after STARTTLS the client speaks first */
		if (!c->greeted && imap_command_greet(c) < 0) {
			imap_client_free(c);
			return;
		}
	}
	if ((events & EV_READ) && want_input(c) && !fill(c)) {
		imap_client_free(c);
		return;
	}
	imap_client_pump(c);
}

/* Flushes output and sets what the socket is watched for.  False when
 * the client was freed. */
static bool settle(struct imap_client *c)
{
	int r = ios_flush(c->ios);
	if (r < 0 || (c->closing && r == 0)) {
		imap_client_free(c);
		return false;
	}
	if (c->tls_state == IMAP_TLS_STARTING && r == 0) {
		if (start_tls(c) < 0) {
			imap_client_free(c);
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

bool imap_client_pump(struct imap_client *c)
{
	for (;;) {
		if (c->closing || c->tls_state == IMAP_TLS_STARTING ||
		    c->tls_state == IMAP_TLS_HANDSHAKE)
			break;
		if (ios_out_full(c->ios) && ios_flush(c->ios) != 0 && ios_out_full(c->ios))
			break;
		int r = imap_command_step(c);
		if (r < 0) {
			c->closing = true;
			break;
		}
		if (r > 0)
			continue;
		/* a TLS record may hold input the socket will not announce */
		if (!ios_transport_pending(c->ios) || !want_input(c))
			break;
		size_t before = ios_in_buffered(c->ios);
		if (!fill(c)) {
			imap_client_free(c);
			return false;
		}
		if (ios_in_buffered(c->ios) == before && !c->eof)
			break;   /* the buffer is full: the command must take some first */
	}
	return settle(c);
}
