/*
 * imap_conn.c - one client connection of imap4srv: what IMAP adds to
 * libcommon's client_conn.h (socket, TLS, stream, idle timer, pump,
 * the client list): the Server-Trace file, refusing clients over
 * maxclt, and its steps: buffered commands run while the output has
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
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
	log_info("imap_disconnect", "session=%llu peer=%s user=%s", (unsigned long long)c->id,
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
	int one = 1;
	/* Whole responses are written at once; Nagle would hold an untagged
	 * push (IDLE's EXISTS) until the client's delayed ACK of the last
	 * one.  On a socket that is not TCP this fails, harmlessly. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (client_conn_open(&c->conn, &srv->clients, srv->loop, fd, srv->set.max_line, OUT_HIGH_WATER,
	                     srv->set.idle_timeout_s * 1000u, srv->tls, c->session,
	                     &imap_conn_ops, c) < 0)
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
		return client_conn_start_tls(&c->conn);
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
	if (srv->set.maxclt && srv->clients.n >= srv->set.maxclt) {
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
	c->flags = flags;
	c->id = ++srv->trace_seq;
	snprintf(c->session, sizeof c->session, "%llu", (unsigned long long)c->id);
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	stats_conn_open();
	log_info("imap_connect", "session=%llu peer=%s tls=%s", (unsigned long long)c->id,
	         c->peer, flags & PROC_FLAG_SSL ? "implicit" : "no");
	if (setup(c, fd) < 0) {
		imap_client_free(c);
		return NULL;
	}
	return imap_client_pump(c) ? c : NULL;
}

/* ---- what IMAP adds to the connection ---- */

static void on_idle(void *arg)
{
	struct imap_client *c = arg;
	log_info("imap_timeout", "session=%llu peer=%s", (unsigned long long)c->id, c->peer);
	if (client_conn_can_write(&c->conn))
		imap_outs(c, "* BYE Autologout; idle for too long\r\n");
}

static void on_tls_up(void *arg)
{
	struct imap_client *c = arg;
	struct tls_conn *tls = c->conn.tls;
	log_info("imap_tls", "session=%llu version=%s cipher=%s resumed=%s",
	         (unsigned long long)c->id, tls_conn_version(tls), tls_conn_cipher(tls),
	         tls_conn_resumed(tls) ? "yes" : "no");
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
	.tls_up = on_tls_up,
	.idle = on_idle,
	.free = free_client,
	.read_event = "imap_read",
	.output_is_activity = false,
};

bool imap_client_pump(struct imap_client *c)
{
	return client_conn_pump(&c->conn);
}
