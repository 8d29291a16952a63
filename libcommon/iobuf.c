/*
 * iobuf.c - bounded line/literal input and back-pressured output over a
 * plain or TLS transport; see iobuf.h.
 */
#include "iobuf.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IOS_CHUNK 4096   /* first allocation and read size */

struct iostream {
	int fd;
	const struct io_transport_ops *ops;
	void *ctx;
	size_t max_line, high_water;
	char *in;
	size_t in_start, in_end, in_cap;
	bool eof, discarding;
	char *out;
	size_t out_start, out_end, out_cap;
};

static ssize_t plain_read(void *ctx, void *buf, size_t len)
{
	return read(*(int *)ctx, buf, len);
}

static ssize_t plain_write(void *ctx, const void *buf, size_t len)
{
	return send(*(int *)ctx, buf, len, MSG_NOSIGNAL);
}

static const struct io_transport_ops plain_ops = { plain_read, plain_write,
                                                   NULL, NULL };

struct iostream *ios_new(int fd, size_t max_line, size_t out_high_water)
{
	struct iostream *s = calloc(1, sizeof *s);
	if (s == NULL) {
		log_error("iobuf", "error=\"out of memory\"");
		return NULL;
	}
	s->fd = fd;
	s->max_line = max_line;
	s->high_water = out_high_water;
	ios_set_transport(s, NULL, NULL);
	return s;
}

void ios_free(struct iostream *s)
{
	if (s == NULL)
		return;
	free(s->in);
	free(s->out);
	free(s);
}

int ios_fd(const struct iostream *s)
{
	return s->fd;
}

void ios_set_transport(struct iostream *s, const struct io_transport_ops *ops,
                       void *ctx)
{
	s->ops = ops ? ops : &plain_ops;
	s->ctx = ops ? ctx : &s->fd;
}

size_t ios_in_buffered(const struct iostream *s)
{
	return s->in_end - s->in_start;
}

/* Frees the input buffer when it is empty: idle connections cost nothing. */
static void release_input(struct iostream *s)
{
	if (s->in_start == s->in_end) {
		free(s->in);
		s->in = NULL;
		s->in_start = s->in_end = s->in_cap = 0;
	}
}

/* Makes room to read into; returns free bytes (0 when at the limit). */
static size_t input_room(struct iostream *s)
{
	size_t limit = s->max_line + 2;   /* a full line plus CRLF */
	if (s->in_start > 0 && s->in_start == s->in_end)
		s->in_start = s->in_end = 0;
	if (s->in_end == s->in_cap && s->in_start > 0) {
		memmove(s->in, s->in + s->in_start, s->in_end - s->in_start);
		s->in_end -= s->in_start;
		s->in_start = 0;
	}
	if (s->in_end == s->in_cap && s->in_cap < limit) {
		size_t cap = s->in_cap ? s->in_cap * 2 : IOS_CHUNK;
		if (cap > limit)
			cap = limit;
		char *p = realloc(s->in, cap);
		if (p == NULL) {
			log_error("iobuf", "error=\"out of memory\"");
			return 0;
		}
		s->in = p;
		s->in_cap = cap;
	}
	return s->in_cap - s->in_end;
}

/* In discard mode, drops input up to and including the next newline. */
static void discard_input(struct iostream *s)
{
	char *nl = memchr(s->in + s->in_start, '\n', s->in_end - s->in_start);
	if (nl == NULL) {
		s->in_start = s->in_end;
		return;
	}
	s->in_start = (size_t)(nl - s->in) + 1;
	s->discarding = false;
}

ssize_t ios_fill(struct iostream *s)
{
	ssize_t total = 0;
	if (s->eof)
		return 0;
	for (;;) {
		if (s->discarding)
			discard_input(s);
		size_t room = input_room(s);
		if (room == 0) {
			if (total > 0)
				return total;
			errno = ENOBUFS;
			return -1;
		}
		ssize_t n = s->ops->read(s->ctx, s->in + s->in_end, room);
		if (n > 0) {
			s->in_end += (size_t)n;
			total += n;
			continue;
		}
		if (n == 0) {
			s->eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (total > 0)
				break;
			release_input(s);
			return -1;
		}
		return total > 0 ? total : -1;
	}
	if (s->discarding)
		discard_input(s);
	return total;
}

