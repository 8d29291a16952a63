/*
 * imap_trace.h - Server-Trace: a protocol trace file per session, for
 * an administrator chasing a client's problem.  Each line is "C: " for
 * what the client sent or "S: " for what the server answered.
 * Passwords never reach it (LOGIN's arguments and AUTHENTICATE's
 * exchanges are replaced by a note), and literal contents (message
 * bodies in FETCH and APPEND) are kept only up to trace_literal_max
 * bytes each.  The file is flushed every trace_synch writes (Trace-Synch;
 * 0: only when the session ends).
 */
#ifndef IMAP_TRACE_H
#define IMAP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct imap_trace;

/*
 * Opens <LOG_DIR>/trace/<NODE>_<mmddhhmmss>_<SESSION>TRACE.LOG for
 * session SESSION of peer PEER.  Returns the trace, or NULL after
 * logging why (the session then runs untraced).
 */
struct imap_trace *imap_trace_open(const char *log_dir, const char *node,
                                   uint64_t session, const char *peer,
                                   unsigned synch, size_t literal_max);

/* Flushes and closes the file (NULL is fine). */
void imap_trace_close(struct imap_trace *t);

/* The path of the file (for tests and the log). */
const char *imap_trace_path(const struct imap_trace *t);

/* A line the client sent (without its CRLF). */
void imap_trace_client_line(struct imap_trace *t, const char *line, size_t len);

/* Bytes of a literal the client sent, in as many pieces as they came;
 * HIDDEN replaces them by a note (a password). */
void imap_trace_client_literal(struct imap_trace *t, const char *data, size_t len,
                               bool hidden);

/* A note in place of hidden input ("LOGIN arguments hidden"). */
void imap_trace_note(struct imap_trace *t, const char *note);

/* Server output; LITERAL marks literal contents (cut at the limit). */
void imap_trace_server(struct imap_trace *t, const char *data, size_t len,
                       bool literal);

#endif
