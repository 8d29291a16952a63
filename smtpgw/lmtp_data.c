/*
 * lmtp_data.c - decodes the text of an LMTP DATA command for
 * lmtp_session.c; the rules are in lmtp_data.h.  A byte-at-a-time state
 * machine, except that the bytes inside a line are copied in runs.
 */
#include "lmtp_data.h"

#include "smtpgw.h"

#include <stdint.h>

enum {
	LD_LINE_START,  /* after CRLF: '.' is stuffing or the end */
	LD_DOT,         /* CRLF '.' */
	LD_DOT_CR,      /* CRLF '.' CR: LF ends the data */
	LD_LF_START,    /* after a bare LF */
	LD_LF_DOT,      /* bare LF '.' */
	LD_TEXT,        /* inside a line */
	LD_CR,          /* inside a line, after a CR that may end it */
};

void lmtp_data_init(struct lmtp_data *d)
{
	d->state = LD_LINE_START;
	d->lf_mark = SIZE_MAX;
	d->failed = false;
}

/* Appends to the message; after a failure (logged once) only the end of
 * data is still looked for. */
static void emit(struct lmtp_data *d, struct message_buf *b, const char *p, size_t n)
{
	if (!d->failed && msgbuf_add_bytes(b, p, n) < 0)
		d->failed = true;
}

/* The end of data: drops the last CRLF when it followed a bare LF. */
static void finish(struct lmtp_data *d, struct message_buf *b)
{
	if (!b->too_big && d->lf_mark != SIZE_MAX && b->len == d->lf_mark + 2)
		b->len -= 2;
	lmtp_data_init(d);
}

/* Copies the run of plain bytes at IN; returns its length. */
static size_t text_run(struct lmtp_data *d, struct message_buf *b, const char *in,
                       size_t len)
{
	size_t n = 0;
	while (n < len && in[n] != '\r' && in[n] != '\n')
		n++;
	emit(d, b, in, n);
	return n;
}

/* Handles byte C in LD_TEXT or LD_CR.  Returns true when C was taken. */
static bool line_byte(struct lmtp_data *d, struct message_buf *b, char c)
{
	if (d->state == LD_CR) {
		if (c == '\n') {
			emit(d, b, "\r\n", 2);
			d->state = LD_LINE_START;
			return true;
		}
		emit(d, b, "\r", 1);        /* a bare CR is text */
		d->state = LD_TEXT;
		if (c != '\r')
			return false;
		d->state = LD_CR;
		return true;
	}
	if (c == '\r') {
		d->state = LD_CR;
		return true;
	}
	if (c == '\n') {
		emit(d, b, "\r\n", 2);
		d->lf_mark = b->len;
		d->state = LD_LF_START;
		return true;
	}
	return false;
}

size_t lmtp_data_feed(struct lmtp_data *d, struct message_buf *b, const char *in,
                      size_t len, bool *done)
{
	size_t i = 0;

	*done = false;
	while (i < len) {
		char c = in[i];
		switch (d->state) {
		case LD_LINE_START:
			d->state = c == '.' ? LD_DOT : LD_TEXT;
			i += c == '.';
			continue;
		case LD_DOT:
			/* the dot was stuffing unless CR LF follows */
			d->state = c == '\r' ? LD_DOT_CR : LD_TEXT;
			i += c == '\r';
			continue;
		case LD_DOT_CR:
			if (c == '\n') {
				finish(d, b);
				*done = true;
				return i + 1;
			}
			d->state = LD_CR;   /* ".\rX": the dot was stuffing */
			continue;
		case LD_LF_START:
			d->state = c == '.' ? LD_LF_DOT : LD_TEXT;
			i += c == '.';
			continue;
		case LD_LF_DOT:
			emit(d, b, ".", 1); /* ".." is one stuffed dot; "." stays */
			d->state = LD_TEXT;
			i += c == '.';
			continue;
		default:
			if (line_byte(d, b, c))
				i++;
			else if (d->state == LD_TEXT)
				i += text_run(d, b, in + i, len - i);
		}
	}
	return i;
}
