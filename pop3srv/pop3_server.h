/*
 * pop3_server.h - what one pop3srv process holds for all its clients:
 * the worker skeleton (libcommon/worker.h: loop, TLS context, the ways
 * clients arrive, the list of connected clients), settings from
 * ems.conf, the store and the authenticator.  pop3srv.c owns the one
 * instance.
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
#include "worker.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct pop3_client;

/* The pop3 group of ems.conf, with the auth group's shared options. */
struct pop3_settings {
	const char *banner;
	unsigned idle_timeout_s;     /* never below RFC 1939's ten minutes */
	unsigned max_errors;         /* bad commands before the session ends */
	size_t max_line;
	int plaintextmincipher;      /* cipher bits a cleartext login needs */
};

struct pop3_server {
	struct worker w;             /* loop, cfg, tls (NULL: no STLS), clients,
	                                name "pop3srv01" */
	struct store *store;
	struct auth *auth;
	struct auth_pool *auth_pool; /* check threads, started on the first login */
	char hostname[128];          /* in APOP timestamps and CRAM-MD5 */
	struct pop3_settings set;
	time_t started;
};

#endif
