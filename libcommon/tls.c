/*
 * tls.c - non-blocking server-side TLS over OpenSSL for pop3srv, imap4srv
 * and smtpgw's LMTP; see tls.h.
 */
#include "tls.h"
#include "log.h"
#include "tls_certinfo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define TLS_SESSION_CACHE_SIZE 20000
#define TLS_SESSION_TIMEOUT_S  3600

/* An alternative certificate chosen by SNI: its own context, and the
 * certificate whose names are matched. */
struct tls_sni {
	SSL_CTX *ctx;
	X509 *cert;
};

struct tls_server {
	SSL_CTX *ctx;
	struct tls_sni sni[TLS_SNI_MAX];
	size_t nsni;
};

struct tls_conn {
	SSL *ssl;
	bool wants_write;
};

static int load_chain(SSL_CTX *ctx, const char *chain)
{
	/* Intermediates from a separate file are added to the chain. */
	BIO *bio = BIO_new_file(chain, "r");
	X509 *x;

	if (bio == NULL) {
		log_error("tls_config", "file=%s error=%s", log_quote(chain),
		          log_quote(tls_error_text()));
		return -1;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1)
			X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	return 0;
}

/* The key through tls_key_read(), so an encrypted key takes the
 * configured password and never prompts on a terminal. */
static int load_key(SSL_CTX *ctx, const struct tls_server_config *cfg)
{
	char err[512];
	EVP_PKEY *k = tls_key_read(cfg->key, cfg->key_password, NULL, err,
	                           sizeof err);
	int rc = 0;

	if (k == NULL) {
		log_error("tls_config", "file=%s error=%s", log_quote(cfg->key),
		          log_quote(err));
		return -1;
	}
	if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), k) != 1) {
		ERR_clear_error();
		log_error("tls_config",
		          "error=\"key does not match certificate\" key=%s certificate=%s",
		          log_quote(cfg->key), log_quote(cfg->certificate));
		rc = -1;
	} else if (SSL_CTX_use_PrivateKey(ctx, k) != 1) {
		log_error("tls_config", "file=%s error=%s", log_quote(cfg->key),
		          log_quote(tls_error_text()));
		rc = -1;
	}
	EVP_PKEY_free(k);
	return rc;
}

static int load_files(SSL_CTX *ctx, const struct tls_server_config *cfg)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->certificate) != 1) {
		log_error("tls_config", "file=%s error=%s", log_quote(cfg->certificate),
		          log_quote(tls_error_text()));
		return -1;
	}
	if (cfg->chain != NULL && *cfg->chain != '\0' &&
	    load_chain(ctx, cfg->chain) < 0)
		return -1;
	return load_key(ctx, cfg);
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
		          log_quote(tls_error_text()));
		return -1;
	}
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(ctx, TLS_SESSION_CACHE_SIZE);
	SSL_CTX_set_timeout(ctx, TLS_SESSION_TIMEOUT_S);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)sid,
	                               (unsigned)strlen(sid));
	return 0;
}

