/*
 * client_conn.c - unit tests of libcommon/client_conn.c (the client
 * connection and pump pop3srv and imap4srv share) over socketpairs: the
 * client list, lines through the pump to the protocol's step and answers
 * back, input held while the protocol says so, closing after the output
 * went out, and the peer's EOF; a TCP client's socket sends without
 * Nagle's delay.  Also program.c's log level choice.
 */
#include "client_conn.h"
#include "program.h"
#include "tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct echo {
	struct client_conn conn;
	int lines;
	bool held;
	bool freed;
	bool greeted;
};

/* Answers each line with "+OK <line>"; "QUIT" closes. */
static int step(void *arg)
{
	struct echo *e = arg;
	char *line;
	size_t len;
	if (e->held)
		return 0;     /* as a protocol holding an answer back does */
	switch (ios_read_line(e->conn.ios, &line, &len)) {
	case IOS_OK:
		e->lines++;
		ios_puts(e->conn.ios, "+OK ");
		ios_write(e->conn.ios, line, len);
		ios_puts(e->conn.ios, "\r\n");
		if (len == 4 && memcmp(line, "QUIT", 4) == 0)
			e->conn.closing = true;
		return 1;
	case IOS_EOF:
		e->conn.eof = true;
		e->conn.closing = true;
		return 0;
	default:
		return 0;
	}
}

static bool input_held(const void *arg)
{
	return ((const struct echo *)arg)->held;
}

static int greet(void *arg)
{
	((struct echo *)arg)->greeted = true;
	return 0;
}

static void nothing(void *arg)
{
	(void)arg;
}

static void free_echo(void *arg)
{
	struct echo *e = arg;
	client_conn_close(&e->conn);
	e->freed = true;
}

static const struct client_conn_ops ops = {
	.step = step, .input_held = input_held, .greet = greet,
	.idle = nothing, .goodbye = nothing, .free = free_echo, .name = "test",
};

/* Reads what the server side wrote to PEER (nonblocking when it has
 * nothing) into BUF. */
static void take(int peer, char *buf, size_t size)
{
	ssize_t n = recv(peer, buf, size - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
}

static void open_pair(struct evloop *loop, struct client_list *list, struct echo *e,
                      int *peer)
{
	int sv[2];
	memset(e, 0, sizeof *e);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || fd_set_nonblock(sv[0]) < 0)
		abort();
	ok(client_conn_open(&e->conn, list, loop, sv[0], 100, 1 << 16, 60000, NULL, "t",
	                    &ops, e) == 0, "client_conn_open");
	*peer = sv[1];
}

static void test_list_and_pump(void)
{
	struct evloop *loop = evloop_new();
	struct client_list list = { 0 };
	struct echo a, b;
	int pa, pb;
	char buf[256];

	open_pair(loop, &list, &a, &pa);
	open_pair(loop, &list, &b, &pb);
	is_int(list.n, 2, "two clients on the list");
	ok(list.head == &b.conn && b.conn.next == &a.conn, "newest first");

	send(pa, "HELLO\r\nWORLD\r\n", 14, 0);
	ios_fill(a.conn.ios);
	ok(client_conn_pump(&a.conn), "pump: the client lives on");
	is_int(a.lines, 2, "both lines reached the protocol");
	take(pa, buf, sizeof buf);
	is_str(buf, "+OK HELLO\r\n+OK WORLD\r\n", "and both answers went out");

	a.held = true;
	send(pa, "LATER\r\n", 7, 0);
	ios_fill(a.conn.ios);
	ok(client_conn_pump(&a.conn), "pump while input is held");
	is_int(a.lines, 2, "the line waits");
	is_int(evloop_io_events(a.conn.io) & EV_READ, 0, "and the socket is not read");
	/* cppcheck-suppress redundantAssignment ; the pump read it */
	a.held = false;
	ok(client_conn_pump(&a.conn), "pump once it is not held");
	is_int(a.lines, 3, "the held line runs then");
	ok(evloop_io_events(a.conn.io) & EV_READ, "and the socket is read again");

	send(pa, "QUIT\r\n", 6, 0);
	ios_fill(a.conn.ios);
	ok(!client_conn_pump(&a.conn), "QUIT: the pump freed the client");
	ok(a.freed, "through the protocol's free");
	take(pa, buf, sizeof buf);
	is_str(buf, "+OK LATER\r\n+OK QUIT\r\n", "after its last answers went out");
	is_int(list.n, 1, "one client left");
	ok(list.head == &b.conn && b.conn.prev == NULL && b.conn.next == NULL,
	   "the list holds the other alone");

	close(pb);
	ios_fill(b.conn.ios);
	ok(!client_conn_pump(&b.conn), "the peer's EOF frees the client");
	is_int(list.n, 0, "the list is empty");
	ok(!client_conn_tls(&b.conn) && client_conn_plaintext_ok(&b.conn, 0) &&
	   !client_conn_plaintext_ok(&b.conn, 128), "no TLS: plaintext only without a minimum");
	close(pa);
	evloop_free(loop);
}

static void test_levels(void)
{
	struct ems_config *cfg = config_load(NULL);
	if (cfg == NULL) {
		ok(0, "default configuration");
		return;
	}
	unsetenv("EMS_LOGLEVEL");
	enum log_level conf = program_config_level(cfg);
	is_int(program_wanted_level(cfg), conf, "without EMS_LOGLEVEL: ems.conf's level");
	setenv("EMS_LOGLEVEL", "debug", 1);
	is_int(program_wanted_level(cfg), LOG_LVL_DEBUG, "EMS_LOGLEVEL wins");
	setenv("EMS_LOGLEVEL", "default", 1);
	is_int(program_wanted_level(cfg), conf, "\"default\" defers to ems.conf");
	setenv("EMS_LOGLEVEL", "nonsense", 1);
	is_int(program_wanted_level(cfg), conf, "so does a level that is none");
	unsetenv("EMS_LOGLEVEL");
	config_free(cfg);
}

/* A TCP client on loopback: its answers must not wait for the ACK of the
 * last segment (a TLS answer is written a record at a time). */
static void test_tcp_nodelay(void)
{
	struct evloop *loop = evloop_new();
	struct client_list list = { 0 };
	struct sockaddr_in sin = { .sin_family = AF_INET,
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sin;
	struct echo e;
	memset(&e, 0, sizeof e);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || cfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
	    listen(lfd, 1) < 0 || getsockname(lfd, (struct sockaddr *)&sin, &sl) < 0 ||
	    connect(cfd, (struct sockaddr *)&sin, sizeof sin) < 0)
		abort();
	int fd = accept(lfd, NULL, NULL), on = 0;
	socklen_t ol = sizeof on;
	if (fd < 0 || fd_set_nonblock(fd) < 0)
		abort();
	ok(client_conn_open(&e.conn, &list, loop, fd, 100, 1 << 16, 60000, NULL, "t",
	                    &ops, &e) == 0, "client_conn_open on a TCP socket");
	ok(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &ol) == 0 && on,
	   "it sends without Nagle's delay (TCP_NODELAY)");
	client_conn_close(&e.conn);
	close(cfd);
	close(lfd);
	evloop_free(loop);
}

int main(void)
{
	test_list_and_pump();
	test_tcp_nodelay();
	test_levels();
	done_testing();
	return exit_status();
}
