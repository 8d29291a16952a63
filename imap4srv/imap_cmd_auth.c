/*
 * imap_cmd_auth.c - the commands of the not-authenticated state:
 * STARTTLS, LOGIN, and AUTHENTICATE with the SASL mechanisms PLAIN,
 * LOGIN and, when the site keeps retrievable secrets, CRAM-MD5 (with
 * SASL-IR's initial response, RFC 4959), run by libcommon/sasl.h.  A
 * cleartext password is refused while plaintextmincipher is not met
 * (the capability then says LOGINDISABLED).  The check runs on a thread
 * of libcommon/auth_async.h while the command waits, reading nothing
 * (pipelined commands wait too); a failed login is answered only after
 * the delay libcommon/auth.h decides (it grows with the
 * failures of the address and the person, shared by every process),
 * and the connection ends after IMAP_AUTH_FAILURES_MAX of them.
 */
#include "imap_auth.h"
#include "imap_command.h"
#include "imap_commands.h"
#include "log.h"
#include "stats.h"
#include "sasl.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* Longest LOGIN name or password taken. */
#define LOGIN_ARG_MAX 2048

/* ---- answering a login ---- */

/* A login being checked (on a thread of auth_async.h), then waiting
 * out the failure delay: the command's state, so that the command reads
 * nothing meanwhile and a client that goes away cancels both. */
struct pending {
	struct imap_client *c;
	struct auth_job *job;      /* the check running; NULL once it answered */
	struct ev_timer *timer;    /* the failure delay */
	enum imap_auth_result result;
};

static void pending_free(void *p)
{
	struct pending *d = p;
	auth_job_cancel(d->job);
	evloop_del_timer(d->timer);
	free(d);
}

static enum cmd_result answer(struct imap_client *c, enum imap_auth_result r)
{
	char caps[1024];
	switch (r) {
	case IMAP_AUTH_OK:
		imap_capability(c, caps, sizeof caps);
		stats_login();
		return imap_done(c, "OK", "[CAPABILITY %s] logged in", caps);
	case IMAP_AUTH_NO_SERVICE:
		return imap_done(c, "NO", "[AUTHORIZATIONFAILED] IMAP is not enabled for you");
	case IMAP_AUTH_UNAVAILABLE:
		return imap_done(c, "NO", "[UNAVAILABLE] try again later");
	case IMAP_AUTH_LOCKED:
		return imap_done(c, "NO", "[AUTHENTICATIONFAILED] too many failed logins;"
		                 " try again later");
	default:
		if (c->auth_failures >= IMAP_AUTH_FAILURES_MAX) {
			imap_outs(c, "* BYE too many failed logins\r\n");
			c->conn.closing = true;
		}
		return imap_done(c, "NO", "[AUTHENTICATIONFAILED] authentication failed");
	}
}

/* Answers now: ends the command (which frees D) and runs what waited. */
static void answer_late(struct imap_client *c, enum imap_auth_result r)
{
	imap_command_finish(c, answer(c, r));
	imap_client_pump(c);
}

static void on_delay(struct ev_timer *t, void *arg)
{
	struct pending *d = arg;
	(void)t;
	/* finishing frees D and this timer, which is allowed from here */
	answer_late(d->c, d->result);
}

/* Counts a failure and arms the delay before its answer; false when
 * the answer goes out now. */
static bool delay_answer(struct pending *d, enum imap_auth_result r, unsigned delay_ms)
{
	struct imap_client *c = d->c;
	if (r == IMAP_AUTH_OK || r == IMAP_AUTH_UNAVAILABLE)
		return false;
	c->auth_failures++;
	stats_inc(STAT_AUTH_FAILURES);
	if (delay_ms == 0)
		return false;
	d->result = r;
	d->timer = evloop_add_timer(c->srv->w.loop, delay_ms, false, on_delay, d);
	return d->timer != NULL;
}

/* The check's outcome, on the loop. */
static void on_checked(void *arg, enum auth_result ar, const struct auth_identity *id,
                       unsigned delay_ms)
{
	struct pending *d = arg;
	d->job = NULL;
	enum imap_auth_result r = imap_auth_outcome(d->c, ar, id);
	if (!delay_answer(d, r, delay_ms))
		answer_late(d->c, r);
}

static struct pending *pending_new(struct imap_client *c)
{
	struct pending *d = calloc(1, sizeof *d);
	if (d != NULL)
		d->c = c;
	return d;
}

/* Suspends the command on D while its check (D->job, NULL when it could
 * not start) runs. */
static enum cmd_result wait_check(struct imap_client *c, struct pending *d)
{
	if (d->job == NULL) {
		free(d);
		return answer(c, IMAP_AUTH_UNAVAILABLE);
	}
	c->active.state = d;
	c->active.state_free = pending_free;
	c->active.resume = NULL;
	c->active.on_line = NULL;
	return CMD_SUSPEND;
}

/* ---- STARTTLS ---- */

