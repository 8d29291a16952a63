/*
 * pop3_cmd_auth.c - the AUTHORIZATION state's login commands: USER and
 * PASS, APOP (RFC 1939), AUTH (RFC 5034, through libcommon/sasl.h) and
 * STLS (RFC 2595).  Every check goes through libcommon/auth.h, which
 * also decides how long a failure's answer waits, on a thread of
 * libcommon/auth_async.h: the session reads nothing until the answer
 * (pipelined commands wait), the other sessions go on.  A session ends
 * after POP3_AUTH_FAILURES_MAX failed logins.
 */
#include "pop3_maildrop.h"
#include "pop3_session.h"
#include "log.h"
#include "stats.h"
#include "store_read.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Failed logins one session may make before it is closed. */
#define POP3_AUTH_FAILURES_MAX 3

static struct auth_client who_asks(const struct pop3_client *c)
{
	return (struct auth_client){ "pop", STORE_SVC_POP, c->addr, c->session,
	                             pop3_client_tls(c) };
}

static void fail_later(struct pop3_client *c, unsigned delay, const char *reply)
{
	stats_inc(STAT_AUTH_FAILURES);
	/* this connection's own limit; the shared ones are auth.h's */
	bool close = ++c->auth_failures >= POP3_AUTH_FAILURES_MAX;
	pop3_client_delay(c, delay, reply, close);
}

/* A login's maildrop being loaded (store_read.h). */
struct drop_load {
	struct pop3_client *c;
	struct pop3_maildrop *d;      /* handed to the session on success */
	struct auth_identity who;
};

static int load_run(struct store *st, void *ctx)
{
	struct drop_load *l = ctx;
	return pop3_maildrop_load(st, l->who.person_id, l->d);
}

/* The maildrop is loaded (RC 0): the session enters TRANSACTION. */
static void load_apply(void *ctx, int rc, enum store_error err, bool later)
{
	struct drop_load *l = ctx;
	struct pop3_client *c = l->c;
	if (rc < 0) {
		log_warn("pop3_maildrop_failed", "session=%s user=%s kind=%s", c->session,
		         log_quote(l->who.address),
		         err == STORE_E_TRANSIENT ? "transient" : "failed");
		pop3_reply(c, "-ERR [SYS/TEMP] the maildrop cannot be opened; try again later");
	} else {
		c->who = l->who;
		c->drop = l->d;
		l->d = NULL;
		c->state = POP3_TRANSACTION;
		stats_inc(STAT_LOGINS);
		stats_inc(STAT_USERS_CURRENT);
		pop3_reply(c, "+OK maildrop has %zu messages (%" PRId64 " octets)", c->drop->n,
		           c->drop->octets);
	}
	if (later)
		pop3_client_pump(c);
}

static void load_free(void *ctx)
{
	struct drop_load *l = ctx;
	pop3_maildrop_free(l->d);    /* unlocks one never handed over */
	free(l);
}

static const struct store_read_ops load_ops = { load_run, load_apply, load_free };

/* Locks the maildrop of the person just authenticated, then loads it. */
static void enter_transaction(struct pop3_client *c, const struct auth_identity *id)
{
	struct pop3_maildrop *d = NULL;
	switch (pop3_maildrop_lock(c->srv->w.run_dir, id->person_id, &d)) {
	case POP3_OPEN_OK:
		break;
	case POP3_OPEN_IN_USE:
		log_info("pop3_in_use", "session=%s user=%s", c->session, log_quote(id->address));
		pop3_reply(c, "-ERR [IN-USE] the maildrop is in use by another session");
		return;
	default:
		pop3_reply(c, "-ERR [SYS/TEMP] the maildrop cannot be opened; try again later");
		return;
	}
	struct drop_load *l = malloc(sizeof *l);
	if (l == NULL) {
		pop3_maildrop_free(d);
		pop3_reply(c, "-ERR [SYS/TEMP] the maildrop cannot be opened; try again later");
		return;
	}
	*l = (struct drop_load){ c, d, *id };
	if (store_read_start(c->srv->w.pool, c->srv->store, &load_ops, l, &c->read_job) < 0)
		pop3_reply(c, "-ERR [SYS/TEMP] the maildrop cannot be opened; try again later");
}

