/* Unit tests for sievesrv/msv_args.c: a ManageSieve command's arguments
 * across lines and literals ({n+} and {n}), quoted strings and their
 * escapes, and literals over the limit thrown away. */
#include "../../sievesrv/msv.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static int line(struct msv_args *a, const char *text)
{
	return msv_args_line(a, text, strlen(text));
}

static void test_quoted(void)
{
	struct msv_args a = { 0 };
	is_int(line(&a, "PUTSCRIPT \"a \\\"b\\\" \\\\c\" \"\""), 1, "a line without literal is whole");
	ok(a.n == 3 && a.v[0].atom && strcmp(a.v[0].s, "PUTSCRIPT") == 0, "the command is an atom");
	ok(!a.v[1].atom && strcmp(a.v[1].s, "a \"b\" \\c") == 0, "quoted, with its escapes");
	ok(!a.v[2].atom && a.v[2].len == 0, "an empty string");
	ok(!a.bad, "no error");
	msv_args_clear(&a);
	line(&a, "GETSCRIPT \"open");
	ok(a.bad, "an unterminated string is an error");
	msv_args_clear(&a);
	line(&a, "GETSCRIPT \"a\\nb\"");
	ok(a.bad, "an escape other than \\\" and \\\\ is an error");
	msv_args_clear(&a);
	line(&a, "A B C D E");
	ok(a.bad, "more arguments than a command takes: an error");
	msv_args_clear(&a);
}

static void test_literals(void)
{
	struct msv_args a = { 0 };
	is_int(line(&a, "PUTSCRIPT \"s\" {7+}"), 0, "{n+} asks for the literal");
	is_int((int)a.lit_left, 7, "of n bytes");
	msv_args_literal(&a, "kee", 3);
	msv_args_literal(&a, "p;\r\n", 4);
	is_int((int)a.lit_left, 0, "taken in pieces");
	is_int(line(&a, ""), 1, "the rest of the line ends the command");
	ok(a.n == 3 && a.v[2].len == 7 && memcmp(a.v[2].s, "keep;\r\n", 7) == 0,
	   "the literal is the third argument, byte for byte");
	msv_args_clear(&a);
	is_int(line(&a, "CHECKSCRIPT {2}"), 0, "{n} is taken the same way");
	msv_args_literal(&a, "\0x", 2);
	line(&a, "");
	ok(a.n == 2 && a.v[1].len == 2 && a.v[1].s[0] == '\0', "a NUL inside a literal is kept");
	msv_args_clear(&a);
	is_int(line(&a, "AUTHENTICATE \"PLAIN\" {0+}"), 0, "an empty literal");
	is_int(line(&a, ""), 1, "then the end of the command");
	ok(a.n == 3 && a.v[2].len == 0, "is an empty string");
	msv_args_clear(&a);
	is_int(line(&a, "PUTSCRIPT \"s\" {99999999+}"), 0, "a literal over the limit");
	ok(a.lit_drop && a.lit_too_big, "is to be thrown away");
	msv_args_literal(&a, "xxxx", 4);
	is_int(a.n, 2, "nothing of it is kept");
	msv_args_clear(&a);
	line(&a, "PUTSCRIPT \"s\" {12x}");
	ok(a.bad, "a malformed literal is an error");
	msv_args_clear(&a);
	is_int(line(&a, "PUTSCRIPT \"a\\x\" {5+}"), 0,
	       "after a syntax error the literal the line announces still comes");
	ok(a.bad && a.lit_drop && a.lit_left == 5, "and is to be thrown away");
	msv_args_literal(&a, "stop;", 5);
	is_int(line(&a, " {2+}"), 0, "a second literal of the same command too");
	msv_args_literal(&a, "ab", 2);
	is_int(line(&a, ""), 1, "the command ends where the client ends it");
	ok(a.bad && a.n == 1, "refused as a whole, nothing of the literals kept");
	msv_args_clear(&a);
}

int main(void)
{
	test_quoted();
	test_literals();
	done_testing();
	return exit_status();
}
