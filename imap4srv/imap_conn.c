/*
 * imap_conn.c - one client connection of imap4srv: what IMAP adds to
 * libcommon's client_conn.h (socket, TLS, stream, idle timer, pump,
 * the client list): the Server-Trace file and its steps: buffered commands run while the output has
 * room, and a suspended command takes no input until the peer has read
 * enough.  See imap_client.h; the protocol itself starts in
 * imap_command.c.
 */
#include "imap_client.h"
#include "imap_command.h"
#include "imap_trace.h"
#include "imap_view.h"
#include "log.h"
#include "params.h"
#include "spool.h"
#include "stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Output above this stops command processing until the peer reads. */
#define OUT_HIGH_WATER (256 * 1024)

bool imap_client_tls(const struct imap_client *c)
{
	return client_conn_tls(&c->conn);
}

bool imap_client_plaintext_ok(const struct imap_client *c)
{
	return client_conn_plaintext_ok(&c->conn, c->srv->set.plaintextmincipher);
}

/* ---- life cycle ---- */

void imap_client_free(struct imap_client *c)
{
	if (c == NULL)
		return;
	log_info("imap_disconnect", "session=%s peer=%s user=%s", c->session,
	         c->peer, c->username ? log_quote(c->username) : "-");
	imap_command_reset(c);
	stats_conn_end(c->state == IMAP_LOGOUT, c->username != NULL);
	client_conn_close(&c->conn);
	imap_view_free(c->view);
	imap_trace_close(c->trace);
	free(c->cmd);
	spool_free(c->spool);
	free(c->username);
	free(c);
}

static const struct client_conn_ops imap_conn_ops;

static int setup(struct imap_client *c, int fd)
{
	struct imap_server *srv = c->srv;
	if (client_conn_open(&c->conn, &srv->w.clients, srv->w.loop, fd, srv->set.max_line,
	                     OUT_HIGH_WATER, srv->set.idle_timeout_s * 1000u, srv->w.tls,
	                     c->session, &imap_conn_ops, c) < 0)
		return -1;
	if (srv->set.server_trace)
		c->trace = imap_trace_open(srv->log_dir, config_path(srv->w.cfg, "node"), c->id,
		                           c->peer, srv->set.trace_synch,
		                           srv->set.trace_literal_max);
	return 0;
}

void imap_client_new(struct imap_server *srv, int fd, const char *peer, unsigned flags)
{
	struct imap_client *c = calloc(1, sizeof *c);
	if (c == NULL) {
		log_error("imap_connect", "error=\"out of memory\"");
		close(fd);
		return;
	}
	c->srv = srv;
	c->flags = flags;
	c->id = ++srv->trace_seq;
	worker_session_name(&srv->w, c->session, sizeof c->session);
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	stats_conn_open();
	if (setup(c, fd) < 0)
		imap_client_free(c);
	else
		client_conn_start(&c->conn, flags, c->peer);
}

/* ---- what IMAP adds to the connection ---- */

static void on_idle(void *arg)
{
	imap_outs(arg, "* BYE Autologout; idle for too long\r\n");
}

/* The worker is shutting down (RFC 9051 7.1.5).  Not inside a
 * suspended command's output (a FETCH literal half sent): that client
 * is only closed.  IDLE waits for input and may take the BYE. */
static void on_goodbye(void *arg)
{
	struct imap_client *c = arg;
	if (!c->busy || c->active.on_line != NULL)
		imap_outs(c, "* BYE [UNAVAILABLE] Server shutting down, try again later\r\n");
}

/* Implicit TLS greets after the handshake; after STARTTLS the client
 * speaks first. */
static int greet(void *arg)
{
	struct imap_client *c = arg;
	return c->greeted ? 0 : imap_command_greet(c);
}

static bool input_held(const void *arg)
{
	const struct imap_client *c = arg;
	return c->busy && c->active.on_line == NULL;   /* a suspended command */
}

/* A command's step; one that fails ends the session once its output
 * is out. */
static int step(void *arg)
{
	struct imap_client *c = arg;
	int r = imap_command_step(c);
	if (r < 0) {
		c->conn.closing = true;
		return 0;
	}
	return r;
}

static void free_client(void *arg)
{
	imap_client_free(arg);
}

static const struct client_conn_ops imap_conn_ops = {
	.step = step,
	.input_held = input_held,
	.greet = greet,
	.idle = on_idle,
	.goodbye = on_goodbye,
	.free = free_client,
	.name = "imap",
	.output_is_activity = false,
};

bool imap_client_pump(struct imap_client *c)
{
	return client_conn_pump(&c->conn);
}
