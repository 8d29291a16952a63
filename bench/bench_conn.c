/*
 * bench_conn.c - a load generator's client connection: a non-blocking
 * socket driven in straight-line code with poll(), an iostream over it,
 * and an OpenSSL client transport for TLS.
 */
#include "bench_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "iobuf.h"

/* Output above this is written before more is queued. */
#define BCONN_OUT_HIGH (256 * 1024)

struct bconn {
	int fd;
	int timeout_ms;
	SSL *ssl;
	int ssl_want;          /* SSL_ERROR_WANT_* of the last TLS call */
	struct iostream *ios;
	const char *error;
};

static SSL_CTX *client_ctx;

int bconn_tls_init(void)
{
	client_ctx = SSL_CTX_new(TLS_client_method());
	if (client_ctx == NULL) {
		fprintf(stderr, "emsbench: cannot create a TLS client context\n");
		return -1;
	}
	SSL_CTX_set_verify(client_ctx, SSL_VERIFY_NONE, NULL);
	return 0;
}

/* Maps an SSL result to the read(2) convention the iostream expects. */
static ssize_t tls_result(struct bconn *c, int n)
{
	if (n > 0)
		return n;
	c->ssl_want = SSL_get_error(c->ssl, n);
	if (c->ssl_want == SSL_ERROR_WANT_READ || c->ssl_want == SSL_ERROR_WANT_WRITE) {
		errno = EAGAIN;
		return -1;
	}
	if (c->ssl_want == SSL_ERROR_ZERO_RETURN)
		return 0;
	ERR_clear_error();
	errno = ECONNRESET;
	return -1;
}

static ssize_t tls_tr_read(void *ctx, void *buf, size_t len)
{
	struct bconn *c = ctx;
	return tls_result(c, SSL_read(c->ssl, buf, (int)(len > 1 << 30 ? 1 << 30 : len)));
}

static ssize_t tls_tr_write(void *ctx, const void *buf, size_t len)
{
	struct bconn *c = ctx;
	return tls_result(c, SSL_write(c->ssl, buf, (int)(len > 1 << 30 ? 1 << 30 : len)));
}

static bool tls_tr_wants_write(const void *ctx)
{
	return ((const struct bconn *)ctx)->ssl_want == SSL_ERROR_WANT_WRITE;
}

static size_t tls_tr_pending(const void *ctx)
{
	return (size_t)SSL_pending(((const struct bconn *)ctx)->ssl);
}

static const struct io_transport_ops tls_ops = {
	tls_tr_read, tls_tr_write, tls_tr_wants_write, tls_tr_pending,
};

/* Waits until FD is ready for EVENTS; 0, or -1 with C->error set. */
static int wait_fd(struct bconn *c, short events)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	int n;
	do
		n = poll(&p, 1, c->timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		c->error = "timeout";
		return -1;
	}
	if (n < 0) {
		c->error = "poll failed";
		return -1;
	}
	return 0;
}

static int connect_socket(const struct bench_target *t, const char **why)
{
	int fd;
	if (t->host[0] == '/') {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		if (strlen(t->host) >= sizeof sun.sun_path) {
			*why = "socket path too long";
			return -1;
		}
		strcpy(sun.sun_path, t->host);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
			return fd;
	} else {
		struct sockaddr_in sin = { .sin_family = AF_INET,
		                           .sin_port = htons((uint16_t)t->port) };
		if (inet_pton(AF_INET, t->host, &sin.sin_addr) != 1) {
			*why = "not an IPv4 address";
			return -1;
		}
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0) {
			int one = 1;
			/* Request/response protocols: no Nagle delay on the client side. */
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			return fd;
		}
	}
	*why = fd < 0 ? "socket failed" : "connect refused";
	if (fd >= 0)
		close(fd);
	return -1;
}

