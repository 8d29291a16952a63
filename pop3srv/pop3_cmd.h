/*
 * pop3_cmd.h - the POP3 command parser: one input line into a command
 * and its arguments, checked against the command's syntax and against
 * the state the session is in.  Pure: no I/O, no store, so the unit test
 * (t/unit/pop3_cmd.c) and a fuzzer can drive it directly.
 *
 * Command names are case-insensitive keywords of up to four letters
 * (RFC 1939 section 3); arguments are separated by single spaces.  USER
 * and PASS take the rest of the line as one argument, since names and
 * passwords may hold spaces; so does XTND CLIENT's text.
 */
#ifndef POP3_CMD_H
#define POP3_CMD_H

#include <stdbool.h>
#include <stddef.h>

enum pop3_cmd_id {
	POP3_CMD_USER,
	POP3_CMD_PASS,
	POP3_CMD_APOP,
	POP3_CMD_AUTH,
	POP3_CMD_STLS,
	POP3_CMD_CAPA,
	POP3_CMD_QUIT,
	POP3_CMD_STAT,
	POP3_CMD_LIST,
	POP3_CMD_RETR,
	POP3_CMD_DELE,
	POP3_CMD_NOOP,
	POP3_CMD_RSET,
	POP3_CMD_TOP,
	POP3_CMD_UIDL,
	POP3_CMD_XTND,
	POP3_CMD_COUNT
};

/* The session states of RFC 1939 in which commands are read (UPDATE
 * only runs after QUIT). */
enum pop3_state {
	POP3_AUTHORIZATION,
	POP3_TRANSACTION,
};

#define POP3_ARGS_MAX 2

struct pop3_cmd {
	enum pop3_cmd_id id;
	int argc;
	char *argv[POP3_ARGS_MAX];  /* point into the parsed line */
};

enum pop3_parse_result {
	POP3_PARSE_OK,
	POP3_PARSE_UNKNOWN,     /* no such command */
	POP3_PARSE_BAD_ARGS,    /* wrong number or form of arguments */
	POP3_PARSE_WRONG_STATE, /* a command of the other state */
};

/*
 * Parses LINE (LEN bytes, NUL-terminated, terminator removed), which it
 * modifies, into OUT for a session in STATE.  Returns POP3_PARSE_OK, or
 * another result with *WHY set to a sentence for the -ERR reply (OUT->id
 * is set for BAD_ARGS and WRONG_STATE).  A line holding a NUL byte or
 * another control character is BAD_ARGS.
 */
enum pop3_parse_result pop3_cmd_parse(char *line, size_t len, enum pop3_state state,
                                      struct pop3_cmd *out, const char **why);

/* The command's name in capitals ("RETR"). */
const char *pop3_cmd_name(enum pop3_cmd_id id);

/* Parses a message number or line count: decimal digits only, no sign,
 * at most 9 digits.  Returns 0 with *OUT set, or -1. */
int pop3_parse_number(const char *s, unsigned long *out);

#endif
