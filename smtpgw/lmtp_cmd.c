/*
 * lmtp_cmd.c - parses LMTP command lines for lmtp_session.c; see
 * lmtp_cmd.h.  Replies for bad input are whole lines with enhanced
 * status codes (RFC 3463).
 */
#include "lmtp_cmd.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *word;
	enum lmtp_verb verb;
	bool takes_arg;
} verbs[] = {
	{ "LHLO", LMTP_LHLO, true }, { "HELO", LMTP_HELO, true },
	{ "EHLO", LMTP_HELO, true }, { "MAIL", LMTP_MAIL, true },
	{ "RCPT", LMTP_RCPT, true }, { "DATA", LMTP_DATA, false },
	{ "RSET", LMTP_RSET, false }, { "NOOP", LMTP_NOOP, true },
	{ "QUIT", LMTP_QUIT, false }, { "VRFY", LMTP_VRFY, true },
	{ "HELP", LMTP_HELP, true }, { "STARTTLS", LMTP_STARTTLS, false },
};

/* Skips blanks. */
static char *skip(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Parses "SIZE=n" / "BODY=x" parameters of MAIL. */
static int mail_param(char *kv, struct lmtp_cmd *cmd, const char **reply)
{
	char *eq = strchr(kv, '=');
	if (eq == NULL) {
		*reply = "555 5.5.4 Unsupported MAIL parameter";
		return -1;
	}
	*eq = '\0';
	const char *v = eq + 1;
	if (strcasecmp(kv, "SIZE") == 0) {
		char *end;
		errno = 0;
		long long n = strtoll(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end != '\0' || errno != 0 || n < 0) {
			*reply = "501 5.5.4 SIZE needs a number";
			return -1;
		}
		cmd->size = n;
		return 0;
	}
	if (strcasecmp(kv, "BODY") == 0) {
		if (strcasecmp(v, "7BIT") == 0)
			cmd->body = LMTP_BODY_7BIT;
		else if (strcasecmp(v, "8BITMIME") == 0)
			cmd->body = LMTP_BODY_8BITMIME;
		else {
			*reply = "555 5.5.4 BODY must be 7BIT or 8BITMIME";
			return -1;
		}
		return 0;
	}
	*reply = "555 5.5.4 Unsupported MAIL parameter";
	return -1;
}

/* Parses "FROM:<path> params" or "TO:<path>" after MAIL/RCPT. */
static int parse_path(char *p, const char *prefix, struct lmtp_cmd *cmd,
                      const char **reply)
{
	size_t plen = strlen(prefix);
	bool mail = cmd->verb == LMTP_MAIL;

	if (strncasecmp(p, prefix, plen) != 0) {
		*reply = mail ? "501 5.5.4 Syntax: MAIL FROM:<address>"
		              : "501 5.5.4 Syntax: RCPT TO:<address>";
		return -1;
	}
	p = skip(p + plen);
	char *close = *p == '<' ? strchr(p, '>') : NULL;
	if (close == NULL) {
		*reply = "501 5.5.4 The address goes in angle brackets: <user@domain>";
		return -1;
	}
	char *rest = close + 1;
	char saved = *rest;
	*rest = '\0';
	/* RCPT TO:<user> is what Dovecot's LMTP takes too: the session
	 * qualifies it with the default domain */
	int bad = mail ? addr_normalize(p, cmd->path, sizeof cmd->path, true)
	               : addr_qualify(p, NULL, cmd->path, sizeof cmd->path) < 0;
	*rest = saved;
	if (bad) {
		*reply = mail ? "501 5.1.7 Bad sender address syntax"
		              : "501 5.1.3 Bad recipient address syntax";
		return -1;
	}
	char *save = NULL;
	for (char *kv = strtok_r(rest, " \t", &save); kv != NULL;
	     kv = strtok_r(NULL, " \t", &save)) {
		if (!mail) {
			*reply = "555 5.5.4 Unsupported RCPT parameter";
			return -1;
		}
		if (mail_param(kv, cmd, reply) < 0)
			return -1;
	}
	return 0;
}

int lmtp_cmd_parse(char *line, size_t len, struct lmtp_cmd *cmd, const char **reply)
{
	size_t i;

	memset(cmd, 0, sizeof *cmd);
	cmd->size = -1;
	if (memchr(line, '\0', len) != NULL) {
		*reply = "500 5.5.2 NUL byte in command";
		return -1;
	}
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	size_t wlen = strcspn(line, " \t");
	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (wlen == strlen(verbs[i].word) && strncasecmp(line, verbs[i].word, wlen) == 0)
			break;
	if (i == sizeof verbs / sizeof verbs[0]) {
		*reply = "500 5.5.1 Unknown command";
		return -1;
	}
	cmd->verb = verbs[i].verb;
	char *arg = skip(line + wlen);
	if (!verbs[i].takes_arg && *arg != '\0') {
		*reply = "501 5.5.4 This command takes no argument";
		return -1;
	}
	cmd->arg = arg;
	switch (cmd->verb) {
	case LMTP_LHLO:
		if (*arg == '\0' || strpbrk(arg, " \t") != NULL) {
			*reply = "501 5.5.4 Syntax: LHLO hostname";
			return -1;
		}
		return 0;
	case LMTP_MAIL:
		return parse_path(arg, "FROM:", cmd, reply);
	case LMTP_RCPT:
		return parse_path(arg, "TO:", cmd, reply);
	default:
		return 0;
	}
}
