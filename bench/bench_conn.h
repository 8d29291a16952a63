/*
 * bench_conn.h - one client connection of the load generator: TCP or unix
 * socket, plain or TLS (OpenSSL client, certificate not verified: the
 * bench talks to its own servers), read through the project's iostream
 * (iobuf.h) so it has the same line and literal handling as the servers.
 *
 * The socket is non-blocking underneath; every call here waits with
 * poll() up to the connection's timeout, so a thread drives one
 * connection in straight-line code and a stalled server shows up as an
 * error, never as a hang.
 *
 * Error idiom: functions return 0 (or a length) on success and -1 on
 * failure; the reason is in bconn_error() (never logged here: the load
 * generator counts errors and prints them in its summary).
 */
#ifndef EMS_BENCH_CONN_H
#define EMS_BENCH_CONN_H

#include <stdbool.h>
#include <stddef.h>

/* Longest response line accepted (IMAP FETCH of flags for a big
 * mailbox comes on one line per message, so this is generous). */
#define BCONN_MAX_LINE (256 * 1024)

struct bconn;

/* Where the bench connects: HOST:PORT, or a unix socket path when HOST
 * starts with '/'. */
struct bench_target {
	char host[128];     /* "" when not given */
	int port;
	bool tls;
};

/* Prepares the process-wide TLS client context; returns 0, or -1 with
 * the reason on stderr.  Call once before any TLS connection. */
int bconn_tls_init(void);

/* Connects to T (TLS handshake included) with TIMEOUT_MS for every later
 * wait.  Returns the connection, or NULL with the reason in *WHY (a
 * static string). */
struct bconn *bconn_open(const struct bench_target *t, int timeout_ms,
                         const char **why);

/* Closes the socket and frees C (NULL is fine). */
void bconn_close(struct bconn *c);

/* Sends all of DATA.  Returns 0 or -1. */
int bconn_send(struct bconn *c, const void *data, size_t len);

/* printf-style bconn_send().  Returns 0 or -1. */
int bconn_printf(struct bconn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The next line, without its terminator, NUL-terminated (valid until the
 * next call on C); its length in *LEN when LEN is not NULL.  Returns
 * the line, or NULL at end of stream, on timeout or error. */
char *bconn_line(struct bconn *c, size_t *len);

/* Reads and discards exactly N bytes (an IMAP literal).  Returns 0 or -1. */
int bconn_skip(struct bconn *c, size_t n);

/* Why the last call on C failed ("timeout", "closed", ...). */
const char *bconn_error(const struct bconn *c);

/* The socket, for callers that wait on several connections at once. */
int bconn_fd(const struct bconn *c);

/* True when input is buffered (or held decrypted by TLS), so a poll()
 * on the socket would not see it. */
bool bconn_has_input(const struct bconn *c);

#endif
