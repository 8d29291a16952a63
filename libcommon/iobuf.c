/*
 * iobuf.c - bounded line/literal input and back-pressured output over a
 * plain or TLS transport; see iobuf.h.  Every protocol session of pop3srv,
 * imap4srv and smtpgw owns one of these per connection.
 */
#include "iobuf.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ios_printf() formats into the stack first; longer output is rare. */
#define IOS_PRINTF_STACK 512

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

/* send() so a vanished peer gives EPIPE, not SIGPIPE; write() for the
 * pipes of smtpgw's mailer mode. */
static ssize_t plain_write(void *ctx, const void *buf, size_t len)
{
	ssize_t n = send(*(int *)ctx, buf, len, MSG_NOSIGNAL);
	if (n < 0 && errno == ENOTSOCK)
		n = write(*(int *)ctx, buf, len);
	return n;
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

size_t ios_in_capacity(const struct iostream *s)
{
	return s->in_cap;
}

/* Frees the input buffer when it is empty: idle connections cost nothing.
 * Called where no line or bytes handed out earlier can still be in use. */
static void release_input(struct iostream *s)
{
	if (s->in_start == s->in_end) {
		free(s->in);
		s->in = NULL;
		s->in_start = s->in_end = s->in_cap = 0;
	}
}

/* Makes room to read into; returns the free bytes, or 0 with errno
 * ENOBUFS (the buffer is at the limit) or ENOMEM (logged). */
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
			log_error("iobuf", "error=\"out of memory\" want=%zu", cap);
			errno = ENOMEM;
			return 0;
		}
		s->in = p;
		s->in_cap = cap;
	}
	if (s->in_end == s->in_cap)
		errno = ENOBUFS;
	return s->in_cap - s->in_end;
}

/* In discard mode, drops input up to and including the next newline. */
static void discard_input(struct iostream *s)
{
	if (s->in_start == s->in_end)
		return;
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
		if (room == 0)
			return total > 0 ? total : -1;
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

/* True when the bytes without a newline can no longer become a line
 * within the limit (a trailing CR may still be followed by its LF). */
static bool line_overflows(const struct iostream *s, size_t avail)
{
	if (avail <= s->max_line)
		return false;
	return avail > s->max_line + 1 || s->in[s->in_end - 1] != '\r';
}

enum ios_status ios_read_line(struct iostream *s, char **line, size_t *len)
{
	release_input(s);
	if (s->discarding)
		discard_input(s);
	size_t avail = s->in_end - s->in_start;
	char *start = avail ? s->in + s->in_start : NULL;
	char *nl = avail ? memchr(start, '\n', avail) : NULL;
	if (nl == NULL) {
		if (line_overflows(s, avail) && !s->discarding) {
			s->discarding = true;
			discard_input(s);
			return IOS_TOO_LONG;
		}
		if (!s->eof)
			return IOS_NEED_MORE;
		s->in_start = s->in_end;   /* an unterminated last line */
		return IOS_EOF;
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
	release_input(s);
	size_t avail = s->in_end - s->in_start;
	if (avail == 0 || want == 0)
		return s->eof && want > 0 ? IOS_EOF : IOS_NEED_MORE;
	size_t n = avail < want ? avail : want;
	*data = s->in + s->in_start;
	*len = n;
	s->in_start += n;
	return IOS_OK;
}

void ios_unread(struct iostream *s, size_t n)
{
	s->in_start -= n;
}

int ios_write(struct iostream *s, const void *data, size_t len)
{
	if (len == 0)
		return 0;
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
	char small[IOS_PRINTF_STACK];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		log_error("iobuf", "error=\"unprintable output\" format=%s",
		          log_quote(fmt));
		return -1;
	}
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