/* Answers the outcome of an authentication. */
static void conclude(struct pop3_client *c, enum auth_result r,
                     const struct auth_identity *id, unsigned delay)
{
	c->user[0] = '\0';
	switch (r) {
	case AUTH_OK:
		enter_transaction(c, id);
		return;
	case AUTH_NO_SERVICE:
		fail_later(c, delay, "-ERR [AUTH] POP3 is not enabled for you");
		return;
	case AUTH_LOCKED:
		fail_later(c, delay, "-ERR [AUTH] too many failed logins; try again later");
		return;
	case AUTH_UNAVAILABLE:
		pop3_reply(c, "-ERR [SYS/TEMP] authentication is unavailable; try again later");
		return;
	default:
		fail_later(c, delay, "-ERR [AUTH] authentication failed");
		return;
	}
}

/* The check's outcome, on the loop. */
static void on_checked(void *arg, enum auth_result r, const struct auth_identity *id,
                       unsigned delay)
{
	struct pop3_client *c = arg;
	c->auth_job = NULL;
	conclude(c, r, id, delay);
	pop3_client_pump(c);
}

/* The server's check threads, started on the first login (NULL when
 * they cannot start: logged). */
static struct auth_pool *pool(struct pop3_server *srv)
{
	if (srv->auth_pool == NULL)
		srv->auth_pool = auth_pool_from_config(srv->w.loop, srv->auth, srv->w.cfg);
	return srv->auth_pool;
}

/* Waits for job J (NULL: the check could not start). */
static void check_later(struct pop3_client *c, struct auth_job *j)
{
	static const struct auth_identity nobody;
	c->auth_job = j;
	if (j == NULL)
		conclude(c, AUTH_UNAVAILABLE, &nobody, 0);
}

static bool plaintext_refused(struct pop3_client *c, const char *what)
{
	if (pop3_client_plaintext_ok(c))
		return false;
	pop3_client_error(c, "[AUTH] %s needs an encrypted connection here (use STLS)", what);
	return true;
}

void pop3_cmd_user(struct pop3_client *c, const struct pop3_cmd *cmd)
{
	if (plaintext_refused(c, "USER"))
		return;
	if (strlen(cmd->argv[0]) >= sizeof c->user) {
		pop3_client_error(c, "user name too long");
		return;
	}
	snprintf(c->user, sizeof c->user, "%s", cmd->argv[0]);
	pop3_reply(c, "+OK send PASS");
}

void pop3_cmd_pass(struct pop3_client *c, const struct pop3_cmd *cmd)
{
	if (plaintext_refused(c, "PASS"))
		return;
	if (c->user[0] == '\0') {
		pop3_client_error(c, "send USER first");
		return;
	}
	struct auth_client who = who_asks(c);
	struct auth_cred cred = { .kind = AUTH_CRED_PASSWORD, .mech = "USER",
	                          .login = c->user, .password = cmd->argv[0] };
	struct auth_pool *p = pool(c->srv);
	struct auth_job *j = p ? auth_pool_check(p, &who, &cred, on_checked, c) : NULL;
	OPENSSL_cleanse(cmd->argv[0], strlen(cmd->argv[0]));
	check_later(c, j);
}

void pop3_cmd_apop(struct pop3_client *c, const struct pop3_cmd *cmd)
{
	if (c->timestamp[0] == '\0') {
		pop3_client_error(c, "APOP is not offered here");
		return;
	}
	const char *digest = cmd->argv[1];
	if (strlen(digest) != 32 || strspn(digest, "0123456789abcdef") != 32) {
		pop3_client_error(c, "APOP wants 32 lowercase hex digits");
		return;
	}
	struct auth_client who = who_asks(c);
	struct auth_cred cred = { .kind = AUTH_CRED_APOP, .mech = "APOP", .login = cmd->argv[0],
	                          .challenge = c->timestamp, .digest = digest };
	struct auth_pool *p = pool(c->srv);
	check_later(c, p ? auth_pool_check(p, &who, &cred, on_checked, c) : NULL);
}

/* ---- AUTH (RFC 5034) ---- */

/* The user name of the client's verified certificate, into OUT: what
 * EXTERNAL logs in as.  False when there is none. */
static bool cert_user(const struct pop3_client *c, char *out, size_t cap)
{
	return client_conn_cert_user(&c->conn, auth_settings(c->srv->auth)->certificate_user,
	                             out, cap) == 0;
}

void pop3_auth_mechanisms(const struct pop3_client *c, char *out, size_t len)
{
	char name[SASL_NAME_MAX];
	bool clear = pop3_client_plaintext_ok(c);
	bool cram = auth_settings(c->srv->auth)->retrievable_secrets;
	bool external = cert_user(c, name, sizeof name);
	snprintf(out, len, "%s%s%s", clear ? "PLAIN LOGIN " : "", cram ? "CRAM-MD5 " : "",
	         external ? "EXTERNAL " : "");
	size_t n = strlen(out);
	if (n > 0)
		out[n - 1] = '\0';   /* the last separator */
}

