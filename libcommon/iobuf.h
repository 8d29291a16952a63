/*
 * iobuf.h - the one buffered stream every ems protocol reads and writes
 * through (POP3, IMAP, LMTP, the listener's control channel).
 *
 * A stream sits on a transport: the plain descriptor by default, TLS after
 * ios_set_transport() (STARTTLS or implicit TLS), so protocol code never
 * knows which.  Input is read into a bounded buffer and taken out as lines
 * (CRLF or bare LF) or as counted bytes (IMAP literals, LMTP DATA), so a
 * client can never make the server allocate more than the line limit.
 * Output is buffered and flushed as the socket accepts it; ios_out_full()
 * tells the protocol loop to stop producing (back-pressure).
 *
 * Buffers are allocated when needed and released when empty, so an idle
 * connection costs only the struct.
 */
#ifndef EMS_IOBUF_H
#define EMS_IOBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Reads/writes like read(2)/write(2): -1 with errno EAGAIN means "wait". */
struct io_transport_ops {
	ssize_t (*read)(void *ctx, void *buf, size_t len);
	ssize_t (*write)(void *ctx, const void *buf, size_t len);
	/* True when the transport waits for the socket to become writable
	 * even for a read (TLS renegotiation, handshake); may be NULL. */
	bool (*wants_write)(const void *ctx);
	/* Bytes the transport holds decrypted but not yet read; may be NULL. */
	size_t (*pending)(const void *ctx);
};

enum ios_status {
	IOS_OK = 0,        /* a line / bytes were returned */
	IOS_NEED_MORE,     /* nothing complete buffered: wait for readable */
	IOS_TOO_LONG,      /* a line passed the limit; it is being discarded */
	IOS_EOF,           /* the peer closed and the buffer is empty */
};

struct iostream;

/*
 * Creates a stream over FD (which the caller keeps owning and closing).
 * MAX_LINE bounds one input line (terminator excluded); OUT_HIGH_WATER is
 * the output size above which ios_out_full() is true.  Returns NULL when
 * out of memory (logged).
 */
struct iostream *ios_new(int fd, size_t max_line, size_t out_high_water);
void ios_free(struct iostream *s);
int ios_fd(const struct iostream *s);

/* Switches to another transport (NULL OPS: back to the plain fd).  Input
 * already buffered is kept, which is why STARTTLS callers must check
 * ios_in_buffered() == 0 first (RFC 2595 / 3207 command injection). */
void ios_set_transport(struct iostream *s, const struct io_transport_ops *ops,
                       void *ctx);

/*
 * Reads what the transport has (until it would block or the buffer is
 * full).  Returns the number of bytes read (> 0), 0 at end of stream,
 * -1 with errno EAGAIN when nothing was available, -1 with errno ENOBUFS
 * when the buffer is full (take lines out first), -1 with another errno
 * on failure.  A protocol loop calls ios_fill() when the socket is
 * readable and then takes out every complete line (ios_read_line() until
 * IOS_NEED_MORE) whatever ios_fill() returned, closing on IOS_EOF.
 */
ssize_t ios_fill(struct iostream *s);

/*
 * Takes the next line out of the buffer: *LINE points at it (NUL in place
 * of its terminator; valid until the next call on the stream), *LEN is its
 * length.  IOS_TOO_LONG is returned once for each over-long line; its
 * bytes up to the next newline are discarded and never returned.
 */
enum ios_status ios_read_line(struct iostream *s, char **line, size_t *len);

/*
 * Takes up to WANT bytes that are already buffered (a literal arrives in
 * as many pieces as it likes): *DATA / *LEN point at them, valid until the
 * next call.  IOS_NEED_MORE when none are buffered, IOS_EOF at the end.
 */
enum ios_status ios_read_bytes(struct iostream *s, size_t want,
                               const char **data, size_t *len);

/* Bytes buffered and not yet taken. */
size_t ios_in_buffered(const struct iostream *s);

/* Queues output.  Returns 0, or -1 when out of memory (logged). */
int ios_write(struct iostream *s, const void *data, size_t len);
int ios_puts(struct iostream *s, const char *text);
int ios_printf(struct iostream *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Writes queued output.  Returns 0 when all of it is out, 1 while some is
 * still pending (wait for ios_wants_write()'s direction), -1 when the
 * connection failed (errno set).
 */
int ios_flush(struct iostream *s);
size_t ios_out_pending(const struct iostream *s);
bool ios_out_full(const struct iostream *s);

/* The events the stream waits for to make progress: output pending or a
 * transport that needs the socket writable → write. */
bool ios_wants_write(const struct iostream *s);
/* True when the transport holds data already (TLS): process it before
 * waiting on the socket again. */
bool ios_transport_pending(const struct iostream *s);

/*
 * Dot-stuffed output for POP3 RETR/TOP and LMTP/SMTP bodies: bare LF
 * becomes CRLF and a '.' that starts a line is doubled.  The state carries
 * over between chunks; start it with DOTSTUFF_INIT and finish with
 * ios_dotstuff_end(), which closes an unterminated last line and writes
 * the ".\r\n" terminator.
 */
struct dotstuff { bool line_start; bool after_cr; };
#define DOTSTUFF_INIT ((struct dotstuff){ .line_start = true })
int ios_dotstuff(struct iostream *s, struct dotstuff *st, const char *data,
                 size_t len);
int ios_dotstuff_end(struct iostream *s, struct dotstuff *st);

#endif