enum cmd_result imap_cmd_starttls(struct imap_client *c)
{
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	if (c->srv->w.tls == NULL)
		return imap_done(c, "NO", "[UNAVAILABLE] TLS is not configured");
	if (c->conn.tls_state != CLIENT_TLS_NONE)
		return imap_done(c, "BAD", "TLS is active already");
	/* Commands sent behind STARTTLS in the same packet would run inside
	 * TLS without the client having protected them (RFC 3501 11.1). */
	if (ios_in_buffered(c->conn.ios) > 0)
		return imap_done(c, "BAD", "STARTTLS must be the last command sent");
	c->conn.tls_state = CLIENT_TLS_STARTING;
	return imap_done(c, "OK", "begin TLS negotiation now");
}

/* ---- LOGIN ---- */

enum cmd_result imap_cmd_login(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	struct imap_str u, w;
	char user[LOGIN_ARG_MAX], pass[LOGIN_ARG_MAX];
	if (imap_p_sp(p) < 0 || imap_p_astring(p, &u) < 0 || imap_p_sp(p) < 0 ||
	    imap_p_astring(p, &w) < 0 || imap_p_end(p) < 0)
		return imap_bad_syntax(c);
	if (!imap_client_plaintext_ok(c))
		return imap_done(c, "NO", "[PRIVACYREQUIRED] LOGIN needs TLS here");
	if (imap_str_copy(&u, user, sizeof user) < 0 || imap_str_copy(&w, pass, sizeof pass) < 0)
		return imap_done(c, "NO", "[AUTHENTICATIONFAILED] authentication failed");
	struct pending *d = pending_new(c);
	if (d != NULL)
		d->job = imap_auth_password(c, user, pass, on_checked, d);
	OPENSSL_cleanse(pass, sizeof pass);
	if (d == NULL)
		return answer(c, IMAP_AUTH_UNAVAILABLE);
	return wait_check(c, d);
}

/* ---- AUTHENTICATE ---- */

static void sasl_state_free(void *p)
{
	sasl_free(p);
}

/* Acts on a SASL step: send the challenge, check, or refuse. */
static enum cmd_result sasl_next(struct imap_client *c, enum sasl_status st,
                                 const char *out)
{
	struct sasl_session *s = c->active.state;
	if (st == SASL_CHALLENGE) {
		imap_outs(c, "+ ");
		imap_outs(c, out);
		imap_outs(c, "\r\n");
		return CMD_INPUT;
	}
	if (st == SASL_BAD)
		return imap_done(c, "BAD", "%s", sasl_error(s));
	struct pending *d = pending_new(c);
	if (d != NULL)
		d->job = imap_auth_sasl(c, sasl_creds(s), on_checked, d);
	/* the exchange is over (the check has its own copy): its secrets
	 * go now, not with the command */
	c->active.state = NULL;
	c->active.state_free = NULL;
	sasl_free(s);
	if (d == NULL)
		return answer(c, IMAP_AUTH_UNAVAILABLE);
	return wait_check(c, d);
}

static enum cmd_result sasl_line(struct imap_client *c, char *line, size_t len)
{
	char out[SASL_OUT_MAX];
	if (len == 1 && line[0] == '*')
		return imap_done(c, "BAD", "authentication cancelled");
	enum sasl_status st = sasl_step(c->active.state, line, len, out, sizeof out);
	OPENSSL_cleanse(line, len);
	return sasl_next(c, st, out);
}

enum cmd_result imap_cmd_authenticate(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	struct imap_str mech, ir = { NULL, 0 };
	char name[32], out[SASL_OUT_MAX];
	if (imap_p_sp(p) < 0 || imap_p_atom(p, &mech) < 0 ||
	    (imap_p_eat(p, ' ') && imap_p_atom(p, &ir) < 0) || imap_p_end(p) < 0)
		return imap_bad_syntax(c);
	int m = imap_str_copy(&mech, name, sizeof name) < 0 ? -1 : sasl_mech_from_name(name);
	if (m < 0 || (m == SASL_MECH_CRAM_MD5 && !imap_auth_cram_md5(c->srv)))
		return imap_done(c, "NO", "[CANNOT] unsupported mechanism");
	if (sasl_mech_plaintext((enum sasl_mech)m) && !imap_client_plaintext_ok(c))
		return imap_done(c, "NO", "[PRIVACYREQUIRED] %s needs TLS here",
		                 sasl_mech_name((enum sasl_mech)m));
	char cert_user[SASL_NAME_MAX];
	if (m == SASL_MECH_EXTERNAL && !imap_auth_external(c, cert_user, sizeof cert_user))
		return imap_done(c, "NO", "[CANNOT] EXTERNAL needs a verified TLS client certificate");
	struct sasl_session *s = sasl_new((enum sasl_mech)m, "localhost");
	if (s == NULL)
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	if (m == SASL_MECH_EXTERNAL && sasl_set_external(s, cert_user) < 0) {
		sasl_free(s);
		return imap_done(c, "NO", "[CANNOT] the certificate's user name is too long");
	}
	c->active.state = s;
	c->active.state_free = sasl_state_free;
	c->active.on_line = sasl_line;
	/* SASL-IR; "=" is an empty response */
	enum sasl_status st = sasl_start(s, ir.p, ir.p ? ir.len : 0, out, sizeof out);
	return sasl_next(c, st, out);
}