/* A context with the policy and files of CFG, or NULL (logged). */
static SSL_CTX *context_new(const struct tls_server_config *cfg)
{
	SSL_CTX *ctx;

	if (cfg->certificate == NULL || *cfg->certificate == '\0' ||
	    cfg->key == NULL || *cfg->key == '\0') {
		log_error("tls_config", "error=\"certificate and key must be set\"");
		return NULL;
	}
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		log_error("tls_config", "error=%s", log_quote(tls_error_text()));
		return NULL;
	}
	if (set_policy(ctx, cfg) < 0 || load_files(ctx, cfg) < 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* OpenSSL's servername callback: switches the connection to the first
 * SNI certificate matching the name the client asked for. */
static int choose_certificate(SSL *ssl, int *alert, void *arg)
{
	const struct tls_server *srv = arg;
	const char *host = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	(void)alert;
	if (host == NULL)
		return SSL_TLSEXT_ERR_OK;
	for (size_t i = 0; i < srv->nsni; i++)
		if (X509_check_host(srv->sni[i].cert, host, 0, 0, NULL) == 1) {
			SSL_set_SSL_CTX(ssl, srv->sni[i].ctx);
			log_debug("tls_sni", "host=%s certificate=%zu", log_quote(host), i);
			break;
		}
	ERR_clear_error();
	return SSL_TLSEXT_ERR_OK;
}

struct tls_server *tls_server_new(const struct tls_server_config *cfg)
{
	struct tls_server *srv = calloc(1, sizeof *srv);
	if (srv == NULL) {
		log_error("tls_config", "error=\"out of memory\"");
		return NULL;
	}
	srv->ctx = context_new(cfg);
	if (srv->ctx == NULL) {
		free(srv);
		return NULL;
	}
	SSL_CTX_set_tlsext_servername_callback(srv->ctx, choose_certificate);
	SSL_CTX_set_tlsext_servername_arg(srv->ctx, srv);
	return srv;
}

int tls_server_add_sni(struct tls_server *srv,
                       const struct tls_server_config *cfg)
{
	struct tls_sni *sni;

	if (srv->nsni >= TLS_SNI_MAX) {
		log_error("tls_config", "file=%s error=\"more than %d SNI certificates\"",
		          log_quote(cfg->certificate), TLS_SNI_MAX);
		return -1;
	}
	sni = &srv->sni[srv->nsni];
	sni->ctx = context_new(cfg);
	if (sni->ctx == NULL)
		return -1;
	sni->cert = SSL_CTX_get0_certificate(sni->ctx);
	srv->nsni++;
	return 0;
}

/* Whole days until X expires (negative after), into *DAYS. */
static int cert_days(X509 *x, long *days)
{
	int day = 0, sec = 0;

	if (x == NULL || ASN1_TIME_diff(&day, &sec, NULL, X509_get0_notAfter(x)) != 1)
		return -1;
	*days = day - ((day == 0 && sec < 0) ? 1 : 0);
	return 0;
}

int tls_server_days_left(const struct tls_server *srv, long *days)
{
	long d;

	if (cert_days(SSL_CTX_get0_certificate(srv->ctx), days) < 0)
		return -1;
	for (size_t i = 0; i < srv->nsni; i++)
		if (cert_days(srv->sni[i].cert, &d) == 0 && d < *days)
			*days = d;
	return 0;
}

/* OpenSSL's verify callback: a client certificate that fails is logged
 * and let through; SSL_get_verify_result() keeps the failure, so it is
 * never taken as verified (tls_conn_peer_user()). */
static int note_client_cert(int ok, X509_STORE_CTX *x)
{
	char subject[TLS_DN_MAX] = "";
	X509 *cert = X509_STORE_CTX_get_current_cert(x);

	if (ok)
		return 1;
	if (cert != NULL)
		X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
	log_info("tls_client_cert", "depth=%d subject=%s error=%s",
	         X509_STORE_CTX_get_error_depth(x), log_quote(subject),
	         log_quote(X509_verify_cert_error_string(X509_STORE_CTX_get_error(x))));
	return 1;
}

/* Verification of client certificates on one context. */
static int verify_clients(SSL_CTX *ctx, const char *ca_file)
{
	STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca_file);

	if (names == NULL || SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		sk_X509_NAME_pop_free(names, X509_NAME_free);
		log_error("tls_config", "client_ca=%s error=%s", log_quote(ca_file),
		          log_quote(tls_error_text()));
		return -1;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, note_client_cert);
	return 0;
}

int tls_server_verify_clients(struct tls_server *srv, const char *ca_file)
{
	/* SNI switches the connection's context, and with it the CAs it
	 * verifies against: every context gets them */
	if (verify_clients(srv->ctx, ca_file) < 0)
		return -1;
	for (size_t i = 0; i < srv->nsni; i++)
		if (verify_clients(srv->sni[i].ctx, ca_file) < 0)
			return -1;
	return 0;
}

void tls_server_free(struct tls_server *srv)
{
	if (srv == NULL)
		return;
	for (size_t i = 0; i < srv->nsni; i++)
		SSL_CTX_free(srv->sni[i].ctx);
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
		log_error("tls", "error=%s", log_quote(tls_error_text()));
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
		log_info("tls_io", "op=%s error=%s", op, log_quote(tls_error_text()));
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

int tls_conn_peer_user(const struct tls_conn *c, const char *field, char *out, size_t cap)
{
	out[0] = '\0';
	if (c == NULL || !SSL_is_init_finished(c->ssl) ||
	    SSL_get_verify_result(c->ssl) != X509_V_OK)
		return -1;
	return tls_cert_user(SSL_get0_peer_certificate(c->ssl), field, out, cap);
}
