/*
 * msv_cmd.c - the ManageSieve session (RFC 5804): the greeting (the
 * capabilities, also after STARTTLS), each command dispatched by
 * whether the client has logged in, and the commands with no state of
 * their own: CAPABILITY, NOOP, LOGOUT, UNAUTHENTICATE.
 */
#include "msv.h"

#include "log.h"
#include "sieve.h"
#include "stats.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static void capabilities(struct msv_client *c)
{
	msv_reply(c, "\"IMPLEMENTATION\" \"%s\"", c->srv->set.implementation);
	msv_reply(c, "\"SASL\" \"%s\"", msv_mechanisms(c));
	msv_reply(c, "\"SIEVE\" \"%s\"", SIEVE_EXTENSIONS);
	if (c->srv->w.tls != NULL && !client_conn_tls(&c->conn) && !c->authed)
		msv_reply(c, "\"STARTTLS\"");
	msv_reply(c, "\"MAXREDIRECTS\" \"%d\"", SIEVE_REDIRECT_MAX);
	msv_reply(c, "\"VERSION\" \"1.0\"");
}

void msv_greet(struct msv_client *c)
{
	capabilities(c);
	msv_reply(c, "OK \"ManageSieve ready\"");
	c->greeted = true;
}

static void cmd_capability(struct msv_client *c)
{
	capabilities(c);
	msv_reply(c, "OK \"capability completed\"");
}

/* NOOP with a tag answers it back (RFC 5804 2.11). */
static void cmd_noop(struct msv_client *c)
{
	struct msv_args *a = &c->args;
	if (a->n == 2) {
		msv_write(c, "OK (TAG ", 8);
		msv_write_string(c, a->v[1].s, a->v[1].len);
		msv_reply(c, ") \"done\"");
		return;
	}
	msv_reply(c, "OK \"done\"");
}

static void cmd_logout(struct msv_client *c)
{
	c->logout = true;
	msv_reply(c, "OK \"bye\"");
	c->conn.closing = true;
}

/* Back to the state before AUTHENTICATE (RFC 5804 2.14.1); TLS stays. */
static void cmd_unauthenticate(struct msv_client *c)
{
	log_info("sieve_unauthenticate", "session=%s user=%s", c->session,
	         log_quote(c->who.address));
	stats_add(STAT_USERS_CURRENT, (uint64_t)-1);
	c->authed = false;
	memset(&c->who, 0, sizeof c->who);
	msv_reply(c, "OK \"unauthenticated\"");
}

enum when { ANY, BEFORE, AFTER };

struct command {
	const char *name;
	int min, max;               /* arguments after the name */
	enum when when;
	void (*run)(struct msv_client *c);
};

static const struct command commands[] = {
	{ "CAPABILITY", 0, 0, ANY, cmd_capability },
	{ "NOOP", 0, 1, ANY, cmd_noop },
	{ "LOGOUT", 0, 0, ANY, cmd_logout },
	{ "STARTTLS", 0, 0, BEFORE, msv_cmd_starttls },
	{ "AUTHENTICATE", 1, 2, BEFORE, msv_cmd_authenticate },
	{ "UNAUTHENTICATE", 0, 0, AFTER, cmd_unauthenticate },
	{ "LISTSCRIPTS", 0, 0, AFTER, msv_cmd_listscripts },
	{ "GETSCRIPT", 1, 1, AFTER, msv_cmd_getscript },
	{ "PUTSCRIPT", 2, 2, AFTER, msv_cmd_putscript },
	{ "CHECKSCRIPT", 1, 1, AFTER, msv_cmd_checkscript },
	{ "SETACTIVE", 1, 1, AFTER, msv_cmd_setactive },
	{ "DELETESCRIPT", 1, 1, AFTER, msv_cmd_deletescript },
	{ "RENAMESCRIPT", 2, 2, AFTER, msv_cmd_renamescript },
	{ "HAVESPACE", 2, 2, AFTER, msv_cmd_havespace },
};

static const struct command *find(const struct msv_arg *name)
{
	if (!name->atom)
		return NULL;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcasecmp(name->s, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* Arguments other than the first are strings, except HAVESPACE's size. */
static bool strings_ok(const struct msv_args *a, const struct command *cmd)
{
	for (int i = 1; i < a->n; i++)
		if (a->v[i].atom && !(i == 2 && cmd->run == msv_cmd_havespace))
			return false;
	return true;
}

static void dispatch(struct msv_client *c)
{
	struct msv_args *a = &c->args;
	if (a->lit_too_big) {
		msv_no(c, false, "QUOTA/MAXSIZE", "a literal is limited to %d bytes",
		       MSV_LITERAL_MAX);
		return;
	}
	if (a->bad) {
		msv_no(c, true, NULL, "%s", a->error);
		return;
	}
	if (a->n == 0) {
		msv_no(c, true, NULL, "empty command");
		return;
	}
	const struct command *cmd = find(&a->v[0]);
	if (cmd == NULL) {
		msv_no(c, true, NULL, "unknown command");
		return;
	}
	if (a->n - 1 < cmd->min || a->n - 1 > cmd->max || !strings_ok(a, cmd)) {
		msv_no(c, true, NULL, "wrong arguments for %s", cmd->name);
		return;
	}
	if (cmd->when == AFTER && !c->authed) {
		msv_no(c, true, NULL, "log in first (AUTHENTICATE)");
		return;
	}
	if (cmd->when == BEFORE && c->authed) {
		msv_no(c, true, NULL, "already logged in");
		return;
	}
	cmd->run(c);
}

void msv_command(struct msv_client *c)
{
	if (c->sasl != NULL)
		msv_auth_response(c);
	else
		dispatch(c);
	msv_args_clear(&c->args);
}
