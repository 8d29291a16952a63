/*
 * pop3_conn.c - one client connection of pop3srv: what POP3 adds to
 * libcommon's client_conn.h (socket, TLS, stream, idle timer, pump,
 * the client list): the replies, the failed-login delay, and its steps:
 * a RETR continues while the output has room, then buffered command
 * lines run; no input is taken during a transfer that waits for the peer
 * to read, nor while a failed login's answer is held back.  See
 * pop3_client.h; the protocol starts in pop3_session.c.
 */
#include "pop3_client.h"
#include "pop3_maildrop.h"
#include "pop3_retr.h"
#include "pop3_session.h"
#include "log.h"
#include "params.h"
#include "stats.h"
#include "store_pool.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Output above this pauses a transfer until the peer reads. */
#define OUT_HIGH_WATER (128 * 1024)
/* Longest reply line pop3_reply() formats. */
#define REPLY_MAX 1024

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
	ios_write(c->conn.ios, line, len + 2);
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
	c->conn.closing = true;
	return false;
}

void pop3_client_delay(struct pop3_client *c, unsigned delay_ms, const char *reply,
                       bool close)
{
	reply_delay_start(&c->delay, &c->conn, c->srv->w.loop, delay_ms, reply, close);
}

static bool delaying(const struct pop3_client *c)
{
	return reply_delay_pending(&c->delay) || c->auth_job != NULL || c->update_job != NULL ||
	       c->read_job != NULL;
}

bool pop3_client_tls(const struct pop3_client *c)
{
	return client_conn_tls(&c->conn);
}

bool pop3_client_plaintext_ok(const struct pop3_client *c)
{
	return client_conn_plaintext_ok(&c->conn, c->srv->set.plaintextmincipher);
}

/* ---- life cycle ---- */

void pop3_client_free(struct pop3_client *c)
{
	if (c == NULL)
		return;
	log_info("pop3_disconnect", "session=%s peer=%s user=%s normal=%s", c->session, c->peer,
	         c->drop ? log_quote(c->who.address) : "-", c->quit ? "yes" : "no");
	stats_conn_close(c->quit);
	if (c->drop != NULL)
		stats_add(STAT_USERS_CURRENT, (uint64_t)-1);
	reply_delay_clear(&c->delay);
	pop3_maildrop_free(c->drop);   /* unlocks; deletes nothing */
	sasl_free(c->sasl);
	auth_job_cancel(c->auth_job);
	store_job_cancel(c->update_job);
	store_job_cancel(c->read_job);
	memset(c->user, 0, sizeof c->user);
	client_conn_close(&c->conn);   /* last: the worker may stop when it is gone */
	free(c);
}

static const struct client_conn_ops pop3_conn_ops;

static int setup(struct pop3_client *c, int fd)
{
	struct pop3_server *srv = c->srv;
	if (client_conn_open(&c->conn, &srv->w.clients, srv->w.loop, fd, srv->set.max_line,
	                     OUT_HIGH_WATER, srv->set.idle_timeout_s * 1000u, srv->w.tls,
	                     c->session, &pop3_conn_ops, c) < 0)
		return -1;
	return 0;
}

void pop3_client_new(struct pop3_server *srv, int fd, const struct worker_peer *peer,
                     unsigned flags)
{
	struct pop3_client *c = calloc(1, sizeof *c);
	if (c == NULL) {
		log_error("pop3_connect", "error=\"out of memory\"");
		close(fd);
		return;
	}
	c->srv = srv;
	c->flags = flags;
	snprintf(c->peer, sizeof c->peer, "%s", peer->text);
	snprintf(c->addr, sizeof c->addr, "%s", peer->addr);
	worker_session_name(&srv->w, c->session, sizeof c->session);
	stats_conn_open();
	if (setup(c, fd) < 0)
		pop3_client_free(c);
	else
		client_conn_start(&c->conn, flags, c->peer);
}

/* ---- what POP3 adds to the connection ---- */

static void on_idle(void *arg)
{
	pop3_reply(arg, "-ERR idle for too long, closing");
}

/* The worker is shutting down: a last -ERR between commands, as at an
 * idle timeout; inside a RETR's text or with a login answer held back
 * the client is only closed. */
static void on_goodbye(void *arg)
{
	struct pop3_client *c = arg;
	if (!c->xfer.active && !delaying(c))
		pop3_reply(c, "-ERR [SYS/TEMP] server shutting down, try again later");
}

/* Implicit TLS greets after the handshake; after STLS the client
 * speaks first. */
static int greet(void *arg)
{
	struct pop3_client *c = arg;
	if (!c->greeted)
		pop3_session_greet(c);
	return 0;
}

static bool input_held(const void *arg)
{
	const struct pop3_client *c = arg;
	return delaying(c) || c->xfer.active;
}

/* One step: a transfer chunk or a command line.  1 did something (or a
 * transfer goes on once there is room), 0 nothing to do now, -1 the
 * connection is dead. */
static int step(void *arg)
{
	struct pop3_client *c = arg;
	if (delaying(c))
		return 0;
	if (c->xfer.active)
		return pop3_retr_continue(c) < 0 ? -1 : 1;
	char *line;
	size_t len;
	switch (client_conn_input(&c->conn, ios_read_line(c->conn.ios, &line, &len))) {
	case IOS_OK:
		pop3_session_line(c, line, len);
		return 1;
	case IOS_TOO_LONG:
		pop3_client_error(c, "line too long");
		return 1;
	default:
		return 0;
	}
}

static void free_client(void *arg)
{
	pop3_client_free(arg);
}

static const struct client_conn_ops pop3_conn_ops = {
	.step = step,
	.input_held = input_held,
	.greet = greet,
	.idle = on_idle,
	.goodbye = on_goodbye,
	.free = free_client,
	.name = "pop3",
	.output_is_activity = true,
};

bool pop3_client_pump(struct pop3_client *c)
{
	return client_conn_pump(&c->conn);
}
