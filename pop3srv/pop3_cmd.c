/*
 * pop3_cmd.c - the POP3 command parser; see pop3_cmd.h.  One table says
 * each command's name, argument counts and the state it belongs to.
 */
#include "pop3_cmd.h"

#include <string.h>
#include <strings.h>

#define IN_AUTH  1u
#define IN_TRANS 2u

static const struct spec {
	const char *name;
	int min, max;        /* arguments */
	bool rest;           /* the last argument runs to the end of the line */
	unsigned states;
} specs[POP3_CMD_COUNT] = {
	[POP3_CMD_USER] = { "USER", 1, 1, true, IN_AUTH },
	[POP3_CMD_PASS] = { "PASS", 1, 1, true, IN_AUTH },
	[POP3_CMD_APOP] = { "APOP", 2, 2, false, IN_AUTH },
	[POP3_CMD_AUTH] = { "AUTH", 0, 2, false, IN_AUTH },
	[POP3_CMD_STLS] = { "STLS", 0, 0, false, IN_AUTH },
	[POP3_CMD_CAPA] = { "CAPA", 0, 0, false, IN_AUTH | IN_TRANS },
	[POP3_CMD_QUIT] = { "QUIT", 0, 0, false, IN_AUTH | IN_TRANS },
	[POP3_CMD_STAT] = { "STAT", 0, 0, false, IN_TRANS },
	[POP3_CMD_LIST] = { "LIST", 0, 1, false, IN_TRANS },
	[POP3_CMD_RETR] = { "RETR", 1, 1, false, IN_TRANS },
	[POP3_CMD_DELE] = { "DELE", 1, 1, false, IN_TRANS },
	[POP3_CMD_NOOP] = { "NOOP", 0, 0, false, IN_TRANS },
	[POP3_CMD_RSET] = { "RSET", 0, 0, false, IN_TRANS },
	[POP3_CMD_TOP] = { "TOP", 2, 2, false, IN_TRANS },
	[POP3_CMD_UIDL] = { "UIDL", 0, 1, false, IN_TRANS },
	[POP3_CMD_XTND] = { "XTND", 1, 2, true, IN_TRANS },
};

const char *pop3_cmd_name(enum pop3_cmd_id id)
{
	return specs[id].name;
}

int pop3_parse_number(const char *s, unsigned long *out)
{
	unsigned long v = 0;
	size_t n = 0;
	for (; s[n] >= '0' && s[n] <= '9'; n++)
		v = v * 10 + (unsigned long)(s[n] - '0');
	if (n == 0 || n > 9 || s[n] != '\0')
		return -1;
	*out = v;
	return 0;
}

static bool clean(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];
		if (ch < ' ' && ch != '\t')
			return false;
		if (ch == 0x7f)
			return false;
	}
	return true;
}

/* Splits ARGS into OUT's arguments by single spaces. */
static int split_args(char *args, const struct spec *sp, struct pop3_cmd *out)
{
	out->argc = 0;
	if (args == NULL)
		return sp->min == 0 ? 0 : -1;
	while (*args != '\0') {
		if (out->argc == sp->max)
			return -1;
		if (*args == ' ')
			return -1;        /* an empty argument: two spaces */
		out->argv[out->argc++] = args;
		if (sp->rest && out->argc == sp->max)
			break;
		char *sp_at = strchr(args, ' ');
		if (sp_at == NULL)
			break;
		*sp_at = '\0';
		args = sp_at + 1;
		if (*args == '\0')
			return -1;        /* a trailing space */
	}
	return out->argc >= sp->min ? 0 : -1;
}

enum pop3_parse_result pop3_cmd_parse(char *line, size_t len, enum pop3_state state,
                                      struct pop3_cmd *out, const char **why)
{
	memset(out, 0, sizeof *out);
	if (strlen(line) != len || !clean(line, len)) {
		*why = "control characters in the command";
		return POP3_PARSE_BAD_ARGS;
	}
	char *args = strchr(line, ' ');
	size_t nlen = args ? (size_t)(args - line) : len;
	if (args != NULL)
		*args++ = '\0';
	int id = -1;
	for (int i = 0; i < POP3_CMD_COUNT && nlen <= 4; i++)
		if (strcasecmp(line, specs[i].name) == 0)
			id = i;
	if (id < 0) {
		*why = "unknown command";
		return POP3_PARSE_UNKNOWN;
	}
	out->id = (enum pop3_cmd_id)id;
	const struct spec *sp = &specs[id];
	unsigned bit = state == POP3_AUTHORIZATION ? IN_AUTH : IN_TRANS;
	if (!(sp->states & bit)) {
		*why = state == POP3_AUTHORIZATION ? "log in first"
		                                   : "not allowed after logging in";
		return POP3_PARSE_WRONG_STATE;
	}
	if (split_args(args, sp, out) < 0) {
		*why = sp->min == sp->max && sp->min == 0 ? "this command takes no arguments"
		                                          : "wrong number of arguments";
		return POP3_PARSE_BAD_ARGS;
	}
	return POP3_PARSE_OK;
}
