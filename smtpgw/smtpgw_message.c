/*
 * smtpgw_message.c - a message as smtpgw receives it (from the mailer's
 * stdin or an LMTP DATA): grown in one buffer up to the size limit,
 * turned into the canonical CRLF form the store keeps, checked for being
 * a message at all, and given smtpgw's Received field.
 */
#include "smtpgw.h"

#include "header.h"
#include "log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* First allocation; the buffer doubles from there. */
#define MSGBUF_INITIAL 16384
/* Longest header field name msgbuf_check() accepts (RFC 5322 sets none;
 * this only keeps binary junk from passing as a name). */
#define HEADER_NAME_MAX 128

void msgbuf_init(struct message_buf *b, size_t limit)
{
	memset(b, 0, sizeof *b);
	b->limit = limit;
}

void msgbuf_free(struct message_buf *b)
{
	free(b->data);
	msgbuf_init(b, b->limit);
}

static int reserve(struct message_buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : MSGBUF_INITIAL;
	while (cap < b->len + more)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (p == NULL) {
		log_error("message_buffer", "error=\"out of memory\" size=%zu", cap);
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int msgbuf_add_trace(struct message_buf *b, const char *text)
{
	size_t n = strlen(text);
	if (reserve(b, n) < 0)
		return -1;
	memcpy(b->data + b->len, text, n);
	b->len += n;
	b->start = b->len;
	return 0;
}

/* Appends one byte unless past the limit. */
static void put(struct message_buf *b, char c)
{
	if (b->len - b->start >= b->limit) {
		b->too_big = true;
		return;
	}
	b->data[b->len++] = c;
}

int msgbuf_add_raw(struct message_buf *b, const char *data, size_t len)
{
	/* Worst case every byte is a bare LF and doubles. */
	size_t room = b->limit - (b->len - b->start);
	if (reserve(b, (len < room ? len : room) * 2 + 2) < 0)
		return -1;
	for (size_t i = 0; i < len && !b->too_big; i++) {
		char c = data[i];
		if (c == '\n' && !b->after_cr)
			put(b, '\r');
		put(b, c);
		b->after_cr = c == '\r';
	}
	return 0;
}

int msgbuf_add_bytes(struct message_buf *b, const char *data, size_t len)
{
	if (b->too_big)
		return 0;
	if (b->len - b->start + len > b->limit) {
		b->too_big = true;
		return 0;
	}
	if (reserve(b, len) < 0)
		return -1;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

/* True when F, as libcommon's header reader split it, is a field
 * whose name is printable ASCII without blanks (RFC 5322 2.2). */
static bool good_field(const struct header_field *f)
{
	if (f->name == NULL || f->name_len > HEADER_NAME_MAX)
		return false;
	for (size_t i = 0; i < f->name_len; i++)
		if ((unsigned char)f->name[i] <= ' ' || (unsigned char)f->name[i] >= 0x7f)
			return false;
	return true;
}

void msgbuf_drop_from_line(struct message_buf *b)
{
	char *p = b->data + b->start, *end = b->data + b->len;
	if (end - p < 5 || memcmp(p, "From ", 5) != 0)
		return;
	char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t cut = nl ? (size_t)(nl + 1 - p) : (size_t)(end - p);
	memmove(p, p + cut, (size_t)(end - p) - cut);
	b->len -= cut;
}

int msgbuf_check(const struct message_buf *b, const char **why)
{
	struct header_reader r;
	struct header_field f;

	if (b->len == b->start) {
		*why = "the message is empty";
		return -1;
	}
	/* the header ends where header.c says, for every program alike */
	header_reader_init(&r, b->data + b->start, b->len - b->start);
	while (header_next(&r, &f) > 0) {
		if (!good_field(&f)) {
			*why = "the message does not start with a header (Name: value lines)";
			return -1;
		}
		if (memchr(f.raw, '\0', f.raw_len) != NULL) {
			*why = "the header holds a NUL byte";
			return -1;
		}
	}
	return 0;
}

int smtpgw_received(const struct smtpgw *g, const char *from_part,
                    const char *with_proto, const char *rcpt, char *out,
                    size_t outlen)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm);
	int n = snprintf(out, outlen,
	                 "Received: %s\r\n\tby %s (ems smtpgw) with %s%s%s%s;\r\n\t%s\r\n",
	                 from_part, g->node, with_proto, rcpt ? "\r\n\tfor <" : "",
	                 rcpt ? rcpt : "", rcpt ? ">" : "", date);
	return n < 0 || (size_t)n >= outlen ? -1 : n;
}
