/* Unit tests for libcommon/iobuf.c: line reassembly, CRLF/LF, over-long
 * lines bounded and skipped, literals in chunks, EOF, partial writes and
 * back-pressure, transports that need the other direction. */
#include "iobuf.h"
#include "log.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LINE     16
#define BUF_LIMIT    (MAX_LINE + 2)
#define LITERAL_SIZE 10000

static void send_str(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		abort();
}

static struct iostream *socket_stream(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	return ios_new(sv[0], MAX_LINE, 64);
}

static void test_lines(void)
{
	int sv[2];
	char *line;
	size_t len;
	struct iostream *s = socket_stream(sv);

	errno = 0;
	ok(ios_fill(s) == -1 && errno == EAGAIN, "fill with nothing sent: EAGAIN");
	is_int((long long)ios_in_capacity(s), 0, "an idle stream holds no buffer");
	send_str(sv[1], "A001 LOG");
	ios_fill(s);
	is_int(ios_read_line(s, &line, &len), IOS_NEED_MORE, "half a line is not a line");
	send_str(sv[1], "IN x y\r");
	ios_fill(s);
	is_int(ios_read_line(s, &line, &len), IOS_NEED_MORE, "nor is one up to its CR");
	send_str(sv[1], "\nB\n");
	ios_fill(s);
	is_int(ios_read_line(s, &line, &len), IOS_OK, "line split across three reads");
	is_mem(line, len, "A001 LOGIN x y", 14, "reassembled, CRLF stripped");
	is_int(ios_read_line(s, &line, &len), IOS_OK, "bare LF line");
	is_str(line, "B", "LF stripped, NUL-terminated");
	is_int(ios_read_line(s, &line, &len), IOS_NEED_MORE, "nothing more");
	is_int((long long)ios_in_capacity(s), 0, "buffer released once empty");

	/* Exactly MAX_LINE bytes, CR and LF in separate reads. */
	send_str(sv[1], "0123456789abcdef\r");
	ios_fill(s);
	is_int(ios_read_line(s, &line, &len), IOS_NEED_MORE,
	       "a line of the maximum length waiting for its LF is not too long");
	send_str(sv[1], "\n");
	ios_fill(s);
	ok(ios_read_line(s, &line, &len) == IOS_OK && len == MAX_LINE,
	   "and is returned whole");
	ios_free(s);
	close(sv[0]);
	close(sv[1]);
}

static void test_too_long(void)
{
	int sv[2];
	char *line;
	size_t len;
	struct iostream *s = socket_stream(sv);
	size_t max_cap = 0;
	int too_long = 0, other = 0;

	/* 1000 bytes without newline in 10 pieces against a 16-byte limit. */
	for (int piece = 0; piece < 10; piece++) {
		char chunk[101];
		memset(chunk, 'x', 100);
		chunk[100] = '\0';
		send_str(sv[1], chunk);
		ios_fill(s);
		if (ios_in_capacity(s) > max_cap)
			max_cap = ios_in_capacity(s);
		enum ios_status st;
		while ((st = ios_read_line(s, &line, &len)) != IOS_NEED_MORE)
			st == IOS_TOO_LONG ? too_long++ : other++;
	}
	is_int(too_long, 1, "over-long line reported once");
	is_int(other, 0, "no piece of it returned as a line");
	ok(max_cap <= BUF_LIMIT, "input buffer stayed within the line limit "
	   "(%zu bytes)", max_cap);
	send_str(sv[1], "yyyy\r\nNEXT\r\n");
	ios_fill(s);
	is_int(ios_read_line(s, &line, &len), IOS_OK, "line after the long one");
	is_str(line, "NEXT", "rest of the long line was discarded");

	/* A complete line one byte too long, arriving in one read. */
	send_str(sv[1], "0123456789abcdefg\nOK\n");
	ios_fill(s);
	is_int(ios_read_line(s, &line, &len), IOS_TOO_LONG,
	       "complete over-long line refused");
	ios_fill(s);
	ok(ios_read_line(s, &line, &len) == IOS_OK && strcmp(line, "OK") == 0,
	   "the next line is read fine");
	ios_free(s);
	close(sv[0]);
	close(sv[1]);
}

static void test_literal_and_eof(void)
{
	int sv[2];
	char *line;
	size_t len;
	const char *data;
	static char lit[LITERAL_SIZE], got[LITERAL_SIZE];
	struct iostream *s = socket_stream(sv);

	for (int i = 0; i < LITERAL_SIZE; i++)
		lit[i] = (char)('a' + i % 26);
	if (write(sv[1], lit, LITERAL_SIZE) != LITERAL_SIZE)
		abort();
	send_str(sv[1], ")\r\nlast");
	size_t have = 0, max_cap = 0;
	int chunks = 0;
	for (int i = 0; i < 2 * LITERAL_SIZE && have < LITERAL_SIZE; i++) {
		ios_fill(s);
		if (ios_in_capacity(s) > max_cap)
			max_cap = ios_in_capacity(s);
		while (have < LITERAL_SIZE &&
		       ios_read_bytes(s, LITERAL_SIZE - have, &data, &len) == IOS_OK) {
			memcpy(got + have, data, len);
			have += len;
			chunks++;
		}
	}
	is_mem(got, have, lit, LITERAL_SIZE, "%d-byte literal read intact",
	       LITERAL_SIZE);
	ok(chunks > 1 && max_cap <= BUF_LIMIT, "in %d chunks through a buffer "
	   "of at most %zu bytes", chunks, max_cap);
	ios_fill(s);
	ok(ios_read_line(s, &line, &len) == IOS_OK && strcmp(line, ")") == 0,
	   "the line after the literal");

	close(sv[1]);
	ios_fill(s);
	is_int(ios_read_line(s, &line, &len), IOS_EOF,
	       "EOF after the peer closed; unterminated last line dropped");
	is_int(ios_fill(s), 0, "fill keeps reporting end of stream");
	is_int(ios_read_bytes(s, 5, &data, &len), IOS_EOF, "read_bytes: EOF too");
	ios_free(s);
	close(sv[0]);
}

