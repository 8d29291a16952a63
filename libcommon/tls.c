/*
 * tls.c - non-blocking server-side TLS over OpenSSL for pop3srv, imap4srv
 * and smtpgw's LMTP; see tls.h.
 */
#include "tls.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define TLS_SESSION_CACHE_SIZE 20000
#define TLS_SESSION_TIMEOUT_S  3600

struct tls_server {
	SSL_CTX *ctx;
};

struct tls_conn {
	SSL *ssl;
	bool wants_write;
};

static const char *ssl_error_text(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();
	if (e == 0)
		return "unknown";
	ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return buf;
}

static int load_files(SSL_CTX *ctx, const struct tls_server_config *cfg)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->certificate) != 1) {
		log_error("tls_config", "file=%s error=%s", log_quote(cfg->certificate),
		          log_quote(ssl_error_text()));
		return -1;
	}
	if (cfg->chain != NULL && *cfg->chain != '\0') {
		/* Intermediates from a separate file are added to the chain. */
		BIO *bio = BIO_new_file(cfg->chain, "r");
		X509 *x;
		if (bio == NULL) {
			log_error("tls_config", "file=%s error=%s", log_quote(cfg->chain),
			          log_quote(ssl_error_text()));
			return -1;
		}
		while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
			if (SSL_CTX_add0_chain_cert(ctx, x) != 1)
				X509_free(x);
		BIO_free(bio);
		ERR_clear_error();
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key, SSL_FILETYPE_PEM) != 1) {
		log_error("tls_config", "file=%s error=%s", log_quote(cfg->key),
		          log_quote(ssl_error_text()));
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		log_error("tls_config",
		          "error=\"key does not match certificate\" key=%s certificate=%s",
		          log_quote(cfg->key), log_quote(cfg->certificate));
		return -1;
	}
	return 0;
}

static int set_policy(SSL_CTX *ctx, const struct tls_server_config *cfg)
{
	const char *sid = cfg->session_id ? cfg->session_id : "ems";
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
	                             SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	                          SSL_MODE_RELEASE_BUFFERS);
	if (cfg->ciphers != NULL && *cfg->ciphers != '\0' &&
	    SSL_CTX_set_cipher_list(ctx, cfg->ciphers) != 1) {
		log_error("tls_config", "ciphers=%s error=%s", log_quote(cfg->ciphers),
		          log_quote(ssl_error_text()));
		return -1;
	}
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(ctx, TLS_SESSION_CACHE_SIZE);
	SSL_CTX_set_timeout(ctx, TLS_SESSION_TIMEOUT_S);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)sid,
	                               (unsigned)strlen(sid));
	return 0;
}

struct tls_server *tls_server_new(const struct tls_server_config *cfg)
{
	if (cfg->certificate == NULL || *cfg->certificate == '\0' ||
	    cfg->key == NULL || *cfg->key == '\0') {
		log_error("tls_config", "error=\"certificate and key must be set\"");
		return NULL;
	}
	struct tls_server *srv = calloc(1, sizeof *srv);
	if (srv == NULL) {
		log_error("tls_config", "error=\"out of memory\"");
		return NULL;
	}
	srv->ctx = SSL_CTX_new(TLS_server_method());
	if (srv->ctx == NULL || set_policy(srv->ctx, cfg) < 0 ||
	    load_files(srv->ctx, cfg) < 0) {
		if (srv->ctx == NULL)
			log_error("tls_config", "error=%s", log_quote(ssl_error_text()));
		tls_server_free(srv);
		return NULL;
	}
	return srv;
}

void tls_server_free(struct tls_server *srv)
{
	if (srv == NULL)
		return;
	SSL_CTX_free(srv->ctx);
	free(srv);
}

struct tls_conn *tls_conn_new(struct tls_server *srv, int fd)
{
	struct tls_conn *c = calloc(1, sizeof *c);
	if (c == NULL) {
		log_error("tls", "error=\"out of memory\"");
		return NULL;
	}
	c->ssl = SSL_new(srv->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1) {
		log_error("tls", "error=%s", log_quote(ssl_error_text()));
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	SSL_set_accept_state(c->ssl);
	return c;
}

void tls_conn_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	if (SSL_is_init_finished(c->ssl))
		SSL_shutdown(c->ssl);
	ERR_clear_error();
	SSL_free(c->ssl);
	free(c);
}

/* Maps an OpenSSL result to the read(2) convention; see tls.h. */
static ssize_t map_result(struct tls_conn *c, int ret, const char *op)
{
	int err = SSL_get_error(c->ssl, ret);
	c->wants_write = false;
	switch (err) {
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		c->wants_write = true;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			/* Peer closed without close_notify, or a socket error. */
			if (errno == 0 || errno == ECONNRESET)
				return 0;
			log_info("tls_io", "op=%s error=%s", op, log_quote(strerror(errno)));
			errno = EIO;
			return -1;
		}
		/* fall through */
	default:
		log_info("tls_io", "op=%s error=%s", op, log_quote(ssl_error_text()));
		errno = EIO;
		return -1;
	}
}

int tls_handshake(struct tls_conn *c)
{
	ERR_clear_error();
	errno = 0;
	int ret = SSL_do_handshake(c->ssl);
	if (ret == 1)
		return 0;
	ssize_t r = map_result(c, ret, "handshake");
	if (r < 0 && errno == EAGAIN)
		return 1;
	if (r == 0)
		log_info("tls_handshake", "error=\"peer closed during handshake\"");
	return -1;
}

ssize_t tls_read(struct tls_conn *c, void *buf, size_t len)
{
	size_t got = 0;
	ERR_clear_error();
	errno = 0;
	int ret = SSL_read_ex(c->ssl, buf, len, &got);
	if (ret == 1)
		return (ssize_t)got;
	return map_result(c, ret, "read");
}

ssize_t tls_write(struct tls_conn *c, const void *buf, size_t len)
{
	size_t put = 0;
	ERR_clear_error();
	errno = 0;
	int ret = SSL_write_ex(c->ssl, buf, len, &put);
	if (ret == 1)
		return (ssize_t)put;
	ssize_t r = map_result(c, ret, "write");
	if (r == 0) {
		errno = EPIPE;
		return -1;
	}
	return r;
}

bool tls_conn_wants_write(const struct tls_conn *c)
{
	return c->wants_write;
}

size_t tls_pending(const struct tls_conn *c)
{
	return (size_t)SSL_pending(c->ssl);
}

const char *tls_conn_version(const struct tls_conn *c)
{
	return SSL_get_version(c->ssl);
}

const char *tls_conn_cipher(const struct tls_conn *c)
{
	return SSL_get_cipher_name(c->ssl);
}

int tls_conn_bits(const struct tls_conn *c)
{
	return SSL_get_cipher_bits(c->ssl, NULL);
}

bool tls_conn_resumed(const struct tls_conn *c)
{
	return SSL_session_reused(c->ssl) == 1;
}
