/*
 * client_conn.h - one client connection of a protocol worker (pop3srv,
 * imap4srv, smtpgw's LMTP; the worker itself is worker.h): its socket in the event loop, plain or TLS (implicit on an
 * SSL listener, or after STLS/STARTTLS), its iobuf stream, the idle
 * timer, back-pressure and closing.  The protocol gives the few things
 * it does differently as client_conn_ops; everything else, above all the
 * pump that decides what the connection waits for, is here once.
 *
 * The pump runs the protocol's steps (a command line, a chunk of a
 * transfer) while the output has room, up to CLIENT_PUMP_STEPS at a
 * time (then it resumes once the socket is writable, after the other
 * events of the loop), and watches the socket for
 * reading only while the protocol would act on more input.  A TLS record
 * may hold input the socket will not announce, so the pump also reads
 * what the transport has pending.
 *
 * A client struct embeds a struct client_conn; CLIENT below is that
 * struct, given back to every callback.
 */
#ifndef EMS_CLIENT_CONN_H
#define EMS_CLIENT_CONN_H

#include "evloop.h"
#include "iobuf.h"
#include "tls.h"

#include <stdbool.h>
#include <stddef.h>

/* Steps one pump runs before it yields to the loop's other events (a
 * fast reader of a long FETCH or RETR must not hold the loop; a step of
 * a transfer fills the output up to its high water, a few hundred KB). */
#define CLIENT_PUMP_STEPS 8

/* A client gets this long to finish the TLS handshake. */
#define CLIENT_TLS_HANDSHAKE_MS 60000

enum client_tls {
	CLIENT_TLS_NONE,
	CLIENT_TLS_STARTING,   /* STLS/STARTTLS answered; handshake once flushed */
	CLIENT_TLS_HANDSHAKE,
	CLIENT_TLS_ON,
};

struct client_conn_ops {
	/* One step of protocol work: 1 did something (call again), 0
	 * nothing to do before more input or room, -1 the connection is
	 * dead (the pump frees the client). */
	int (*step)(void *client);
	/* True while the protocol would not act on more input (an answer
	 * held back, a command waiting for the peer to read). */
	bool (*input_held)(const void *client);
	/* After the handshake of implicit TLS (or of STARTTLS, when the
	 * client speaks first): greets where it has not yet.  0, or -1 to
	 * free the client. */
	int (*greet)(void *client);
	/* The idle timer fired (logged as <name>_timeout): writes the
	 * protocol's goodbye.  Called only when client_conn_can_write();
	 * the connection then closes. */
	void (*idle)(void *client);
	/* The worker is shutting down (worker.h): writes the protocol's
	 * goodbye ("* BYE", "421") where a line may go now (not inside a
	 * transfer); the connection then closes once its output is out.
	 * Called only when client_conn_can_write(). */
	void (*goodbye)(void *client);
	/* Frees the client, which calls client_conn_close(). */
	void (*free)(void *client);
	/* The protocol's name in event names: "pop3" logs pop3_connect,
	 * pop3_tls and pop3_read. */
	const char *name;
	/* True when output the peer takes counts as activity (a slow
	 * reader of a long transfer is not idle). */
	bool output_is_activity;
};

struct client_conn;

/* The clients of one worker, newest first.  CHANGED (may be NULL) is
 * called with ARG each time a client leaves the list (the worker's load
 * report and the end of an orderly shutdown). */
struct client_list {
	struct client_conn *head;
	unsigned n;
	void (*changed)(struct client_list *list, void *arg);
	void *changed_arg;
};

struct client_conn {
	int fd;
	struct iostream *ios;
	struct ev_io *io;
	struct ev_timer *idle_timer;
	struct tls_conn *tls;
	struct tls_server *tls_ctx;     /* the worker's, NULL without a certificate */
	enum client_tls tls_state;
	bool closing;                   /* close once the output is out */
	bool eof;                       /* the peer closed its side */
	unsigned idle_ms;
	const char *session;            /* the client's name in log lines */
	const char *peer;               /* its address text (client_conn_start) */
	const struct client_conn_ops *ops;
	void *client;
	struct client_list *list;
	struct client_conn *prev, *next;
};

/*
 * Sets CC up for the nonblocking FD (which it owns from now on, and
 * closes in client_conn_close()) and puts it on LIST: a stream with lines of at most
 * MAX_LINE and output above HIGH_WATER counted as full, the socket
 * watched for reading on LOOP, an idle timer of IDLE_MS.  TLS_CTX serves
 * implicit TLS and STARTTLS (NULL: none).  SESSION (kept, not copied)
 * names the client in log lines.  Returns 0, or -1 (what was made is
 * released by client_conn_close()).
 */
int client_conn_open(struct client_conn *cc, struct client_list *list, struct evloop *loop,
                     int fd, size_t max_line, size_t high_water, unsigned idle_ms,
                     struct tls_server *tls_ctx, const char *session,
                     const struct client_conn_ops *ops, void *client);

/*
 * What every protocol does first with a new client at PEER (text for
 * the log, kept, not copied) that came in on a listener with FLAGS:
 * logs <name>_connect; on an implicit-TLS listener (PROC_FLAG_SSL)
 * starts the handshake, the greeting to follow it, and refuses the
 * client when the worker has no certificate; otherwise greets at once;
 * then runs the pump.  Returns false when the client was freed (after a
 * failure too).
 */
bool client_conn_start(struct client_conn *cc, unsigned flags, const char *peer);
/*
 * What a protocol's step does with ST, the answer of an input read
 * (ios_read_line(), ios_read_bytes()): at the end of the input (IOS_EOF,
 * or nothing left after the peer closed its side) the connection is
 * marked to close once its output is out.  Returns ST.
 */
enum ios_status client_conn_input(struct client_conn *cc, enum ios_status st);
/* Takes CC off its list, releases what client_conn_open() made and
 * closes the socket.  Safe on
 * a zeroed CC (nothing to do) and on one whose open failed. */
void client_conn_close(struct client_conn *cc);

/* Starts the server side of a TLS handshake on the socket (implicit TLS,
 * or after STARTTLS's answer went out); the idle timer becomes the
 * handshake's limit.  Returns 0, or -1 (logged by tls). */
int client_conn_start_tls(struct client_conn *cc);

/* True once TLS is on. */
bool client_conn_tls(const struct client_conn *cc);

/* True when a plaintext password may be taken: MIN_BITS is 0 or below,
 * or TLS is on with a cipher of at least MIN_BITS bits. */
bool client_conn_plaintext_ok(const struct client_conn *cc, int min_bits);

/* The user name in FIELD of the client's verified TLS certificate
 * (tls_conn_peer_user()), into OUT (CAP bytes): 0, or -1 (OUT "") when
 * TLS is not on or there is no such certificate.  What SASL EXTERNAL
 * logs in as. */
int client_conn_cert_user(const struct client_conn *cc, const char *field, char *out,
                          size_t cap);

/* True when a goodbye line can still be written (no TLS handshake is
 * starting or under way). */
bool client_conn_can_write(const struct client_conn *cc);

/* Runs the protocol's steps as far as they go, flushes and sets what the
 * socket is watched for.  Returns false when the client was freed. */
bool client_conn_pump(struct client_conn *cc);

#endif
