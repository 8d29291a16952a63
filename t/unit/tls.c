/* Unit tests for libcommon/tls.c: certificate loading, key mismatch,
 * a non-blocking handshake and data both ways over a socketpair. */
#include "tap.h"
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

static char cert[300], key[300], key2[300];

static int make_cert(const char *dir)
{
	char cmd[1200];
	snprintf(cert, sizeof cert, "%s/cert.pem", dir);
	snprintf(key, sizeof key, "%s/key.pem", dir);
	snprintf(key2, sizeof key2, "%s/other.pem", dir);
	snprintf(cmd, sizeof cmd,
	         "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=t "
	         "-keyout %s -out %s 2>/dev/null && "
	         "openssl genpkey -algorithm RSA -out %s 2>/dev/null",
	         key, cert, key2);
	return system(cmd);
}

/* Drives both handshakes on a non-blocking socketpair; 1 when both done. */
static int handshake(struct tls_conn *srv, SSL *cli)
{
	int srv_done = 0, cli_done = 0;
	for (int i = 0; i < 200 && !(srv_done && cli_done); i++) {
		if (!srv_done) {
			int r = tls_handshake(srv);
			if (r < 0)
				return 0;
			srv_done = r == 0;
		}
		if (!cli_done) {
			int r = SSL_do_handshake(cli);
			if (r == 1)
				cli_done = 1;
			else if (SSL_get_error(cli, r) != SSL_ERROR_WANT_READ &&
			         SSL_get_error(cli, r) != SSL_ERROR_WANT_WRITE)
				return 0;
		}
	}
	return srv_done && cli_done;
}

int main(void)
{
	int sv[2];
	char buf[64];

	plan(9);
	if (make_cert(tap_tmpdir()) != 0)
		skip_all("openssl command not available");

	struct tls_server_config cfg = { .certificate = cert, .key = key,
	                                 .session_id = "test" };
	struct tls_server_config bad = { .certificate = cert, .key = key2 };
	struct tls_server_config missing = { .certificate = "/nonexistent",
	                                     .key = key };
	ok(tls_server_new(&bad) == NULL, "a key that does not match is refused");
	ok(tls_server_new(&missing) == NULL, "a missing certificate is refused");
	struct tls_server *srv = tls_server_new(&cfg);
	ok(srv != NULL, "certificate and key load");

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	struct tls_conn *c = tls_conn_new(srv, sv[0]);
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_max_proto_version(cctx, TLS1_1_VERSION);
	SSL *old = SSL_new(cctx);
	SSL_set_fd(old, sv[1]);
	SSL_set_connect_state(old);
	ok(!handshake(c, old), "a TLS 1.1 client is refused");
	SSL_free(old);
	tls_conn_free(c);
	close(sv[0]);
	close(sv[1]);

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	c = tls_conn_new(srv, sv[0]);
	SSL_CTX_set_max_proto_version(cctx, 0);
	SSL *cli = SSL_new(cctx);
	SSL_set_fd(cli, sv[1]);
	SSL_set_connect_state(cli);
	ok(handshake(c, cli), "non-blocking handshake completes");
	ok(strncmp(tls_conn_version(c), "TLSv1.", 6) == 0 &&
	   tls_conn_bits(c) >= 128, "negotiated %s with %d bits",
	   tls_conn_version(c), tls_conn_bits(c));

	ssize_t n = tls_read(c, buf, sizeof buf);
	ok(n < 0 && errno == EAGAIN, "read with nothing sent waits (EAGAIN)");
	SSL_write(cli, "hello\r\n", 7);
	n = tls_read(c, buf, sizeof buf);
	is_mem(buf, n > 0 ? (size_t)n : 0, "hello\r\n", 7, "server reads client data");
	tls_write(c, "+OK\r\n", 5);
	n = SSL_read(cli, buf, sizeof buf);
	is_mem(buf, n > 0 ? (size_t)n : 0, "+OK\r\n", 5, "client reads server data");

	SSL_free(cli);
	SSL_CTX_free(cctx);
	tls_conn_free(c);
	tls_server_free(srv);
	close(sv[0]);
	close(sv[1]);
	return exit_status();
}
