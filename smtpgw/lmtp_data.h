/*
 * lmtp_data.h - the text of an LMTP DATA command (RFC 5321 section
 * 4.1.1.4 and 4.5.2) decoded into the message smtpgw stores, without
 * I/O, so that the rules below can be tested and fuzzed on their own.
 *
 * - The data ends at <CRLF>.<CRLF> and nowhere else: "\n.\n", "\n.\r\n",
 *   "\r.\r" are message text (the SMTP smuggling sequences of 2023).
 *   The CRLF after the DATA command counts as the first CRLF.
 * - A '.' that starts a CRLF line is dot-stuffing and removed.  After a
 *   bare LF, ".." becomes "." (clients that treat LF as a line end, such
 *   as Python's smtplib, stuff there too); any other '.' stays.
 * - A bare LF becomes CRLF; a bare CR stays as it is.
 * - The CRLF before the final '.' ends the last line; when that line
 *   already ended with a bare LF (smtplib appends CRLF to text that ends
 *   in LF), it ends nothing and is dropped, so "text\n\r\n.\r\n" stores
 *   "text\r\n" and not an extra empty line.
 */
#ifndef EMS_LMTP_DATA_H
#define EMS_LMTP_DATA_H

#include <stdbool.h>
#include <stddef.h>

struct message_buf;

/* Where the decoder is between two chunks; start with lmtp_data_init(). */
struct lmtp_data {
	int state;
	size_t lf_mark;     /* message length just after a bare LF's CRLF */
	bool failed;        /* out of memory: the message must be refused */
};

/* Starts D for a new DATA command. */
void lmtp_data_init(struct lmtp_data *d);

/*
 * Decodes up to LEN bytes of IN into B (msgbuf_add_bytes(), so B's size
 * limit applies).  Returns how many bytes it took: all of them, or fewer
 * when the end of data was among them, and then *DONE is true and what
 * is left of IN is the client's next command.  Out of memory sets
 * D->failed (logged) and goes on consuming.
 */
size_t lmtp_data_feed(struct lmtp_data *d, struct message_buf *b, const char *in,
                      size_t len, bool *done);

#endif