static void sasl_end(struct pop3_client *c)
{
	sasl_free(c->sasl);
	c->sasl = NULL;
}

/* Acts on a step's status: send a challenge, check, or refuse. */
static void sasl_next(struct pop3_client *c, enum sasl_status st, const char *out)
{
	if (st == SASL_CHALLENGE) {
		pop3_reply(c, "+ %s", out);
		return;
	}
	if (st == SASL_BAD) {
		pop3_client_error(c, "%s", sasl_error(c->sasl));
		sasl_end(c);
		return;
	}
	struct auth_client who = who_asks(c);
	struct auth_pool *p = pool(c->srv);
	struct auth_job *j =
	    p ? auth_pool_check_sasl(p, &who, sasl_creds(c->sasl), on_checked, c) : NULL;
	sasl_end(c);   /* the check has its own copy of the secrets */
	check_later(c, j);
}

void pop3_cmd_auth(struct pop3_client *c, const struct pop3_cmd *cmd)
{
	char mechs[128], out[SASL_OUT_MAX];
	pop3_auth_mechanisms(c, mechs, sizeof mechs);
	if (cmd->argc == 0) {
		/* the pre-RFC 5034 listing some clients still ask for */
		pop3_reply(c, "+OK mechanisms follow");
		for (char *m = strtok(mechs, " "); m != NULL; m = strtok(NULL, " "))
			pop3_reply(c, "%s", m);
		pop3_reply(c, ".");
		return;
	}
	int mech = sasl_mech_from_name(cmd->argv[0]);
	if (mech < 0 || (mech == SASL_MECH_CRAM_MD5 &&
	                 !auth_settings(c->srv->auth)->retrievable_secrets)) {
		pop3_client_error(c, "unsupported mechanism");
		return;
	}
	if (sasl_mech_plaintext((enum sasl_mech)mech) &&
	    plaintext_refused(c, sasl_mech_name((enum sasl_mech)mech)))
		return;
	char name[SASL_NAME_MAX];
	if (mech == SASL_MECH_EXTERNAL && !cert_user(c, name, sizeof name)) {
		pop3_client_error(c, "EXTERNAL needs a verified TLS client certificate");
		return;
	}
	c->sasl = sasl_new((enum sasl_mech)mech, c->srv->hostname);
	if (c->sasl == NULL) {
		pop3_reply(c, "-ERR [SYS/TEMP] out of memory");
		return;
	}
	if (mech == SASL_MECH_EXTERNAL && sasl_set_external(c->sasl, name) < 0) {
		sasl_end(c);
		pop3_client_error(c, "the certificate's user name is too long");
		return;
	}
	const char *ir = cmd->argc == 2 ? cmd->argv[1] : NULL;
	enum sasl_status st = sasl_start(c->sasl, ir, ir ? strlen(ir) : 0, out, sizeof out);
	if (ir != NULL)
		OPENSSL_cleanse(cmd->argv[1], strlen(cmd->argv[1]));
	sasl_next(c, st, out);
}

void pop3_auth_response(struct pop3_client *c, char *line, size_t len)
{
	char out[SASL_OUT_MAX];
	if (len == 1 && line[0] == '*') {
		sasl_end(c);
		pop3_client_error(c, "authentication cancelled");
		return;
	}
	enum sasl_status st = sasl_step(c->sasl, line, len, out, sizeof out);
	OPENSSL_cleanse(line, len);
	sasl_next(c, st, out);
}

/* ---- STLS (RFC 2595) ---- */

void pop3_cmd_stls(struct pop3_client *c, const struct pop3_cmd *cmd)
{
	(void)cmd;
	if (c->srv->w.tls == NULL) {
		pop3_client_error(c, "TLS is not configured here");
		return;
	}
	if (c->conn.tls_state != CLIENT_TLS_NONE) {
		pop3_client_error(c, "TLS is active already");
		return;
	}
	/* commands pipelined behind STLS would run inside TLS unprotected */
	if (ios_in_buffered(c->conn.ios) > 0) {
		pop3_client_error(c, "STLS must be the last command sent");
		return;
	}
	c->user[0] = '\0';
	c->conn.tls_state = CLIENT_TLS_STARTING;
	pop3_reply(c, "+OK begin TLS negotiation");
}
