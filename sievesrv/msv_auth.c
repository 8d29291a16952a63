/*
 * msv_auth.c - AUTHENTICATE (RFC 5804 2.1: SASL PLAIN, with an initial
 * response or after an empty challenge) and STARTTLS (2.2).  The check
 * runs on libcommon/auth_async.h's threads with the lock-outs and
 * failure delays of auth.h, as for IMAP and POP3; a password is taken
 * only where auth.plaintextmincipher allows.  Persons log in here with
 * the IMAP service right: their filters belong to their mailbox access.
 */
#include "msv.h"

#include "log.h"
#include "stats.h"
#include "store_directory.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Failed logins one session may make before it is closed. */
#define MSV_AUTH_FAILURES_MAX 3

const char *msv_mechanisms(const struct msv_client *c)
{
	return client_conn_plaintext_ok(&c->conn, c->srv->set.plaintextmincipher) ? "PLAIN" : "";
}

static void fail_later(struct msv_client *c, unsigned delay, const char *reply)
{
	stats_inc(STAT_AUTH_FAILURES);
	bool close = ++c->auth_failures >= MSV_AUTH_FAILURES_MAX;
	msv_delay(c, delay, reply, close);
}

static void conclude(struct msv_client *c, enum auth_result r,
                     const struct auth_identity *id, unsigned delay)
{
	switch (r) {
	case AUTH_OK:
		c->who = *id;
		c->authed = true;
		stats_inc(STAT_LOGINS);
		stats_inc(STAT_USERS_CURRENT);
		log_info("sieve_login", "session=%s user=%s", c->session, log_quote(id->address));
		msv_reply(c, "OK \"logged in\"");
		return;
	case AUTH_NO_SERVICE:
		fail_later(c, delay, "NO \"ManageSieve is not enabled for you\"");
		return;
	case AUTH_LOCKED:
		fail_later(c, delay, "NO \"too many failed logins; try again later\"");
		return;
	case AUTH_UNAVAILABLE:
		msv_reply(c, "NO (TRYLATER) \"authentication is unavailable; try again later\"");
		return;
	default:
		fail_later(c, delay, "NO \"authentication failed\"");
		return;
	}
}

static void on_checked(void *arg, enum auth_result r, const struct auth_identity *id,
                       unsigned delay)
{
	struct msv_client *c = arg;
	c->auth_job = NULL;
	conclude(c, r, id, delay);
	msv_pump(c);
}

static void sasl_end(struct msv_client *c)
{
	sasl_free(c->sasl);
	c->sasl = NULL;
}

/* A challenge, a check, or a refusal, after a step of the exchange. */
static void sasl_next(struct msv_client *c, enum sasl_status st, const char *out)
{
	if (st == SASL_CHALLENGE) {
		msv_write_string(c, out, strlen(out));
		msv_write(c, "\r\n", 2);
		return;
	}
	if (st == SASL_BAD) {
		msv_no(c, true, NULL, "%s", sasl_error(c->sasl));
		sasl_end(c);
		return;
	}
	struct msv_server *srv = c->srv;
	struct auth_client who = { "sieve", STORE_SVC_IMAP, c->addr, c->session,
	                           client_conn_tls(&c->conn) };
	if (srv->auth_pool == NULL)
		srv->auth_pool = auth_pool_from_config(srv->w.loop, srv->auth, srv->w.cfg);
	c->auth_job = srv->auth_pool != NULL
	                  ? auth_pool_check_sasl(srv->auth_pool, &who, sasl_creds(c->sasl),
	                                         on_checked, c)
	                  : NULL;
	sasl_end(c);
	if (c->auth_job == NULL) {
		static const struct auth_identity nobody;
		conclude(c, AUTH_UNAVAILABLE, &nobody, 0);
	}
}

void msv_cmd_authenticate(struct msv_client *c)
{
	struct msv_args *a = &c->args;
	char out[SASL_OUT_MAX];
	if (a->v[1].atom || strcasecmp(a->v[1].s, "PLAIN") != 0) {
		msv_no(c, true, NULL, "unsupported mechanism (PLAIN is offered)");
		return;
	}
	if (!client_conn_plaintext_ok(&c->conn, c->srv->set.plaintextmincipher)) {
		msv_no(c, true, "ENCRYPT-NEEDED", "PLAIN needs an encrypted connection (STARTTLS)");
		return;
	}
	c->sasl = sasl_new(SASL_MECH_PLAIN, c->srv->hostname);
	if (c->sasl == NULL) {
		msv_reply(c, "NO (TRYLATER) \"out of memory\"");
		return;
	}
	const char *ir = a->n == 3 ? a->v[2].s : NULL;
	size_t irlen = a->n == 3 ? a->v[2].len : 0;
	enum sasl_status st = sasl_start(c->sasl, ir, irlen, out, sizeof out);
	if (ir != NULL)
		OPENSSL_cleanse(a->v[2].s, irlen);
	sasl_next(c, st, out);
}

void msv_auth_response(struct msv_client *c)
{
	struct msv_args *a = &c->args;
	char out[SASL_OUT_MAX];
	if (a->bad || a->n != 1 || a->v[0].atom || a->lit_too_big) {
		sasl_end(c);
		msv_no(c, true, NULL, "a SASL response is one string");
		return;
	}
	if (strcmp(a->v[0].s, "*") == 0) {
		sasl_end(c);
		msv_no(c, false, NULL, "authentication cancelled");
		return;
	}
	enum sasl_status st = sasl_step(c->sasl, a->v[0].s, a->v[0].len, out, sizeof out);
	OPENSSL_cleanse(a->v[0].s, a->v[0].len);
	sasl_next(c, st, out);
}

void msv_cmd_starttls(struct msv_client *c)
{
	if (c->srv->w.tls == NULL) {
		msv_no(c, true, NULL, "TLS is not configured here");
		return;
	}
	if (c->conn.tls_state != CLIENT_TLS_NONE) {
		msv_no(c, true, NULL, "TLS is active already");
		return;
	}
	/* commands pipelined behind STARTTLS would run inside TLS unprotected */
	if (ios_in_buffered(c->conn.ios) > 0) {
		msv_no(c, true, NULL, "STARTTLS must be the last command sent");
		return;
	}
	c->conn.tls_state = CLIENT_TLS_STARTING;
	msv_reply(c, "OK \"begin TLS negotiation\"");
}
