/* Unit tests for libcommon/iobuf.c: line reassembly, CRLF/LF, over-long
 * lines bounded and skipped, literals in chunks, partial writes and
 * back-pressure, dot-stuffing. */
#include "iobuf.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A transport that accepts at most 3 bytes per write, then says "wait"
 * every other call, collecting what it got. */
struct trickle { char got[256]; size_t len; int calls; };

static ssize_t trickle_write(void *ctx, const void *buf, size_t len)
{
	struct trickle *t = ctx;
	if (t->calls++ % 2 == 1) {
		errno = EAGAIN;
		return -1;
	}
	size_t n = len < 3 ? len : 3;
	memcpy(t->got + t->len, buf, n);
	t->len += n;
	return (ssize_t)n;
}

static ssize_t no_read(void *ctx, void *buf, size_t len)
{
	(void)ctx; (void)buf; (void)len;
	errno = EAGAIN;
	return -1;
}

static const struct io_transport_ops trickle_ops = { no_read, trickle_write,
                                                     NULL, NULL };

static void send_str(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		abort();
}

int main(void)
{
	int sv[2];
	char *line;
	size_t len;
	const char *data;

	plan(22);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	struct iostream *s = ios_new(sv[0], 16, 64);

	errno = 0;
	ok(ios_fill(s) == -1 && errno == EAGAIN, "fill with nothing sent waits");
	send_str(sv[1], "A001 LOG");
	ios_fill(s);
	is_int(ios_read_line(s, &line, &len), IOS_NEED_MORE, "half a line is not a line");
	send_str(sv[1], "IN x y\r\nB\n");
	ios_fill(s);
	is_int(ios_read_line(s, &line, &len), IOS_OK, "line split across reads");
	is_str(line, "A001 LOGIN x y", "reassembled without CRLF");
	is_int(ios_read_line(s, &line, &len), IOS_OK, "bare LF line");
	is_str(line, "B", "bare LF stripped");

	/* 100 bytes with no newline against a 16-byte line limit. */
	char big[101];
	memset(big, 'x', 100);
	big[100] = '\0';
	send_str(sv[1], big);
	int too_long = 0;
	for (int i = 0; i < 10; i++) {
		ios_fill(s);
		enum ios_status st = ios_read_line(s, &line, &len);
		if (st == IOS_TOO_LONG)
			too_long++;
	}
	is_int(too_long, 1, "over-long line reported once");
	ok(ios_in_buffered(s) <= 18, "buffer stays bounded (%zu bytes)", ios_in_buffered(s));
	send_str(sv[1], "yyyy\r\nNEXT\r\n");
	ios_fill(s);
	is_int(ios_read_line(s, &line, &len), IOS_OK, "line after the long one");
	is_str(line, "NEXT", "rest of the long line was discarded");

	/* A 40-byte literal through a stream whose buffer is 18 bytes. */
	char lit[41], got[41];
	for (int i = 0; i < 40; i++)
		lit[i] = (char)('a' + i % 26);
	size_t have = 0;
	ssize_t w = write(sv[1], lit, 40);
	ok(w == 40, "literal sent");
	for (int i = 0; i < 20 && have < 40; i++) {
		ios_fill(s);
		while (have < 40 && ios_read_bytes(s, 40 - have, &data, &len) == IOS_OK) {
			memcpy(got + have, data, len);
			have += len;
		}
	}
	is_mem(got, have, lit, 40, "literal read in chunks, intact");

	close(sv[1]);
	ios_fill(s);
	is_int(ios_read_line(s, &line, &len), IOS_EOF, "EOF after the peer closed");
	ios_free(s);
	close(sv[0]);

	/* Output through a transport that takes 3 bytes at a time. */
	struct trickle tr = { .len = 0 };
	s = ios_new(-1, 100, 8);
	ios_set_transport(s, &trickle_ops, &tr);
	ios_printf(s, "* %d EXISTS\r\n", 12);
	ok(ios_out_full(s), "above high water: out_full");
	is_int(ios_flush(s), 1, "partial write leaves output pending");
	ok(ios_wants_write(s), "stream wants the socket writable");
	int rounds = 0;
	while (ios_flush(s) == 1 && rounds < 50)
		rounds++;
	is_int((long long)ios_out_pending(s), 0, "later flushes finish");
	is_mem(tr.got, tr.len, "* 12 EXISTS\r\n", 13, "bytes arrive intact");
	ok(!ios_out_full(s), "drained: not full");

	/* Dot-stuffing across chunk boundaries. */
	tr.len = 0;
	tr.calls = 0;
	struct dotstuff ds = DOTSTUFF_INIT;
	ios_dotstuff(s, &ds, ".top\nline\r", 10);
	ios_dotstuff(s, &ds, "\n.", 2);
	ios_dotstuff(s, &ds, "x", 1);
	ios_dotstuff_end(s, &ds);
	while (ios_flush(s) == 1)
		;
	is_mem(tr.got, tr.len, "..top\r\nline\r\n..x\r\n.\r\n", 21,
	       "leading dots doubled, LF made CRLF, terminator added");

	tr.len = 0;
	ds = DOTSTUFF_INIT;
	ios_dotstuff(s, &ds, "a\r\n", 3);
	ios_dotstuff_end(s, &ds);
	while (ios_flush(s) == 1)
		;
	is_mem(tr.got, tr.len, "a\r\n.\r\n", 6, "terminated body gets only the dot line");
	ok(ios_flush(s) == 0, "nothing pending at the end");
	ios_free(s);
	return exit_status();
}
