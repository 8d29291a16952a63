/*
 * smtpgw_message.c - a message as smtpgw receives it (from the mailer's
 * stdin or an LMTP DATA): grown in one buffer up to the size limit, or
 * past SPOOL_CHUNK bytes written on to a spool file (libcommon/spool.h),
 * turned into the canonical CRLF form the store keeps, checked for being
 * a message at all, and given smtpgw's Received field.
 */
#include "smtpgw.h"

#include "header.h"
#include "log.h"
#include "spool.h"

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
/* Bytes kept in memory when spooling: lmtp_data.c may take back the
 * last CRLF at the end of data. */
#define MSGBUF_KEEP 2

void msgbuf_init(struct message_buf *b, size_t limit)
{
	memset(b, 0, sizeof *b);
	b->limit = limit;
}

void msgbuf_spool(struct message_buf *b, const char *dir, bool drop_from)
{
	b->spool_dir = dir;
	b->drop_from = drop_from;
}

void msgbuf_free(struct message_buf *b)
{
	const char *dir = b->spool_dir;
	bool drop_from = b->drop_from;
	free(b->data);
	spool_free(b->spool);
	msgbuf_init(b, b->limit);
	msgbuf_spool(b, dir, drop_from);
}

/* Where message offset OFF is in memory. */
static char *at(const struct message_buf *b, size_t off)
{
	return b->data + (off - b->flushed);
}

static int reserve(struct message_buf *b, size_t more)
{
	size_t held = b->len - b->flushed;
	if (held + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : MSGBUF_INITIAL;
	while (cap < held + more)
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

/* Over the limit: what was spooled will never be stored. */
static void drop_spool(struct message_buf *b)
{
	spool_free(b->spool);
	b->spool = NULL;
	b->spool_dir = NULL;
}

int msgbuf_add_trace(struct message_buf *b, const char *text)
{
	size_t n = strlen(text);
	if (reserve(b, n) < 0)
		return -1;
	memcpy(at(b, b->len), text, n);
	b->len += n;
	b->start = b->len;
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

/* msgbuf_check() over the text from P to END; the header ends where
 * header.c says, for every program alike. */
static int check_header(const char *p, const char *end, const char **why)
{
	struct header_reader r;
	struct header_field f;

	if (p == end) {
		*why = "the message is empty";
		return -1;
	}
	header_reader_init(&r, p, (size_t)(end - p));
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

/* The first write to the spool: what needs the message's start is done
 * now (the "From " line, the header check over the complete lines
 * there are).  Returns 0, or 0 with B left in memory when no spool file
 * can be made. */
static int start_spool(struct message_buf *b)
{
	if (b->drop_from)
		msgbuf_drop_from_line(b);
	const char *p = b->data + b->start, *end = b->data + b->len;
	const char *last = end > p ? memrchr(p, '\n', (size_t)(end - p)) : NULL;
	const char *why = NULL;
	b->bad_header = check_header(p, last ? last + 1 : end, &why) < 0 ? why : NULL;
	b->spool = spool_new(b->spool_dir);
	if (b->spool == NULL) {
		log_warn("message_buffer", "spool=no size=%zu reason=\"kept in memory\"", b->len);
		b->spool_dir = NULL;
	}
	return 0;
}

/* Past SPOOL_CHUNK bytes in memory, moves all but the last few to the
 * spool.  Returns 0, or -1 when the spool failed (logged). */
static int maybe_flush(struct message_buf *b)
{
	if (b->spool_failed)
		return -1;
	if (b->spool_dir == NULL || b->too_big || b->len - b->flushed < SPOOL_CHUNK)
		return 0;
	if (b->spool == NULL && (start_spool(b) < 0 || b->spool == NULL))
		return 0;
	size_t n = b->len - b->flushed - MSGBUF_KEEP;
	if (spool_write(b->spool, b->data, n) < 0) {
		b->spool_failed = true;
		return -1;
	}
	memmove(b->data, b->data + n, MSGBUF_KEEP);
	b->flushed += n;
	return 0;
}

int msgbuf_finish(struct message_buf *b)
{
	if (b->spool_failed)
		return -1;
	if (b->spool == NULL)
		return 0;
	if (spool_write(b->spool, b->data, b->len - b->flushed) < 0) {
		b->spool_failed = true;
		return -1;
	}
	b->flushed = b->len;
	return 0;
}

/* Appends one byte unless past the limit. */
static void put(struct message_buf *b, char c)
{
	if (b->len - b->start >= b->limit) {
		b->too_big = true;
		return;
	}
	*at(b, b->len) = c;
	b->len++;
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
	if (b->too_big)
		drop_spool(b);
	return maybe_flush(b);
}

int msgbuf_add_bytes(struct message_buf *b, const char *data, size_t len)
{
	if (b->too_big)
		return 0;
	if (b->len - b->start + len > b->limit) {
		b->too_big = true;
		drop_spool(b);
		return 0;
	}
	if (reserve(b, len) < 0)
		return -1;
	memcpy(at(b, b->len), data, len);
	b->len += len;
	return maybe_flush(b);
}

void msgbuf_drop_from_line(struct message_buf *b)
{
	if (b->flushed > 0)
		return;   /* done before the first write to the spool */
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
	if (b->flushed > 0 || b->spool != NULL) {
		*why = b->bad_header;
		return b->bad_header != NULL ? -1 : 0;
	}
	return check_header(b->data + b->start, b->data + b->len, why);
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
