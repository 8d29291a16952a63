/*
 * iobuf.h - the one buffered stream every ems protocol reads and writes
 * through (POP3, IMAP, LMTP, the listener's control channel).
 *
 * A stream sits on a transport: the plain descriptor by default, TLS after
 * ios_set_transport() (STARTTLS or implicit TLS), so protocol code never
 * knows which.  Input is read into a bounded buffer and taken out as lines
 * (CRLF or bare LF) or as counted bytes (IMAP literals, LMTP chunks), so a
 * client can never make the server allocate more than the line limit.
 * Output is buffered and flushed as the socket accepts it; ios_out_full()
 * tells the protocol loop to stop producing (back-pressure).
 *
 * Buffers are allocated when needed and released when empty, so an idle
 * connection costs only the struct (about 100 bytes).
 *
 * A protocol's readable callback calls ios_fill(), then ios_read_line()
 * (or ios_read_bytes() inside a literal) until IOS_NEED_MORE, answering
 * IOS_TOO_LONG with an error reply and carrying on; replies go out with
 * ios_write()/ios_printf() and ios_flush(); while ios_flush() returns 1
 * it also watches for writable, and while ios_out_full() it stops reading.
 * Dot-stuffed output for POP3 and LMTP is in dotstuff.h.
 */
#ifndef EMS_IOBUF_H
#define EMS_IOBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * A transport reads and writes like read(2)/write(2): > 0 bytes moved,
 * 0 from read at end of stream, -1 with errno EAGAIN for "would block"
 * and -1 with another errno on failure.  It does not own the descriptor
 * (the connection's owner closes it); a TLS transport keeps its own
 * state in CTX and is shut down by its owner.
 */
struct io_transport_ops {
	ssize_t (*read)(void *ctx, void *buf, size_t len);
	ssize_t (*write)(void *ctx, const void *buf, size_t len);
	/* True when the last EAGAIN means "wait until the socket is
	 * writable" even for a read (TLS WANT_WRITE); may be NULL. */
	bool (*wants_write)(const void *ctx);
	/* Bytes the transport holds decrypted but not yet read (they do not
	 * make the socket readable again); may be NULL. */
	size_t (*pending)(const void *ctx);
};

enum ios_status {
	IOS_OK = 0,        /* a line / bytes were returned */
	IOS_NEED_MORE,     /* nothing complete buffered: fill when readable */
	IOS_TOO_LONG,      /* a line passed the limit; it is being discarded */
	IOS_EOF,           /* the peer closed and nothing usable is left */
};

/* First allocation of either buffer; they grow by doubling. */
#define IOS_CHUNK 4096

struct iostream;

/*
 * Creates a stream over FD (which the caller keeps owning and closing).
 * MAX_LINE bounds one input line (terminator excluded); the input buffer
 * never grows past MAX_LINE + 2.  OUT_HIGH_WATER is the output size above
 * which ios_out_full() is true.  Returns NULL when out of memory (logged).
 */
struct iostream *ios_new(int fd, size_t max_line, size_t out_high_water);
/* Frees the stream and its buffers (unsent output is dropped); NULL is
 * ignored.  Does not close the descriptor or the transport. */
void ios_free(struct iostream *s);
int ios_fd(const struct iostream *s);

/* Switches to another transport (NULL OPS: back to the plain fd).  Input
 * already buffered is kept, which is why STARTTLS callers must check
 * ios_in_buffered() == 0 first (RFC 2595 / 3207 command injection). */
void ios_set_transport(struct iostream *s, const struct io_transport_ops *ops,
                       void *ctx);

/*
 * Reads what the transport has, until it would block or the buffer is
 * full.  Returns the number of bytes read (> 0); 0 at end of stream (also
 * on every later call); -1 with errno EAGAIN when nothing was available
 * (wait for readable, or writable when ios_wants_write()); -1 with errno
 * ENOBUFS when the buffer is full because the caller has not taken out
 * what is there (stop watching for input until it does); -1 with another
 * errno when the transport failed (not logged: the caller knows the peer).
 */
ssize_t ios_fill(struct iostream *s);

/*
 * Takes the next line out of the buffer: *LINE points at it (NUL in place
 * of its terminator; valid until the next call on the stream), *LEN is its
 * length (the line may hold NUL bytes).  Returns IOS_OK; IOS_NEED_MORE
 * when no full line is buffered; IOS_TOO_LONG once for each line longer
 * than the limit, whose bytes up to its newline are discarded, even those
 * still to arrive, and never returned; IOS_EOF at end of stream (a last
 * line without newline is dropped).
 */
enum ios_status ios_read_line(struct iostream *s, char **line, size_t *len);

/*
 * Takes up to WANT bytes that are already buffered (a literal arrives in
 * as many pieces as it likes, so a large one never sits whole in memory):
 * *DATA / *LEN point at them, valid until the next call on the stream.
 * Returns IOS_OK, IOS_NEED_MORE when none are buffered (or WANT is 0),
 * IOS_EOF when the stream ended first.
 */
enum ios_status ios_read_bytes(struct iostream *s, size_t want,
                               const char **data, size_t *len);

/*
 * Gives back the last N bytes the ios_read_bytes() call just before
 * returned, so the next read returns them again (a protocol that finds
 * the end of a message inside a chunk leaves what follows to its command
 * parser).  N must not exceed what that call returned; no other call on
 * the stream may come in between.
 */
void ios_unread(struct iostream *s, size_t n);

/* Bytes buffered and not yet taken. */
size_t ios_in_buffered(const struct iostream *s);
/* Bytes currently allocated for input (0 while idle). */
size_t ios_in_capacity(const struct iostream *s);

/* Queue output (never blocks, never fails for a slow peer: check
 * ios_out_full()).  Return 0, or -1 when out of memory (logged). */
int ios_write(struct iostream *s, const void *data, size_t len);
int ios_puts(struct iostream *s, const char *text);
int ios_printf(struct iostream *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Writes queued output.  Returns 0 when all of it is out (the output
 * buffer is released), 1 while some is still pending (wait for writable,
 * or for readable when the transport says so), -1 when the connection
 * failed (errno set; not logged).
 */
int ios_flush(struct iostream *s);
/* Bytes queued and not yet written. */
size_t ios_out_pending(const struct iostream *s);
/* True above the high-water mark: stop producing and reading until a
 * flush brings it down. */
bool ios_out_full(const struct iostream *s);

/* True when the stream needs the socket writable to make progress:
 * output pending, or a transport that asked for it. */
bool ios_wants_write(const struct iostream *s);
/* True when the transport holds input already (TLS): fill again before
 * waiting on the socket, which will not become readable for it. */
bool ios_transport_pending(const struct iostream *s);

#endif
