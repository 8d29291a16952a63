/*
 * imap_command.c - turns a client's input into commands and runs them;
 * see imap_command.h.  A command is assembled whole (its lines, and the
 * literals they announce, up to their limits) before it runs, so a
 * connection dropped in the middle of an APPEND leaves nothing behind.
 * APPEND's message literal, when larger than a small literal, goes to a
 * spool file (libcommon/spool.h) as it arrives instead of into the
 * command buffer: memory does not grow with the message.
 * While a command waits for the client (IDLE, AUTHENTICATE) lines go to
 * it; while one is suspended on output no input is read at all.
 */
#include "imap_command.h"
#include "imap_commands.h"
#include "imap_trace.h"
#include "imap_view.h"
#include "log.h"
#include "spool.h"
#include "stats.h"
#include "store_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_NOAUTH (1u << IMAP_NOT_AUTH)
#define S_AUTH   (1u << IMAP_AUTH)
#define S_SEL    (1u << IMAP_SELECTED)
#define S_LOGGED (S_AUTH | S_SEL)
#define S_ANY    (S_NOAUTH | S_AUTH | S_SEL)

/* The command buffer is kept between commands up to this size. */
#define CMD_KEEP 4096

static const struct command {
	const char *name;
	unsigned states;
	bool uid_form;          /* also "UID <name>" */
	bool no_expunge;        /* EXPUNGE responses wait (not for the UID form) */
	enum cmd_result (*fn)(struct imap_client *c);
} commands[] = {
	{ "CAPABILITY", S_ANY, false, false, imap_cmd_capability },
	{ "NOOP", S_ANY, false, false, imap_cmd_noop },
	{ "LOGOUT", S_ANY, false, false, imap_cmd_logout },
	{ "ID", S_ANY, false, false, imap_cmd_id },
	{ "STARTTLS", S_NOAUTH, false, false, imap_cmd_starttls },
	{ "LOGIN", S_NOAUTH, false, false, imap_cmd_login },
	{ "AUTHENTICATE", S_NOAUTH, false, false, imap_cmd_authenticate },
	{ "ENABLE", S_LOGGED, false, false, imap_cmd_enable },
	{ "SELECT", S_LOGGED, false, false, imap_cmd_select },
	{ "EXAMINE", S_LOGGED, false, false, imap_cmd_examine },
	{ "CREATE", S_LOGGED, false, false, imap_cmd_create },
	{ "DELETE", S_LOGGED, false, false, imap_cmd_delete },
	{ "RENAME", S_LOGGED, false, false, imap_cmd_rename },
	{ "SUBSCRIBE", S_LOGGED, false, false, imap_cmd_subscribe },
	{ "UNSUBSCRIBE", S_LOGGED, false, false, imap_cmd_unsubscribe },
	{ "LIST", S_LOGGED, false, false, imap_cmd_list },
	{ "LSUB", S_LOGGED, false, false, imap_cmd_lsub },
	{ "STATUS", S_LOGGED, false, false, imap_cmd_status },
	{ "NAMESPACE", S_LOGGED, false, false, imap_cmd_namespace },
	{ "APPEND", S_LOGGED, false, false, imap_cmd_append },
	{ "IDLE", S_LOGGED, false, false, imap_cmd_idle },
	{ "GETQUOTA", S_LOGGED, false, false, imap_cmd_getquota },
	{ "GETQUOTAROOT", S_LOGGED, false, false, imap_cmd_getquotaroot },
	{ "SETQUOTA", S_LOGGED, false, false, imap_cmd_setquota },
	{ "CHECK", S_SEL, false, false, imap_cmd_check },
	{ "CLOSE", S_SEL, false, false, imap_cmd_close },
	{ "UNSELECT", S_SEL, false, false, imap_cmd_unselect },
	{ "EXPUNGE", S_SEL, true, false, imap_cmd_expunge },
	{ "SEARCH", S_SEL, true, true, imap_cmd_search },
	{ "FETCH", S_SEL, true, true, imap_cmd_fetch },
	{ "STORE", S_SEL, true, true, imap_cmd_store },
	{ "COPY", S_SEL, true, false, imap_cmd_copy },
	{ "MOVE", S_SEL, true, false, imap_cmd_move },
};

