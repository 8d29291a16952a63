/*
 * msv.h - what the files of sievesrv share: the server (one per
 * process, sievesrv.c), a client connection (msv_conn.c), the
 * arguments of one command as msv_args.c gathers them across literals,
 * and the commands (msv_cmd.c, msv_auth.c, msv_script.c, msv_write.c).
 */
#ifndef MSV_H
#define MSV_H

#include "auth.h"
#include "auth_async.h"
#include "client_conn.h"
#include "reply_delay.h"
#include "sasl.h"
#include "sieve.h"
#include "tcp_listen.h"
#include "worker.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Arguments one command takes at the most (PUTSCRIPT: name, script). */
#define MSV_ARGS_MAX 4

/* The sieve group of ems.conf, with the auth group's shared options. */
struct msv_settings {
	const char *implementation;  /* the IMPLEMENTATION capability */
	unsigned idle_timeout_s;
	unsigned max_errors;         /* bad commands before the session ends */
	unsigned max_scripts;        /* scripts one person may keep */
	size_t max_line;
	int plaintextmincipher;
};

struct msv_server {
	struct worker w;
	struct store *store;         /* the loop's: reads only, store_read.h */
	struct auth *auth;
	struct auth_pool *auth_pool; /* started on the first login */
	char hostname[128];
	struct msv_settings set;
};

/* One argument: an atom or a string (quoted or literal, NUL-terminated
 * after LEN bytes; a literal may hold NULs). */
struct msv_arg {
	char *s;
	size_t len;
	bool atom;
};

/* A command as it arrives: lines and the literals between them. */
struct msv_args {
	struct msv_arg v[MSV_ARGS_MAX];
	int n;
	bool bad;                    /* a syntax error seen; the rest is skipped */
	char error[96];
	size_t lit_left;             /* bytes of a literal still to come */
	bool lit_drop;               /* ... thrown away (over the limit) */
	bool lit_too_big;
};

struct msv_client {
	struct msv_server *srv;
	struct client_conn conn;
	char peer[TCP_PEER_TEXT_MAX];
	char addr[TCP_PEER_TEXT_MAX];
	char session[48];
	bool greeted, logout;
	unsigned errors, auth_failures;
	struct msv_args args;
	struct sasl_session *sasl;   /* an AUTHENTICATE exchange in progress */
	struct auth_job *auth_job;   /* a login being checked: input waits */
	struct store_job *job;       /* a read or a change on the pool: input waits */
	struct reply_delay delay;    /* a failed login's answer, sent late */
	bool authed;
	struct auth_identity who;
};

/* ---- msv_conn.c ---- */

/* Queues one reply line (CRLF added). */
void msv_reply(struct msv_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Queues RAW bytes as they are. */
void msv_write(struct msv_client *c, const char *raw, size_t len);
/* Queues S as a ManageSieve string: quoted when short and plain, else a
 * literal {n}. */
void msv_write_string(struct msv_client *c, const char *s, size_t len);
/* NO with a reason (CODE, e.g. "NONEXISTENT", may be NULL); counts a bad
 * command when BAD: past the limit the session ends with BYE. */
void msv_no(struct msv_client *c, bool bad, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Queues REPLY after DELAY_MS, taking no input meanwhile (CLOSE: end the
 * session then). */
void msv_delay(struct msv_client *c, unsigned delay_ms, const char *reply, bool close);
bool msv_pump(struct msv_client *c);
void msv_client_new(struct msv_server *srv, int fd, const struct worker_peer *peer,
                    unsigned flags);

/* ---- msv_args.c ---- */

/* Bytes a literal may carry: a script at the limit, with room for its
 * line ends. */
#define MSV_LITERAL_MAX (SIEVE_SCRIPT_MAX + 1024)
/* Takes one line of the command into A.  Returns 1 when the command is
 * complete (A->bad: refuse it with A->error), 0 when a literal follows
 * (A->lit_left bytes, perhaps none), then the rest of the command as
 * the next line. */
int msv_args_line(struct msv_args *a, const char *line, size_t len);
/* Takes bytes of the literal in progress (A->lit_left counts down). */
void msv_args_literal(struct msv_args *a, const char *data, size_t len);
/* Frees the arguments and makes A empty. */
void msv_args_clear(struct msv_args *a);

/* ---- msv_cmd.c ---- */

void msv_greet(struct msv_client *c);
/* Runs the complete command in C->args. */
void msv_command(struct msv_client *c);

/* ---- msv_auth.c ---- */

void msv_cmd_authenticate(struct msv_client *c);
/* The client's answer to a SASL challenge (C->args). */
void msv_auth_response(struct msv_client *c);
void msv_cmd_starttls(struct msv_client *c);
/* "PLAIN" when a password may be taken here, else "". */
const char *msv_mechanisms(const struct msv_client *c);

/* ---- msv_script.c: the commands that only read (store_read.h) ---- */

void msv_cmd_listscripts(struct msv_client *c);
void msv_cmd_getscript(struct msv_client *c);
void msv_cmd_checkscript(struct msv_client *c);
void msv_cmd_havespace(struct msv_client *c);
/* True when the script S (LEN bytes) compiles; else answers NO with the
 * line:col message and returns false. */
bool msv_script_compiles(struct msv_client *c, const char *s, size_t len);
/* True when a script of SIZE bytes is within SIEVE_SCRIPT_MAX; else
 * answers NO (QUOTA/MAXSIZE) and returns false. */
bool msv_script_size_ok(struct msv_client *c, uint64_t size);
/* A store read, for a job: *ROOM gets whether PERSON_ID may keep a
 * script NAME (one replaced, or a new one within MAX scripts).  Returns
 * 0, or -1 after a store failure. */
int msv_script_room(struct store *st, int64_t person_id, const char *name, unsigned max,
                    bool *room);
/* Answers NO (QUOTA/MAXSCRIPTS): no room for another script. */
void msv_script_no_room(struct msv_client *c);

/* ---- msv_write.c: the commands that change the store (on the pool) ---- */

void msv_cmd_putscript(struct msv_client *c);
void msv_cmd_setactive(struct msv_client *c);
void msv_cmd_deletescript(struct msv_client *c);
void msv_cmd_renamescript(struct msv_client *c);

#endif
