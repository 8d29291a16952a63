/*
 * imap_cmd_auth.c - the commands of the not-authenticated state:
 * STARTTLS, LOGIN, and AUTHENTICATE with the SASL mechanisms PLAIN and
 * LOGIN (with SASL-IR's initial response, RFC 4959).  A cleartext
 * password is refused while plaintextmincipher is not met (the
 * capability then says LOGINDISABLED); a failed login is answered only
 * after a delay that grows with each failure, and the connection ends
 * after IMAP_AUTH_FAILURES_MAX of them.
 */
#include "imap_auth.h"
#include "imap_command.h"
#include "imap_commands.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

/* A SASL response, decoded. */
#define SASL_MAX 2048

/* ---- answering a login ---- */

struct delay {
	struct imap_client *c;
	struct ev_timer *timer;
	enum imap_auth_result result;
};

static void delay_free(void *p)
{
	struct delay *d = p;
	evloop_del_timer(d->timer);
	free(d);
}

static enum cmd_result answer(struct imap_client *c, enum imap_auth_result r)
{
	char caps[1024];
	switch (r) {
	case IMAP_AUTH_OK:
		imap_capability(c, caps, sizeof caps);
		return imap_done(c, "OK", "[CAPABILITY %s] logged in", caps);
	case IMAP_AUTH_NO_SERVICE:
		return imap_done(c, "NO", "[AUTHORIZATIONFAILED] IMAP is not enabled for you");
	case IMAP_AUTH_UNAVAILABLE:
		return imap_done(c, "NO", "[UNAVAILABLE] try again later");
	default:
		if (c->auth_failures >= IMAP_AUTH_FAILURES_MAX) {
			imap_outs(c, "* BYE too many failed logins\r\n");
			c->closing = true;
		}
		return imap_done(c, "NO", "[AUTHENTICATIONFAILED] authentication failed");
	}
}

static void on_delay(struct ev_timer *t, void *arg)
{
	struct delay *d = arg;
	struct imap_client *c = d->c;
	(void)t;
	/* finishing frees D and this timer, which is allowed from here */
	imap_command_finish(c, answer(c, d->result));
	imap_client_pump(c);
}

/* Answers R now, or after the failure delay: the command then waits
 * for the timer, reading nothing meanwhile. */
static enum cmd_result conclude(struct imap_client *c, enum imap_auth_result r)
{
	if (r != IMAP_AUTH_FAILED && r != IMAP_AUTH_NO_SERVICE)
		return answer(c, r);
	c->auth_failures++;
	struct delay *d = calloc(1, sizeof *d);
	if (d == NULL)
		return answer(c, r);
	d->c = c;
	d->result = r;
	d->timer = evloop_add_timer(c->srv->loop, imap_auth_delay_ms(c->auth_failures), false,
	                            on_delay, d);
	if (d->timer == NULL) {
		free(d);
		return answer(c, r);
	}
	c->active.state = d;
	c->active.state_free = delay_free;
	c->active.resume = NULL;
	c->active.on_line = NULL;
	return CMD_SUSPEND;
}

/* ---- STARTTLS ---- */

enum cmd_result imap_cmd_starttls(struct imap_client *c)
{
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	if (c->srv->tls == NULL)
		return imap_done(c, "NO", "[UNAVAILABLE] TLS is not configured");
	if (c->tls_state != IMAP_TLS_NONE)
		return imap_done(c, "BAD", "TLS is active already");
	/* Commands sent behind STARTTLS in the same packet would run inside
	 * TLS without the client having protected them (RFC 3501 11.1). */
	if (ios_in_buffered(c->ios) > 0)
		return imap_done(c, "BAD", "STARTTLS must be the last command sent");
	c->tls_state = IMAP_TLS_STARTING;
	return imap_done(c, "OK", "begin TLS negotiation now");
}

/* ---- LOGIN ---- */

enum cmd_result imap_cmd_login(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	struct imap_str u, w;
	char user[SASL_MAX], pass[SASL_MAX];
	if (imap_p_sp(p) < 0 || imap_p_astring(p, &u) < 0 || imap_p_sp(p) < 0 ||
	    imap_p_astring(p, &w) < 0 || imap_p_end(p) < 0)
		return imap_bad_syntax(c);
	if (!imap_client_plaintext_ok(c))
		return imap_done(c, "NO", "[PRIVACYREQUIRED] LOGIN needs TLS here");
	if (imap_str_copy(&u, user, sizeof user) < 0 || imap_str_copy(&w, pass, sizeof pass) < 0)
		return imap_done(c, "NO", "[AUTHENTICATIONFAILED] authentication failed");
	enum imap_auth_result r = imap_auth_password(c, user, pass);
	memset(pass, 0, sizeof pass);
	return conclude(c, r);
}

