/*
 * pop3_client.h - one POP3 connection: its socket, stream and TLS
 * state, timers, the session state and the maildrop once logged in.
 * pop3_conn.c runs the connection (on libcommon/client_conn.h);
 * pop3_session.c and the pop3_cmd_* files run the protocol on it.
 */
#ifndef POP3_CLIENT_H
#define POP3_CLIENT_H

#include "auth.h"
#include "client_conn.h"
#include "dotstuff.h"
#include "iobuf.h"
#include "pop3_cmd.h"
#include "pop3_server.h"
#include "reply_delay.h"
#include "sasl.h"
#include "store.h"
#include "tcp_listen.h"

#include <stdbool.h>
#include <stdint.h>

struct pop3_maildrop;
struct store_job;

/* A RETR or TOP being sent: streamed from the store in chunks while the
 * client reads. */
struct pop3_transfer {
	bool active;
	struct store_entry_msg src;   /* the entry's prefix, then the message */
	int64_t size;                 /* of both */
	size_t offset;
	long lines_left;      /* TOP: body lines still to send; -1 for RETR */
	bool in_body;
	bool line_empty;      /* the current line has no text yet */
	bool failed;          /* the store could not give the rest */
	struct dotstuff ds;
};

struct pop3_client {
	struct pop3_server *srv;
	struct client_conn conn;         /* socket, stream, TLS, idle timer */
	unsigned flags;                  /* the listener's (bit 64: implicit TLS) */
	char peer[TCP_PEER_TEXT_MAX];    /* "addr:port" */
	char addr[TCP_PEER_TEXT_MAX];    /* the address alone, for the limits */
	char session[48];                /* "pop3srv01.17" in log lines */
	struct reply_delay delay;        /* answers a failed login late */
	enum pop3_state state;
	bool greeted, quit;
	unsigned errors;                 /* bad commands so far */
	unsigned auth_failures;          /* failed logins so far */
	char timestamp[SASL_CHALLENGE_MAX];  /* APOP's, "" when APOP is off */
	char user[AUTH_NAME_MAX];        /* from USER, "" before */
	struct sasl_session *sasl;       /* an AUTH exchange in progress */
	struct auth_job *auth_job;       /* a login being checked: input waits */
	struct store_job *update_job;    /* QUIT's UPDATE on the pool: input waits */
	struct store_job *read_job;      /* a read on the pool (store_read.h): input waits */
	struct auth_identity who;
	struct pop3_maildrop *drop;      /* NULL before login */
	struct pop3_transfer xfer;
};

/* Replies: one line with CRLF added, queued on the stream. */
void pop3_reply(struct pop3_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Counts a refused command; past the limit the session ends with a
 * last -ERR.  Returns true when the session goes on. */
bool pop3_client_error(struct pop3_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Queues REPLY to be sent after DELAY_MS, reading nothing meanwhile
 * (CLOSE: end the session then).  Without a timer it goes out at once. */
void pop3_client_delay(struct pop3_client *c, unsigned delay_ms, const char *reply,
                       bool close);

/* True when TLS protects the connection. */
bool pop3_client_tls(const struct pop3_client *c);

/* True when a password may travel in clear here (plaintextmincipher). */
bool pop3_client_plaintext_ok(const struct pop3_client *c);

/* Runs what can run: queued input, a transfer, output; false when the
 * client was freed. */
bool pop3_client_pump(struct pop3_client *c);

/* Creates the client for FD and greets it (FD closed on failure). */
void pop3_client_new(struct pop3_server *srv, int fd, const struct worker_peer *peer,
                     unsigned flags);

/* Ends the session at once: no UPDATE state, nothing deleted. */
void pop3_client_free(struct pop3_client *c);

#endif