/* A protocol that finds the end of a message inside a chunk gives back
 * what follows (LMTP DATA, then pipelined commands). */
static void test_unread(void)
{
	int sv[2];
	const char *data;
	char *line;
	size_t len;
	struct iostream *s = socket_stream(sv);

	send_str(sv[1], "body\r\n.\r\nRSET\r\n");
	ios_fill(s);
	ok(ios_read_bytes(s, 100, &data, &len) == IOS_OK && len == 15, "a chunk of 15 bytes");
	ios_unread(s, 6);
	is_int((long long)ios_in_buffered(s), 6, "6 given back are buffered again");
	ok(ios_read_line(s, &line, &len) == IOS_OK && strcmp(line, "RSET") == 0,
	   "and read as the next line");
	ios_free(s);
	close(sv[0]);
	close(sv[1]);
}

/* A transport that accepts at most 3 bytes per write, then says "wait"
 * every other call, collecting what it got. */
struct trickle { char got[4096]; size_t len; int calls; bool want_write; };

static ssize_t trickle_write(void *ctx, const void *buf, size_t len)
{
	struct trickle *t = ctx;
	if (t->calls++ % 2 == 1) {
		errno = EAGAIN;
		return -1;
	}
	size_t n = len < 3 ? len : 3;
	if (t->len + n > sizeof t->got)
		abort();
	memcpy(t->got + t->len, buf, n);
	t->len += n;
	return (ssize_t)n;
}

static ssize_t trickle_read(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	errno = EAGAIN;
	return -1;
}

static bool trickle_wants_write(const void *ctx)
{
	return ((const struct trickle *)ctx)->want_write;
}

static size_t trickle_pending(const void *ctx)
{
	return ((const struct trickle *)ctx)->want_write ? 7 : 0;
}

static const struct io_transport_ops trickle_ops = {
	trickle_read, trickle_write, trickle_wants_write, trickle_pending
};

static void drain(struct iostream *s)
{
	for (int rounds = 0; ios_flush(s) == 1 && rounds < 10000; rounds++)
		;
}

static void test_output(void)
{
	struct trickle tr = { .len = 0 };
	struct iostream *s = ios_new(-1, 100, 8);
	ios_set_transport(s, &trickle_ops, &tr);

	ios_printf(s, "* %d EXISTS\r\n", 12);
	ok(ios_out_full(s), "above the high-water mark: out_full");
	is_int(ios_flush(s), 1, "partial write then EAGAIN: output pending");
	ok(ios_wants_write(s) && ios_out_pending(s) > 0 && ios_out_pending(s) < 13,
	   "part went out, the stream wants the socket writable");
	drain(s);
	is_int((long long)ios_out_pending(s), 0, "later flushes finish");
	is_mem(tr.got, tr.len, "* 12 EXISTS\r\n", 13, "bytes arrive intact, in order");
	ok(!ios_out_full(s) && !ios_wants_write(s), "drained: neither full nor "
	   "waiting");

	char big[2000];
	memset(big, 'L', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	tr.len = 0;
	ios_printf(s, "<%s>", big);
	drain(s);
	ok(tr.len == sizeof big + 1 && tr.got[0] == '<' && tr.got[tr.len - 1] == '>'
	   && memchr(tr.got + 1, 'L', tr.len - 2) != NULL,
	   "printf longer than its stack buffer is whole");

	tr.want_write = true;
	ok(ios_wants_write(s) && ios_transport_pending(s), "a transport's own "
	   "needs (TLS WANT_WRITE, decrypted bytes) show through");
	ios_free(s);
}

static void test_plain_fd_output(void)
{
	int p[2], sv[2];
	char buf[16] = "";
	if (pipe(p) < 0)
		abort();
	struct iostream *s = ios_new(p[1], 100, 1000);
	ios_puts(s, "to a pipe");
	is_int(ios_flush(s), 0, "flush to a pipe (not a socket) completes");
	ok(read(p[0], buf, sizeof buf) == 9 && memcmp(buf, "to a pipe", 9) == 0,
	   "and the bytes are there");
	ios_free(s);
	close(p[0]);
	close(p[1]);

	s = socket_stream(sv);
	close(sv[1]);
	ios_puts(s, "nobody listens");
	errno = 0;
	is_int(ios_flush(s), -1, "flush to a closed peer fails");
	is_int(errno, EPIPE, "as EPIPE, without a SIGPIPE");
	ios_free(s);
	close(sv[0]);
}

int main(void)
{
	plan(40);
	test_lines();
	test_unread();
	test_too_long();
	test_literal_and_eof();
	test_output();
	test_plain_fd_output();
	return exit_status();
}
