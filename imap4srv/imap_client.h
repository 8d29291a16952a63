/*
 * imap_client.h - one IMAP connection and its session: the stream it
 * reads and writes through (plain or TLS), the command being assembled
 * or executed, who logged in, and the selected mailbox.
 *
 * imap_conn.c runs the connection (on libcommon/client_conn.h),
 * imap_command.c turns input into commands and runs them, the
 * imap_cmd_*.c files implement the commands, imap_view.c keeps the
 * selected mailbox in step with the store.  Everything a command writes
 * goes through the imap_out*() functions here, so the Server-Trace sees
 * it.
 */
#ifndef IMAP_CLIENT_H
#define IMAP_CLIENT_H

#include "client_conn.h"
#include "imap_parse.h"
#include "imap_server.h"
#include "iobuf.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest tag accepted; longer ones get an untagged BAD. */
#define IMAP_TAG_MAX 64
/* Room for the text of a tagged response. */
#define IMAP_TEXT_MAX 512
/* Literals inside commands other than APPEND (a password, a search string). */
#define IMAP_SMALL_LITERAL_MAX (64 * 1024)
/* Everything but APPEND's message literal in one command. */
#define IMAP_COMMAND_MAX (1024 * 1024)
/* Failed logins before the connection is closed. */
#define IMAP_AUTH_FAILURES_MAX 3

enum imap_state {
	IMAP_NOT_AUTH,
	IMAP_AUTH,
	IMAP_SELECTED,
	IMAP_LOGOUT,
};

/* What a command handler returns. */
enum cmd_result {
	CMD_DONE,       /* finished: cmd->status and cmd->text hold the answer */
	CMD_SUSPEND,    /* output is full: resume() once the peer has read */
	CMD_INPUT,      /* waiting for client lines: on_line() gets each */
	CMD_CLOSE,      /* the connection ends after the output is sent */
};

/* ENABLE'd extensions (RFC 5161). */
#define IMAP_ENABLED_CONDSTORE 1u
#define IMAP_ENABLED_QRESYNC   2u  /* implies CONDSTORE (RFC 7162 3.2.3) */
#define IMAP_ENABLED_UTF8      4u  /* UTF8=ACCEPT (RFC 6855) */
#define IMAP_ENABLED_REV2      8u  /* IMAP4rev2 (RFC 9051) */

struct imap_client;

struct imap_cmd {
	char tag[IMAP_TAG_MAX + 1];
	char name[16];              /* upper case, "UID FETCH" as "FETCH" */
	bool uid;                   /* the UID form */
	struct imap_parser p;       /* over the assembled command */
	const char *status;         /* "OK", "NO" or "BAD" */
	char text[IMAP_TEXT_MAX];   /* the tagged line after the status */
	/* Continues a suspended command; returns like a handler. */
	enum cmd_result (*resume)(struct imap_client *c);
	/* Takes one client line while the command waits for input. */
	enum cmd_result (*on_line)(struct imap_client *c, char *line, size_t len);
	/* Per-command state of a suspended or waiting command, freed with
	 * state_free when the command ends or the connection closes. */
	void *state;
	void (*state_free)(void *state);
	/* The store job the command waits for (imap4srv/imap_job.h), or
	 * NULL; cancelled when the command ends first. */
	struct store_job *job;
	bool no_expunge;            /* FETCH, STORE, SEARCH: hold EXPUNGEs back */
	bool synced;                /* the untagged updates before the tagged
	                               answer went out (imap_view_sync_start()) */
};

struct imap_view;
struct imap_trace;

struct imap_client {
	struct imap_server *srv;
	struct client_conn conn;    /* socket, stream, TLS, idle timer */
	char peer[INET6_ADDRSTRLEN + 8];
	unsigned flags;             /* the listener's flags (PROC_FLAG_SSL) */
	uint64_t id;                /* session number in traces */
	char session[48];           /* "imap4srv01.17" in log lines */
	enum imap_state state;
	bool greeted;               /* the greeting went out */

	/* assembling the next command */
	char *cmd;
	size_t cmd_len, cmd_cap;
	uint32_t literal_left;      /* bytes of the current literal to come */
	bool in_literal;
	bool literal_spooled;       /* the current literal goes to spool */
	size_t literal_limit;       /* per literal of this command */
	struct spool *spool;        /* APPEND's message literal, or NULL */
	size_t spool_at;            /* its "{N}" CRLF in cmd (bytes not there) */

