/*
 * pop3_session.c - the POP3 state machine: greeting, dispatch by state,
 * CAPA, and the TRANSACTION commands (STAT, LIST, UIDL, RETR, TOP, DELE,
 * RSET, NOOP) and QUIT with its UPDATE state; see pop3_session.h.
 */
#include "pop3_session.h"
#include "pop3_maildrop.h"
#include "pop3_retr.h"
#include "log.h"
#include "store.h"
#include "wakeup.h"

#include <inttypes.h>
#include <string.h>

void pop3_session_greet(struct pop3_client *c)
{
	c->greeted = true;
	if (auth_settings(c->srv->auth)->retrievable_secrets) {
		sasl_make_timestamp(c->srv->hostname, c->timestamp, sizeof c->timestamp);
		pop3_reply(c, "+OK %s %s", c->srv->set.banner, c->timestamp);
	} else {
		pop3_reply(c, "+OK %s", c->srv->set.banner);
	}
}

/* ---- CAPA (RFC 2449) ---- */

static void cmd_capa(struct pop3_client *c)
{
	pop3_reply(c, "+OK capability list follows");
	pop3_reply(c, "TOP");
	pop3_reply(c, "UIDL");
	pop3_reply(c, "RESP-CODES");
	pop3_reply(c, "AUTH-RESP-CODE");
	pop3_reply(c, "PIPELINING");
	if (c->state == POP3_AUTHORIZATION) {
		char mechs[128];
		if (pop3_client_plaintext_ok(c))
			pop3_reply(c, "USER");
		pop3_auth_mechanisms(c, mechs, sizeof mechs);
		if (mechs[0] != '\0')
			pop3_reply(c, "SASL %s", mechs);
		if (c->srv->w.tls != NULL && c->conn.tls_state == CLIENT_TLS_NONE)
			pop3_reply(c, "STLS");
	}
	pop3_reply(c, "IMPLEMENTATION ems");
	pop3_reply(c, ".");
}

/* ---- TRANSACTION ---- */

/* The message an argument names, or NULL after the -ERR. */
static struct pop3_msg *message_arg(struct pop3_client *c, const char *arg)
{
	unsigned long n;
	if (pop3_parse_number(arg, &n) < 0) {
		pop3_client_error(c, "not a message number: %.32s", arg);
		return NULL;
	}
	struct pop3_msg *m = pop3_maildrop_get(c->drop, n);
	if (m == NULL)
		pop3_reply(c, "-ERR no message %lu%s", n,
		           n >= 1 && n <= c->drop->n ? " (deleted)" : "");
	return m;
}

static void cmd_stat(struct pop3_client *c)
{
	pop3_reply(c, "+OK %zu %" PRId64, c->drop->n - c->drop->n_deleted, c->drop->octets);
}

/* LIST and UIDL: one message, or all that are not deleted. */
static void cmd_list(struct pop3_client *c, const struct pop3_cmd *cmd, bool uidl)
{
	struct pop3_maildrop *d = c->drop;
	char uid[17];
	if (cmd->argc == 1) {
		struct pop3_msg *m = message_arg(c, cmd->argv[0]);
		if (m == NULL)
			return;
		unsigned long n = (unsigned long)(m - d->msgs) + 1;
		pop3_maildrop_uidl(d, m, uid);
		if (uidl)
			pop3_reply(c, "+OK %lu %s", n, uid);
		else
			pop3_reply(c, "+OK %lu %" PRId64, n, m->size);
		return;
	}
	if (uidl)
		pop3_reply(c, "+OK unique-id listing follows");
	else
		pop3_reply(c, "+OK %zu messages (%" PRId64 " octets)", d->n - d->n_deleted, d->octets);
	for (size_t i = 0; i < d->n; i++) {
		if (d->msgs[i].deleted)
			continue;
		pop3_maildrop_uidl(d, &d->msgs[i], uid);
		if (uidl)
			pop3_reply(c, "%zu %s", i + 1, uid);
		else
			pop3_reply(c, "%zu %" PRId64, i + 1, d->msgs[i].size);
	}
	pop3_reply(c, ".");
}

static void cmd_retr(struct pop3_client *c, const struct pop3_cmd *cmd)
{
	struct pop3_msg *m = message_arg(c, cmd->argv[0]);
	if (m != NULL)
		pop3_retr(c, m, -1);
}

static void cmd_top(struct pop3_client *c, const struct pop3_cmd *cmd)
{
	unsigned long lines;
	if (pop3_parse_number(cmd->argv[1], &lines) < 0) {
		pop3_client_error(c, "not a line count: %.32s", cmd->argv[1]);
		return;
	}
	struct pop3_msg *m = message_arg(c, cmd->argv[0]);
	if (m != NULL)
		pop3_retr(c, m, (long)lines);
}

static void cmd_dele(struct pop3_client *c, const struct pop3_cmd *cmd)
{
	struct pop3_msg *m = message_arg(c, cmd->argv[0]);
	if (m == NULL)
		return;
	pop3_maildrop_delete(c->drop, m);
	pop3_reply(c, "+OK message %s deleted", cmd->argv[0]);
}

static void cmd_rset(struct pop3_client *c)
{
	pop3_maildrop_reset(c->drop);
	pop3_reply(c, "+OK maildrop has %zu messages (%" PRId64 " octets)", c->drop->n,
	           c->drop->octets);
}

/* ---- dispatch ---- */

static void dispatch(struct pop3_client *c, const struct pop3_cmd *cmd)
{
	switch (cmd->id) {
	case POP3_CMD_USER: pop3_cmd_user(c, cmd); break;
	case POP3_CMD_PASS: pop3_cmd_pass(c, cmd); break;
	case POP3_CMD_APOP: pop3_cmd_apop(c, cmd); break;
	case POP3_CMD_AUTH: pop3_cmd_auth(c, cmd); break;
	case POP3_CMD_STLS: pop3_cmd_stls(c, cmd); break;
	case POP3_CMD_CAPA: cmd_capa(c); break;
	case POP3_CMD_QUIT: pop3_cmd_quit(c); break;
	case POP3_CMD_STAT: cmd_stat(c); break;
	case POP3_CMD_LIST: cmd_list(c, cmd, false); break;
	case POP3_CMD_UIDL: cmd_list(c, cmd, true); break;
	case POP3_CMD_RETR: cmd_retr(c, cmd); break;
	case POP3_CMD_TOP: cmd_top(c, cmd); break;
	case POP3_CMD_DELE: cmd_dele(c, cmd); break;
	case POP3_CMD_RSET: cmd_rset(c); break;
	case POP3_CMD_NOOP: pop3_reply(c, "+OK"); break;
	case POP3_CMD_XTND: pop3_cmd_xtnd(c, cmd); break;
	default: pop3_client_error(c, "unknown command"); break;
	}
}

void pop3_session_line(struct pop3_client *c, char *line, size_t len)
{
	if (c->sasl != NULL) {
		pop3_auth_response(c, line, len);
		return;
	}
	struct pop3_cmd cmd;
	const char *why = "";
	enum pop3_parse_result r = pop3_cmd_parse(line, len, c->state, &cmd, &why);
	if (r != POP3_PARSE_OK) {
		if (r == POP3_PARSE_UNKNOWN)
			pop3_client_error(c, "%s", why);
		else
			pop3_client_error(c, "%s: %s", pop3_cmd_name(cmd.id), why);
		return;
	}
	log_debug("pop3_command", "session=%s command=%s", c->session, pop3_cmd_name(cmd.id));
	dispatch(c, &cmd);
}