int imap_command_greet(struct imap_client *c)
{
	char caps[1024];
	imap_capability(c, caps, sizeof caps);
	c->greeted = true;
	return imap_outf(c, "* OK [CAPABILITY %s] %s\r\n", caps, c->srv->set.banner);
}

/* ---- finishing ---- */

static void drop_state(struct imap_cmd *cmd)
{
	store_job_cancel(cmd->job);   /* the client went away while it ran */
	cmd->job = NULL;
	if (cmd->state != NULL && cmd->state_free != NULL)
		cmd->state_free(cmd->state);
	cmd->state = NULL;
	cmd->state_free = NULL;
}

void imap_command_reset(struct imap_client *c)
{
	drop_state(&c->active);
	c->busy = false;
	c->idling = false;
}

static void reset_assembly(struct imap_client *c)
{
	c->cmd_len = 0;
	c->in_literal = false;
	c->literal_spooled = false;
	c->literal_left = 0;
	spool_free(c->spool);   /* a command that ran is done with it */
	c->spool = NULL;
	if (c->cmd_cap > CMD_KEEP) {
		free(c->cmd);
		c->cmd = NULL;
		c->cmd_cap = 0;
	}
}

void imap_view_gone(struct imap_client *c)
{
	imap_outs(c, "* BYE [NONEXISTENT] the selected mailbox was deleted\r\n");
	c->conn.closing = true;
}

void imap_command_finish(struct imap_client *c, enum cmd_result r)
{
	struct imap_cmd *cmd = &c->active;
	switch (r) {
	case CMD_SUSPEND:
	case CMD_INPUT:
		c->busy = true;
		return;
	case CMD_CLOSE:
		c->conn.closing = true;
		break;
	case CMD_DONE:
		/* the untagged updates due before the tagged answer: a read
		 * job, which comes back here with synced set */
		if (c->view != NULL && !cmd->synced && !c->conn.closing &&
		    imap_view_sync_start(c, !cmd->no_expunge) == CMD_SUSPEND) {
			c->busy = true;
			return;
		}
		if (imap_outf(c, "%s %s %s\r\n", cmd->tag, cmd->status, cmd->text) < 0)
			c->conn.closing = true;
		if (c->state == IMAP_LOGOUT)
			c->conn.closing = true;
		break;
	}
	imap_command_reset(c);
	cmd->resume = NULL;
	cmd->on_line = NULL;
	reset_assembly(c);
}

/* ---- dispatch ---- */

