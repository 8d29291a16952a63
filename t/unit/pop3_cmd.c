/* Unit tests for pop3srv/pop3_cmd.c: the POP3 command parser, argument
 * counts, the state each command belongs to, and number parsing. */
#include "../../pop3srv/pop3_cmd.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

static enum pop3_parse_result parse(const char *text, enum pop3_state state,
                                    struct pop3_cmd *cmd, char *buf)
{
	const char *why;
	strcpy(buf, text);
	return pop3_cmd_parse(buf, strlen(buf), state, cmd, &why);
}

static void test_commands(void)
{
	struct pop3_cmd cmd;
	char buf[256];
	is_int(parse("user demo@example.test", POP3_AUTHORIZATION, &cmd, buf), POP3_PARSE_OK,
	       "USER in any case parses");
	ok(cmd.id == POP3_CMD_USER && cmd.argc == 1 && strcmp(cmd.argv[0], "demo@example.test") == 0,
	   "  with its one argument");
	is_int(parse("PASS two words ", POP3_AUTHORIZATION, &cmd, buf), POP3_PARSE_OK,
	       "PASS takes the rest of the line");
	is_str(cmd.argv[0], "two words ", "  spaces included");
	is_int(parse("PASS", POP3_AUTHORIZATION, &cmd, buf), POP3_PARSE_BAD_ARGS,
	       "PASS without a password is refused");
	is_int(parse("APOP mrose c4c9334bac560ecc979e58001b3e22fb", POP3_AUTHORIZATION, &cmd, buf),
	       POP3_PARSE_OK, "APOP with name and digest parses");
	ok(cmd.argc == 2 && strcmp(cmd.argv[1], "c4c9334bac560ecc979e58001b3e22fb") == 0,
	   "  into two arguments");
	is_int(parse("APOP mrose", POP3_AUTHORIZATION, &cmd, buf), POP3_PARSE_BAD_ARGS,
	       "APOP with one argument is refused");
	is_int(parse("AUTH", POP3_AUTHORIZATION, &cmd, buf), POP3_PARSE_OK, "AUTH alone parses");
	is_int(parse("AUTH PLAIN AGRlbW8AZGVtbw==", POP3_AUTHORIZATION, &cmd, buf), POP3_PARSE_OK,
	       "AUTH with an initial response parses");
	is_int(cmd.argc, 2, "  into two arguments");
	is_int(parse("STAT", POP3_TRANSACTION, &cmd, buf), POP3_PARSE_OK, "STAT parses");
	is_int(parse("STAT 1", POP3_TRANSACTION, &cmd, buf), POP3_PARSE_BAD_ARGS,
	       "STAT with an argument is refused");
	is_int(parse("LIST", POP3_TRANSACTION, &cmd, buf), POP3_PARSE_OK, "LIST alone parses");
	is_int(parse("LIST 3", POP3_TRANSACTION, &cmd, buf), POP3_PARSE_OK, "LIST n parses");
	is_int(parse("LIST 3 4", POP3_TRANSACTION, &cmd, buf), POP3_PARSE_BAD_ARGS,
	       "LIST with two arguments is refused");
	is_int(parse("LIST  3", POP3_TRANSACTION, &cmd, buf), POP3_PARSE_BAD_ARGS,
	       "two spaces make an empty argument");
	is_int(parse("TOP 1 10", POP3_TRANSACTION, &cmd, buf), POP3_PARSE_OK, "TOP n m parses");
	is_int(parse("TOP 1", POP3_TRANSACTION, &cmd, buf), POP3_PARSE_BAD_ARGS,
	       "TOP without a line count is refused");
	is_int(parse("XTND CLIENT Thunderbird 115 (Linux)", POP3_TRANSACTION, &cmd, buf),
	       POP3_PARSE_OK, "XTND CLIENT parses");
	is_str(cmd.argv[1], "Thunderbird 115 (Linux)", "  its text is the rest of the line");
	is_int(parse("FROB", POP3_TRANSACTION, &cmd, buf), POP3_PARSE_UNKNOWN,
	       "an unknown command is reported as such");
	is_int(parse("RETRIEVE 1", POP3_TRANSACTION, &cmd, buf), POP3_PARSE_UNKNOWN,
	       "a longer word is no command");
	is_int(parse("", POP3_TRANSACTION, &cmd, buf), POP3_PARSE_UNKNOWN, "an empty line is unknown");
	is_int(parse("NOOP\x01", POP3_TRANSACTION, &cmd, buf), POP3_PARSE_BAD_ARGS,
	       "a control character is refused");
	char nul[] = "NOOP\0x";
	const char *why;
	is_int(pop3_cmd_parse(nul, 6, POP3_TRANSACTION, &cmd, &why), POP3_PARSE_BAD_ARGS,
	       "a NUL byte in the line is refused");
}

static void test_states(void)
{
	struct pop3_cmd cmd;
	char buf[64];
	const char *trans[] = { "STAT", "LIST", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 1",
	                        "UIDL", "XTND STATS" };
	const char *auth[] = { "USER a", "PASS b", "APOP a b", "AUTH", "STLS" };
	int all = 1;
	for (size_t i = 0; i < sizeof trans / sizeof trans[0]; i++)
		all &= parse(trans[i], POP3_AUTHORIZATION, &cmd, buf) == POP3_PARSE_WRONG_STATE;
	ok(all, "TRANSACTION commands are refused before login");
	all = 1;
	for (size_t i = 0; i < sizeof auth / sizeof auth[0]; i++)
		all &= parse(auth[i], POP3_TRANSACTION, &cmd, buf) == POP3_PARSE_WRONG_STATE;
	ok(all, "login commands are refused after login");
	ok(parse("CAPA", POP3_AUTHORIZATION, &cmd, buf) == POP3_PARSE_OK &&
	   parse("CAPA", POP3_TRANSACTION, &cmd, buf) == POP3_PARSE_OK, "CAPA works in both states");
	ok(parse("QUIT", POP3_AUTHORIZATION, &cmd, buf) == POP3_PARSE_OK &&
	   parse("quit", POP3_TRANSACTION, &cmd, buf) == POP3_PARSE_OK, "so does QUIT");
	is_str(pop3_cmd_name(POP3_CMD_UIDL), "UIDL", "commands have their names");
}

static void test_numbers(void)
{
	unsigned long n;
	ok(pop3_parse_number("17", &n) == 0 && n == 17, "17 is a number");
	ok(pop3_parse_number("0", &n) == 0 && n == 0, "0 is a number (the caller decides)");
	ok(pop3_parse_number("-1", &n) < 0, "a sign is refused");
	ok(pop3_parse_number("1x", &n) < 0, "trailing junk is refused");
	ok(pop3_parse_number("", &n) < 0, "an empty string is refused");
	ok(pop3_parse_number("9999999999", &n) < 0, "ten digits are too many");
}

int main(void)
{
	test_commands();
	test_states();
	test_numbers();
	done_testing();
	return exit_status();
}
