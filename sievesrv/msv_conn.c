/*
 * msv_conn.c - one ManageSieve connection: what it adds to libcommon's
 * client_conn.h (socket, TLS, stream, idle timer, pump): the replies,
 * the failed-login delay, and its step: a command arrives as lines and
 * the literals between them (msv_args.c); no input is taken while a
 * login is checked, a script change runs on the pool or a failed login's
 * answer is held back.
 */
#include "msv.h"

#include "log.h"
#include "stats.h"
#include "store_pool.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Output above this counts as full. */
#define OUT_HIGH_WATER (128 * 1024)
#define REPLY_MAX 1024
/* Strings longer than this, or with quotes, line ends or backslashes,
 * go out as literals. */
#define QUOTED_MAX 256

void msv_write(struct msv_client *c, const char *raw, size_t len)
{
	ios_write(c->conn.ios, raw, len);
}

void msv_reply(struct msv_client *c, const char *fmt, ...)
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
	msv_write(c, line, len + 2);
}

void msv_write_string(struct msv_client *c, const char *s, size_t len)
{
	bool quoted = len <= QUOTED_MAX;
	for (size_t i = 0; quoted && i < len; i++)
		quoted = s[i] != '"' && s[i] != '\\' && s[i] != '\r' && s[i] != '\n' && s[i] != 0;
	char head[32];
	if (quoted) {
		msv_write(c, "\"", 1);
		msv_write(c, s, len);
		msv_write(c, "\"", 1);
		return;
	}
	int n = snprintf(head, sizeof head, "{%zu}\r\n", len);
	msv_write(c, head, (size_t)n);
	msv_write(c, s, len);
}

void msv_no(struct msv_client *c, bool bad, const char *code, const char *fmt, ...)
{
	char text[REPLY_MAX / 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	/* the text is a quoted string: keep it one */
	for (char *p = text; *p; p++)
		if (*p == '"' || *p == '\\' || *p == '\r' || *p == '\n')
			*p = '\'';
	msv_reply(c, "NO%s%s%s \"%s\"", code ? " (" : "", code ? code : "", code ? ")" : "",
	          text);
	if (!bad || ++c->errors < c->srv->set.max_errors)
		return;
	log_info("sieve_errors", "session=%s peer=%s errors=%u", c->session, c->peer, c->errors);
	msv_reply(c, "BYE \"too many bad commands\"");
	c->conn.closing = true;
}

void msv_delay(struct msv_client *c, unsigned delay_ms, const char *reply, bool close)
{
	reply_delay_start(&c->delay, &c->conn, c->srv->w.loop, delay_ms, reply, close);
}

static bool waiting(const struct msv_client *c)
{
	return reply_delay_pending(&c->delay) || c->auth_job != NULL || c->job != NULL;
}

/* ---- life cycle ---- */

static void client_free(struct msv_client *c)
{
	log_info("sieve_disconnect", "session=%s peer=%s user=%s normal=%s", c->session, c->peer,
	         c->authed ? log_quote(c->who.address) : "-", c->logout ? "yes" : "no");
	stats_conn_close(c->logout);
	if (c->authed)
		stats_add(STAT_USERS_CURRENT, (uint64_t)-1);
	reply_delay_clear(&c->delay);
	sasl_free(c->sasl);
	auth_job_cancel(c->auth_job);
	store_job_cancel(c->job);
	msv_args_clear(&c->args);
	client_conn_close(&c->conn);
	free(c);
}

static const struct client_conn_ops msv_conn_ops;

void msv_client_new(struct msv_server *srv, int fd, const struct worker_peer *peer,
                    unsigned flags)
{
	struct msv_client *c = calloc(1, sizeof *c);
	if (c == NULL) {
		log_error("sieve_connect", "error=\"out of memory\"");
		close(fd);
		return;
	}
	c->srv = srv;
	snprintf(c->peer, sizeof c->peer, "%s", peer->text);
	snprintf(c->addr, sizeof c->addr, "%s", peer->addr);
	worker_session_name(&srv->w, c->session, sizeof c->session);
	stats_conn_open();
	if (client_conn_open(&c->conn, &srv->w.clients, srv->w.loop, fd, srv->set.max_line,
	                     OUT_HIGH_WATER, srv->set.idle_timeout_s * 1000u, srv->w.tls,
	                     c->session, &msv_conn_ops, c) < 0)
		client_free(c);
	else
		client_conn_start(&c->conn, flags, c->peer);
}

/* ---- what ManageSieve adds to the connection ---- */

static void on_idle(void *arg)
{
	msv_reply(arg, "BYE \"idle for too long\"");
}

static void on_goodbye(void *arg)
{
	struct msv_client *c = arg;
	if (!waiting(c))
		msv_reply(c, "BYE (TRYLATER) \"server shutting down\"");
}

/* After STARTTLS the server greets again (RFC 5804 2.2), with the
 * capabilities TLS changed. */
static int greet(void *arg)
{
	msv_greet(arg);
	return 0;
}

static bool input_held(const void *arg)
{
	return waiting(arg);
}

/* A literal's bytes, or a line of the command. */
static int step(void *arg)
{
	struct msv_client *c = arg;
	struct msv_args *a = &c->args;
	if (waiting(c))
		return 0;
	if (a->lit_left > 0) {
		const char *data;
		size_t len;
		if (client_conn_input(&c->conn, ios_read_bytes(c->conn.ios, a->lit_left, &data,
		                                              &len)) != IOS_OK)
			return 0;
		msv_args_literal(a, data, len);
		return 1;
	}
	char *line;
	size_t len;
	switch (client_conn_input(&c->conn, ios_read_line(c->conn.ios, &line, &len))) {
	case IOS_OK:
		if (msv_args_line(a, line, len) == 1)
			msv_command(c);
		return 1;
	case IOS_TOO_LONG:
		msv_args_clear(a);
		msv_no(c, true, NULL, "line too long");
		return 1;
	default:
		return 0;
	}
}

static void free_client(void *arg)
{
	client_free(arg);
}

static const struct client_conn_ops msv_conn_ops = {
	.step = step,
	.input_held = input_held,
	.greet = greet,
	.idle = on_idle,
	.goodbye = on_goodbye,
	.free = free_client,
	.name = "sieve",
	.output_is_activity = true,
};

bool msv_pump(struct msv_client *c)
{
	return client_conn_pump(&c->conn);
}