	/* the command being executed */
	struct imap_cmd active;
	bool busy;                  /* active holds a suspended/waiting command */

	/* after login */
	int64_t person_id;
	char *username;             /* as resolved: "demo@example.test" */
	unsigned enabled;           /* IMAP_ENABLED_* */
	struct imap_view *view;     /* the selected mailbox, or NULL */
	int auth_failures;
	bool idling;                /* inside IDLE: push changes at once */

	struct imap_trace *trace;   /* Server-Trace of this session, or NULL */
};

/* ---- imap_conn.c ---- */

/*
 * Takes over client socket FD (accepted by the listener or by
 * --listen), with the peer's address text PEER and the listener's
 * FLAGS: greets at once, or after the TLS handshake when FLAGS has
 * PROC_FLAG_SSL.  On failure logs why and closes FD.
 */
void imap_client_new(struct imap_server *srv, int fd, const char *peer, unsigned flags);

/* Closes the connection now and frees the client (unsent output is
 * dropped). */
void imap_client_free(struct imap_client *c);

/* Runs the client's pending work: commands buffered, a suspended
 * command, output; then waits for the socket as needed.  Safe to call
 * from any event; may free C (returns false then). */
bool imap_client_pump(struct imap_client *c);

/* True when the connection is protected by TLS. */
bool imap_client_tls(const struct imap_client *c);

/* True when a cleartext password may be sent now (plaintextmincipher). */
bool imap_client_plaintext_ok(const struct imap_client *c);

/* True when the client names mailboxes in UTF-8, not modified UTF-7
 * (UTF8=ACCEPT, or IMAP4rev2: RFC 9051 5.1). */
static inline bool imap_utf8_names(const struct imap_client *c)
{
	return (c->enabled & (IMAP_ENABLED_UTF8 | IMAP_ENABLED_REV2)) != 0;
}

/* True for an IMAP4rev2 session: no \Recent, ESEARCH for SEARCH, a LIST
 * in SELECT (RFC 9051 appendix E). */
static inline bool imap_rev2(const struct imap_client *c)
{
	return (c->enabled & IMAP_ENABLED_REV2) != 0;
}

/* ---- output (imap_output.c) ---- */

/* Queue output and feed the trace.  Return 0, or -1 when out of memory
 * (logged; the connection is then closed by the pump). */
int imap_out(struct imap_client *c, const void *data, size_t len);
int imap_outs(struct imap_client *c, const char *text);
int imap_outf(struct imap_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Literal contents, NUL sent as 0x80 (RFC 3501 literals hold none):
 * traced only up to trace_literal_max bytes. */
int imap_out_literal_data(struct imap_client *c, const void *data, size_t len);
/* DATA as a literal, "{n}", or a literal8, "~{n}", when it holds NUL
 * (RFC 3516 4.3, FETCH BINARY): sent as is, traced as literal data. */
int imap_out_binary(struct imap_client *c, const void *data, size_t len);
/* A whole untagged response: "* " FMT CRLF. */
int imap_untagged(struct imap_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* S as an IMAP string: quoted when it may be, else a literal. */
int imap_out_string(struct imap_client *c, const char *s, size_t len);
/* S as an nstring: NIL when S is NULL. */
int imap_out_nstring(struct imap_client *c, const char *s, size_t len);
/* S as an astring: an atom when it may be, else a string. */
int imap_out_astring(struct imap_client *c, const char *s);
/* The store's mailbox name NAME in its wire form, as an astring:
 * modified UTF-7, or UTF-8 (quoted when it may be) for a client that
 * enabled UTF8=ACCEPT. */
int imap_out_mailbox(struct imap_client *c, const char *name);

/*
 * Ends the active command: STATUS ("OK", "NO", "BAD") and the text that
 * follows it on the tagged line (which may start with a response code
 * "[...]").  Returns CMD_DONE, so handlers end with
 * "return imap_done(c, "NO", "[NONEXISTENT] no such mailbox");".
 */
enum cmd_result imap_done(struct imap_client *c, const char *status,
                          const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* BAD with the parser's reason: for handlers whose arguments did not
 * parse. */
enum cmd_result imap_bad_syntax(struct imap_client *c);

/* NO for a store failure: "[UNAVAILABLE]" when it was transient (try
 * again), "[SERVERBUG]" otherwise, after the store logged it. */
enum cmd_result imap_store_failed(struct imap_client *c, const char *what);

#endif