enum ios_status ios_read_line(struct iostream *s, char **line, size_t *len)
{
	if (s->discarding)
		discard_input(s);
	size_t avail = s->in_end - s->in_start;
	char *start = s->in + s->in_start;
	char *nl = avail ? memchr(start, '\n', avail) : NULL;
	if (nl == NULL) {
		if (avail > s->max_line && !s->discarding) {
			s->discarding = true;
			discard_input(s);
			return IOS_TOO_LONG;
		}
		if (s->eof && avail == 0)
			return IOS_EOF;
		return IOS_NEED_MORE;
	}
	size_t n = (size_t)(nl - start);
	s->in_start += n + 1;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	if (n > s->max_line)
		return IOS_TOO_LONG;
	start[n] = '\0';
	*line = start;
	*len = n;
	return IOS_OK;
}

enum ios_status ios_read_bytes(struct iostream *s, size_t want,
                               const char **data, size_t *len)
{
	size_t avail = s->in_end - s->in_start;
	if (avail == 0 || want == 0)
		return s->eof && want > 0 ? IOS_EOF : IOS_NEED_MORE;
	size_t n = avail < want ? avail : want;
	*data = s->in + s->in_start;
	*len = n;
	s->in_start += n;
	return IOS_OK;
}

int ios_write(struct iostream *s, const void *data, size_t len)
{
	if (s->out_end + len > s->out_cap && s->out_start > 0) {
		memmove(s->out, s->out + s->out_start, s->out_end - s->out_start);
		s->out_end -= s->out_start;
		s->out_start = 0;
	}
	if (s->out_end + len > s->out_cap) {
		size_t cap = s->out_cap ? s->out_cap : IOS_CHUNK;
		while (cap < s->out_end + len)
			cap *= 2;
		char *p = realloc(s->out, cap);
		if (p == NULL) {
			log_error("iobuf", "error=\"out of memory\" want=%zu", cap);
			return -1;
		}
		s->out = p;
		s->out_cap = cap;
	}
	memcpy(s->out + s->out_end, data, len);
	s->out_end += len;
	return 0;
}

int ios_puts(struct iostream *s, const char *text)
{
	return ios_write(s, text, strlen(text));
}

int ios_printf(struct iostream *s, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof small)
		return ios_write(s, small, (size_t)n);
	char *big = malloc((size_t)n + 1);
	if (big == NULL) {
		log_error("iobuf", "error=\"out of memory\"");
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	int r = ios_write(s, big, (size_t)n);
	free(big);
	return r;
}

int ios_flush(struct iostream *s)
{
	while (s->out_start < s->out_end) {
		ssize_t n = s->ops->write(s->ctx, s->out + s->out_start,
		                          s->out_end - s->out_start);
		if (n > 0) {
			s->out_start += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n == 0)
			errno = EPIPE;
		return -1;
	}
	free(s->out);
	s->out = NULL;
	s->out_start = s->out_end = s->out_cap = 0;
	return 0;
}

size_t ios_out_pending(const struct iostream *s)
{
	return s->out_end - s->out_start;
}

bool ios_out_full(const struct iostream *s)
{
	return ios_out_pending(s) > s->high_water;
}

bool ios_wants_write(const struct iostream *s)
{
	if (s->ops->wants_write != NULL && s->ops->wants_write(s->ctx))
		return true;
	return ios_out_pending(s) > 0;
}

bool ios_transport_pending(const struct iostream *s)
{
	return s->ops->pending != NULL && s->ops->pending(s->ctx) > 0;
}

int ios_dotstuff(struct iostream *s, struct dotstuff *st, const char *data,
                 size_t len)
{
	size_t from = 0;
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		if (st->line_start && c == '.') {
			if (ios_write(s, data + from, i - from) < 0 || ios_write(s, ".", 1) < 0)
				return -1;
			from = i;
		}
		if (c == '\n' && !st->after_cr) {
			if (ios_write(s, data + from, i - from) < 0 ||
			    ios_write(s, "\r", 1) < 0)
				return -1;
			from = i;
		}
		st->line_start = c == '\n';
		st->after_cr = c == '\r';
	}
	return ios_write(s, data + from, len - from);
}

int ios_dotstuff_end(struct iostream *s, struct dotstuff *st)
{
	if (!st->line_start && ios_write(s, st->after_cr ? "\n" : "\r\n",
	                                 st->after_cr ? 1 : 2) < 0)
		return -1;
	*st = DOTSTUFF_INIT;
	return ios_write(s, ".\r\n", 3);
}