static const struct command *find(const struct imap_str *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (imap_str_eq(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static enum cmd_result untagged_bad(struct imap_client *c, const char *why)
{
	imap_outf(c, "* BAD %s\r\n", why);
	imap_command_reset(c);
	reset_assembly(c);
	return CMD_INPUT;    /* nothing to finish: no tag */
}

/* Parses "tag SP [UID SP] name" and runs the handler. */
static void run(struct imap_client *c)
{
	struct imap_cmd *cmd = &c->active;
	struct imap_str tag, name;
	memset(cmd, 0, sizeof *cmd);
	imap_parser_init(&cmd->p, c->cmd, c->cmd_len);
	if (c->spool != NULL)
		cmd->p.spooled_at = c->spool_at;
	cmd->p.utf8 = imap_utf8_names(c);
	if (imap_p_tag(&cmd->p, &tag) < 0 || tag.len > IMAP_TAG_MAX) {
		untagged_bad(c, tag.len > IMAP_TAG_MAX ? "tag too long" : "missing or bad tag");
		c->busy = false;
		return;
	}
	memcpy(cmd->tag, tag.p, tag.len);
	strcpy(cmd->name, "?");
	if (imap_p_sp(&cmd->p) < 0 || imap_p_atom(&cmd->p, &name) < 0) {
		imap_command_finish(c, imap_done(c, "BAD", "missing command"));
		return;
	}
	if (imap_str_eq(&name, "UID")) {
		cmd->uid = true;
		if (imap_p_sp(&cmd->p) < 0 || imap_p_atom(&cmd->p, &name) < 0) {
			imap_command_finish(c, imap_done(c, "BAD", "UID needs a command"));
			return;
		}
	}
	const struct command *def = find(&name);
	if (def == NULL || (cmd->uid && !def->uid_form)) {
		imap_command_finish(c, imap_done(c, "BAD", "unknown command"));
		return;
	}
	snprintf(cmd->name, sizeof cmd->name, "%s", def->name);
	stats_imap_command(def->name);
	if (!(def->states & (1u << c->state))) {
		imap_command_finish(c, imap_done(c, "BAD", "%s is not allowed %s", def->name,
		                                 c->state == IMAP_NOT_AUTH ? "before login"
		                                 : c->state == IMAP_SELECTED ? "now"
		                                 : "without a selected mailbox"));
		return;
	}
	cmd->no_expunge = def->no_expunge && !cmd->uid;
	imap_command_finish(c, def->fn(c));
}

/* ---- assembly ---- */

static int append(struct imap_client *c, const char *data, size_t len)
{
	if (c->cmd_len + len + 1 > c->cmd_cap) {
		size_t cap = c->cmd_cap ? c->cmd_cap : 256;
		while (cap < c->cmd_len + len + 1)
			cap *= 2;
		char *p = realloc(c->cmd, cap);
		if (p == NULL) {
			log_error("imap_command", "session=%s error=\"out of memory\" size=%zu",
			          c->session, cap);
			return -1;
		}
		c->cmd = p;
		c->cmd_cap = cap;
	}
	memcpy(c->cmd + c->cmd_len, data, len);
	c->cmd_len += len;
	c->cmd[c->cmd_len] = '\0';
	return 0;
}

/* The command word of the command being assembled ("APPEND", "LOGIN"),
 * looked at before it is complete, to pick limits and trace masks. */
static void peek_name(const char *buf, size_t len, char *name, size_t size)
{
	const char *sp = memchr(buf, ' ', len);
	size_t i = 0;
	name[0] = '\0';
	if (sp == NULL)
		return;
	const char *p = sp + 1, *end = buf + len;
	if (end - p > 4 && strncasecmp(p, "UID ", 4) == 0)
		p += 4;
	while (p < end && *p != ' ' && i + 1 < size)
		name[i++] = *p++;
	name[i] = '\0';
}

static bool hides_arguments(const char *name)
{
	return strcasecmp(name, "LOGIN") == 0 || strcasecmp(name, "AUTHENTICATE") == 0;
}

static void trace_line(struct imap_client *c, const char *line, size_t len)
{
	char name[16];
	if (c->trace == NULL)
		return;
	peek_name(c->cmd_len ? c->cmd : line, c->cmd_len ? c->cmd_len : len, name, sizeof name);
	if (c->busy && c->active.on_line != NULL && !c->idling) {
		imap_trace_note(c->trace, "authentication data hidden");
		return;
	}
	if (hides_arguments(name)) {
		/* the tag and the command word stay, the rest goes */
		const char *sp = memchr(line, ' ', len);
		sp = sp ? memchr(sp + 1, ' ', len - (size_t)(sp + 1 - line)) : NULL;
		size_t keep = c->cmd_len > 0 ? 0 : sp ? (size_t)(sp - line) : len;
		imap_trace_client_line(c->trace, line, keep);
		imap_trace_note(c->trace, "arguments hidden");
		return;
	}
	imap_trace_client_line(c->trace, line, len);
}

/* Refuses a literal before a byte of it is read, with STATUS and TEXT.
 * A synchronizing one was not sent yet, so the connection goes on; a
 * non-synchronizing one is already on its way and would be read as
 * commands, so the connection ends (RFC 7888 section 4 leaves the
 * server this choice). */
static int refuse_literal(struct imap_client *c, bool nonsync, const char *status,
                          const char *text)
{
	char tag[IMAP_TAG_MAX + 1];
	size_t n = strcspn(c->cmd, " ");
	snprintf(tag, sizeof tag, "%.*s", (int)(n < IMAP_TAG_MAX ? n : IMAP_TAG_MAX), c->cmd);
	imap_outf(c, "%s %s %s\r\n", tag, status, text);
	reset_assembly(c);
	if (!nonsync)
		return 1;
	imap_outs(c, "* BYE non-synchronizing literal refused\r\n");
	return -1;
}

static int too_big(struct imap_client *c, bool nonsync, bool is_append)
{
	log_info("imap_toobig", "session=%s nonsync=%s", c->session,
	         nonsync ? "yes" : "no");
	return refuse_literal(c, nonsync, is_append ? "NO" : "BAD", "[TOOBIG] literal too big");
}

/* APPEND's message literal of SIZE bytes, announced at the end of LINE
 * (already in the command buffer), is to go to a spool file. */
static int start_spool(struct imap_client *c, const char *line, size_t len, bool nonsync)
{
	const char *brace = memrchr(line, '{', len);
	c->spool = spool_new(c->srv->spool_dir);
	if (c->spool == NULL || brace == NULL)
		return refuse_literal(c, nonsync, "NO",
		                      "[UNAVAILABLE] the message cannot be received now");
	c->spool_at = c->cmd_len - (len - (size_t)(brace - line));
	c->literal_spooled = true;
	return 0;
}

/* A line of the command was added; it may announce a literal. */
static int line_added(struct imap_client *c, const char *line, size_t len)
{
	uint32_t size;
	bool nonsync;
	char name[16];
	int r = imap_literal_at_end(line, len, &size, &nonsync);
	if (r == 0) {
		run(c);
		return 1;
	}
	peek_name(c->cmd, c->cmd_len, name, sizeof name);
	bool is_append = strcasecmp(name, "APPEND") == 0;
	size_t limit = is_append ? c->srv->set.max_append : IMAP_SMALL_LITERAL_MAX;
	size_t total = IMAP_COMMAND_MAX + (is_append ? c->srv->set.max_append : 0);
	if (r < 0 || size > limit || c->cmd_len + size > total)
		return too_big(c, r < 0 || nonsync, is_append);
	c->literal_spooled = false;
	if (is_append && size > IMAP_SMALL_LITERAL_MAX && c->spool == NULL) {
		int s = start_spool(c, line, len, nonsync);
		if (s != 0)
			return s;
	}
	if (append(c, "\r\n", 2) < 0)
		return -1;
	c->in_literal = size > 0;
	c->literal_left = size;
	if (!nonsync && imap_outs(c, "+ Ready for literal data\r\n") < 0)
		return -1;
	return 1;
}

static int literal_step(struct imap_client *c)
{
	const char *data;
	size_t len;
	char name[16];
	enum ios_status st = ios_read_bytes(c->conn.ios, c->literal_left, &data, &len);
	if (st == IOS_NEED_MORE)
		return 0;
	if (st == IOS_EOF)
		return -1;
	if (c->trace) {
		peek_name(c->cmd, c->cmd_len, name, sizeof name);
		imap_trace_client_literal(c->trace, data, len, hides_arguments(name));
	}
	/* a spool that failed (disk full) is refused when APPEND runs */
	if (c->literal_spooled)
		(void)spool_write(c->spool, data, len);
	else if (append(c, data, len) < 0)
		return -1;
	c->literal_left -= (uint32_t)len;
	c->in_literal = c->literal_left > 0;
	return 1;
}

static int line_step(struct imap_client *c)
{
	char *line;
	size_t len;
	enum ios_status st = ios_read_line(c->conn.ios, &line, &len);
	switch (st) {
	case IOS_NEED_MORE:
		return 0;
	case IOS_EOF:
		return -1;
	case IOS_TOO_LONG:
		log_info("imap_toolong", "session=%s", c->session);
		if (c->cmd_len > 0 || c->busy) {
			imap_outs(c, "* BYE [TOOBIG] command line too long\r\n");
			return -1;
		}
		imap_outs(c, "* BAD [TOOBIG] command line too long\r\n");
		return 1;
	case IOS_OK:
		break;
	}
	trace_line(c, line, len);
	if (c->busy) {
		imap_command_finish(c, c->active.on_line(c, line, len));
		return 1;
	}
	if (c->cmd_len == 0 && len == 0)
		return 1;   /* an empty line is no command: ignore it */
	if (c->cmd_len + len > IMAP_COMMAND_MAX + c->srv->set.max_append) {
		imap_outs(c, "* BYE [TOOBIG] command too long\r\n");
		return -1;
	}
	if (append(c, line, len) < 0)
		return -1;
	return line_added(c, line, len);
}

int imap_command_step(struct imap_client *c)
{
	if (c->busy && c->active.resume != NULL) {
		imap_command_finish(c, c->active.resume(c));
		return 1;
	}
	if (c->busy && c->active.on_line == NULL)
		return 0;
	if (c->in_literal)
		return literal_step(c);
	return line_step(c);
}