static int handshake(struct bconn *c)
{
	c->ssl = SSL_new(client_ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		c->error = "TLS setup failed";
		return -1;
	}
	SSL_set_connect_state(c->ssl);
	for (;;) {
		int n = SSL_do_handshake(c->ssl);
		if (n == 1)
			break;
		int e = SSL_get_error(c->ssl, n);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			ERR_clear_error();
			c->error = "TLS handshake failed";
			return -1;
		}
		if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT) < 0)
			return -1;
	}
	ios_set_transport(c->ios, &tls_ops, c);
	return 0;
}

struct bconn *bconn_open(const struct bench_target *t, int timeout_ms,
                         const char **why)
{
	int fd = connect_socket(t, why);
	if (fd < 0)
		return NULL;
	struct bconn *c = calloc(1, sizeof *c);
	if (c == NULL) {
		close(fd);
		*why = "out of memory";
		return NULL;
	}
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->ios = ios_new(fd, BCONN_MAX_LINE, BCONN_OUT_HIGH);
	if (c->ios == NULL || (t->tls && handshake(c) < 0)) {
		*why = c->ios == NULL ? "out of memory" : c->error;
		bconn_close(c);
		return NULL;
	}
	return c;
}

void bconn_close(struct bconn *c)
{
	if (c == NULL)
		return;
	ios_free(c->ios);
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	close(c->fd);
	free(c);
}

static int flush_all(struct bconn *c)
{
	for (;;) {
		int r = ios_flush(c->ios);
		if (r == 0)
			return 0;
		if (r < 0) {
			c->error = "write failed";
			return -1;
		}
		short ev = c->ssl != NULL && c->ssl_want == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		if (wait_fd(c, ev) < 0)
			return -1;
	}
}

int bconn_send(struct bconn *c, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		/* Queue in pieces so a 100 KB message never doubles in memory. */
		size_t n = len > BCONN_OUT_HIGH ? BCONN_OUT_HIGH : len;
		if (ios_write(c->ios, p, n) < 0) {
			c->error = "out of memory";
			return -1;
		}
		if (flush_all(c) < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int bconn_printf(struct bconn *c, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf) {
		c->error = "command too long";
		return -1;
	}
	return bconn_send(c, buf, (size_t)n);
}

/* Reads more input; 0, or -1 with C->error set. */
static int fill(struct bconn *c)
{
	for (;;) {
		ssize_t n = ios_fill(c->ios);
		if (n > 0)
			return 0;
		if (n == 0) {
			c->error = "closed";
			return -1;
		}
		if (errno != EAGAIN) {
			c->error = errno == ENOBUFS ? "line too long" : "read failed";
			return -1;
		}
		if (ios_transport_pending(c->ios))
			continue;
		if (wait_fd(c, ios_wants_write(c->ios) ? POLLOUT : POLLIN) < 0)
			return -1;
	}
}

char *bconn_line(struct bconn *c, size_t *len)
{
	for (;;) {
		char *line;
		size_t n;
		enum ios_status st = ios_read_line(c->ios, &line, &n);
		if (st == IOS_OK) {
			if (len != NULL)
				*len = n;
			return line;
		}
		if (st == IOS_EOF) {
			c->error = "closed";
			return NULL;
		}
		if (st == IOS_TOO_LONG) {
			c->error = "line too long";
			return NULL;
		}
		if (fill(c) < 0)
			return NULL;
	}
}

int bconn_skip(struct bconn *c, size_t n)
{
	while (n > 0) {
		const char *data;
		size_t got;
		enum ios_status st = ios_read_bytes(c->ios, n, &data, &got);
		if (st == IOS_OK) {
			n -= got;
			continue;
		}
		if (st == IOS_EOF) {
			c->error = "closed";
			return -1;
		}
		if (fill(c) < 0)
			return -1;
	}
	return 0;
}

const char *bconn_error(const struct bconn *c)
{
	return c->error != NULL ? c->error : "no error";
}

int bconn_fd(const struct bconn *c)
{
	return c->fd;
}

bool bconn_has_input(const struct bconn *c)
{
	return ios_in_buffered(c->ios) > 0 || ios_transport_pending(c->ios);
}
