/*
 * dotstuff.h - dot-stuffed output for POP3 RETR/TOP and LMTP/SMTP message
 * bodies (RFC 1939 section 3, RFC 5321 section 4.5.2), written into an
 * iostream.  pop3srv sends stored messages with it; smtpgw uses it for
 * the mail it hands on.
 *
 * A body goes through in as many chunks as the caller likes: a '.' that
 * starts a line is doubled, a bare LF becomes CRLF (a CRLF split across
 * two chunks stays one CRLF), and dotstuff_end() closes an unterminated
 * last line and writes the ".\r\n" terminator.
 */
#ifndef EMS_DOTSTUFF_H
#define EMS_DOTSTUFF_H

#include <stdbool.h>
#include <stddef.h>

struct iostream;

/* Where the previous chunk ended; start with DOTSTUFF_INIT. */
struct dotstuff {
	bool line_start;   /* the next byte starts a line */
	bool after_cr;     /* the previous byte was CR */
};
#define DOTSTUFF_INIT ((struct dotstuff){ .line_start = true })

/* Queues LEN bytes of DATA, stuffed, on S.  Returns 0, or -1 when out of
 * memory (logged; the stream's output is then incomplete). */
int dotstuff_write(struct iostream *s, struct dotstuff *st, const char *data,
                   size_t len);

/* Ends the body: CRLF if the last line lacked one, then ".\r\n".  Resets
 * ST to DOTSTUFF_INIT.  Returns 0, or -1 when out of memory (logged). */
int dotstuff_end(struct iostream *s, struct dotstuff *st);

#endif
