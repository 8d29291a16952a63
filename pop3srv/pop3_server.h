/*
 * pop3_server.h - what one pop3srv process holds for all its clients:
 * settings from ems.conf, the store, the authenticator, the TLS context,
 * the ways clients arrive (the iolistener hand-off, or --listen sockets)
 * and the list of connected clients.  pop3srv.c owns the one instance.
 */
#ifndef POP3_SERVER_H
#define POP3_SERVER_H

#include "auth.h"
#include "client_conn.h"
#include "auth_async.h"
#include "config.h"
#include "evloop.h"
#include "store.h"
#include "tls.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct pop3_client;
struct handoff_worker;
struct store_pool;
struct tcp_listener;

#define POP3_LISTENERS_MAX 8

/* The pop3 group of ems.conf, with the auth group's shared options. */
struct pop3_settings {
	const char *banner;
	unsigned idle_timeout_s;     /* never below RFC 1939's ten minutes */
	unsigned max_errors;         /* bad commands before the session ends */
	size_t max_line;
	int plaintextmincipher;      /* cipher bits a cleartext login needs */
	unsigned maxclt;
};

struct pop3_server {
	struct evloop *loop;
	struct ems_config *cfg;
	struct store *store;
	struct auth *auth;
	struct auth_pool *auth_pool; /* check threads, started on the first login */
	struct store_pool *pool;     /* store writes, started on the first UPDATE */
	struct tls_server *tls;      /* NULL: no certificate, no STLS */
	struct handoff_worker *handoff;
	struct tcp_listener *listeners[POP3_LISTENERS_MAX];
	int nlisteners;
	const char *run_dir;
	char name[32];               /* "pop3srv01" */
	char hostname[128];          /* in APOP timestamps and CRAM-MD5 */
	struct pop3_settings set;
	struct client_list clients;
	uint64_t next_id;
	time_t started;
	bool shutting_down;          /* XTND SHUTDOWN: no new clients */
};

/* A client arrived (handed off or accepted): serve it, or refuse it
 * when the server is full or shutting down.  Owns FD from now on. */
void pop3_server_accept(struct pop3_server *srv, int fd, const char *peer,
                        const char *addr, unsigned flags);

/* A client went away: report the load, finish an orderly shutdown. */
void pop3_server_client_gone(struct pop3_server *srv);

/* Starts an orderly shutdown: stop taking clients, end when the last
 * one has gone. */
void pop3_server_shutdown(struct pop3_server *srv);

#endif