/* ---- AUTHENTICATE ---- */

static int b64_value(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	return ch == '+' ? 62 : ch == '/' ? 63 : -1;
}

/* Strict base64 into OUT (CAP bytes); the length, or -1. */
static long b64_decode(const char *in, size_t len, char *out, size_t cap)
{
	size_t n = 0, pad = 0;
	uint32_t bits = 0;
	int nbits = 0;
	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '=') {
			if (++pad > 2 || i < len - 2)
				return -1;
			continue;
		}
		int v = b64_value((unsigned char)in[i]);
		if (v < 0 || pad)
			return -1;
		bits = bits << 6 | (uint32_t)v;
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			if (n + 1 >= cap)
				return -1;
			out[n++] = (char)(bits >> nbits);
		}
	}
	out[n] = '\0';
	return (long)n;
}

struct sasl {
	bool login;             /* mechanism LOGIN, else PLAIN */
	int step;
	char user[SASL_MAX];
};

static void sasl_free(void *p)
{
	struct sasl *s = p;
	memset(s, 0, sizeof *s);
	free(s);
}

/* PLAIN: authzid NUL authcid NUL passwd (RFC 4616); an authzid other
 * than the authcid would be a proxy login, which ems does not allow. */
static enum cmd_result plain(struct imap_client *c, char *data, long len)
{
	char *authcid = memchr(data, '\0', (size_t)len);
	char *pass = authcid ? memchr(authcid + 1, '\0', (size_t)(data + len - authcid - 1)) : NULL;
	if (pass == NULL)
		return imap_done(c, "BAD", "malformed PLAIN response");
	authcid++;
	pass++;
	if (*data && strcmp(data, authcid) != 0)
		return conclude(c, IMAP_AUTH_FAILED);
	enum imap_auth_result r = imap_auth_password(c, authcid, pass);
	memset(data, 0, (size_t)len);
	return conclude(c, r);
}

static enum cmd_result sasl_input(struct imap_client *c, const char *in, size_t len)
{
	struct sasl *s = c->active.state;
	char data[SASL_MAX];
	long n = b64_decode(in, len, data, sizeof data);
	if (n < 0)
		return imap_done(c, "BAD", "invalid base64");
	if (!s->login)
		return plain(c, data, n);
	if (s->step++ == 0) {
		if (memchr(data, '\0', (size_t)n) != NULL)
			return imap_done(c, "BAD", "NUL in user name");
		memcpy(s->user, data, (size_t)n + 1);
		imap_outs(c, "+ UGFzc3dvcmQ6\r\n");        /* "Password:" */
		return CMD_INPUT;
	}
	enum imap_auth_result r = imap_auth_password(c, s->user, data);
	memset(data, 0, sizeof data);
	return conclude(c, r);
}

static enum cmd_result sasl_line(struct imap_client *c, char *line, size_t len)
{
	if (len == 1 && line[0] == '*')
		return imap_done(c, "BAD", "authentication cancelled");
	enum cmd_result r = sasl_input(c, line, len);
	memset(line, 0, len);
	return r;
}

enum cmd_result imap_cmd_authenticate(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	struct imap_str mech, ir = { NULL, 0 };
	if (imap_p_sp(p) < 0 || imap_p_atom(p, &mech) < 0 ||
	    (imap_p_eat(p, ' ') && imap_p_atom(p, &ir) < 0) || imap_p_end(p) < 0)
		return imap_bad_syntax(c);
	bool is_plain = imap_str_eq(&mech, "PLAIN"), is_login = imap_str_eq(&mech, "LOGIN");
	if (!is_plain && !is_login)
		return imap_done(c, "NO", "[CANNOT] unsupported mechanism");
	if (!imap_client_plaintext_ok(c))
		return imap_done(c, "NO", "[PRIVACYREQUIRED] %.*s needs TLS here",
		                 (int)mech.len, mech.p);
	struct sasl *s = calloc(1, sizeof *s);
	if (s == NULL)
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	s->login = is_login;
	c->active.state = s;
	c->active.state_free = sasl_free;
	c->active.on_line = sasl_line;
	if (ir.p != NULL)   /* SASL-IR; "=" is an empty response */
		return sasl_input(c, ir.p, imap_str_eq(&ir, "=") ? 0 : ir.len);
	imap_outs(c, is_login ? "+ VXNlcm5hbWU6\r\n" : "+ \r\n");    /* "Username:" */
	return CMD_INPUT;
}
