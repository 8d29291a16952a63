/* Unit tests for oomgr/oomgr_cmd.c: cutting input into statements
 * (';', quotes, comments, statements over several lines, over-long
 * statements) and splitting a statement into words and parameters. */
#include "../../oomgr/oomgr_cmd.h"
#include "tap.h"

#include <string.h>

static char out[STMT_TEXT_MAX + 1];
static char err[256];

/* Feeds TEXT and returns the next statement ("" when none, "!" on error). */
static const char *next(struct stmt_reader *r, bool at_end)
{
	int rc = stmt_reader_next(r, at_end, out, sizeof out, err, sizeof err);
	return rc == 1 ? out : rc == 0 ? "" : "!";
}

static void test_reader(void)
{
	struct stmt_reader r;
	static char big[STMT_TEXT_MAX + 100];

	stmt_reader_init(&r);
	stmt_reader_feed(&r, "startup all; disp process;\n");
	is_str(next(&r, false), "startup all", "first statement cut at ';'");
	is_str(next(&r, false), "disp process", "second statement of the line");
	is_str(next(&r, false), "", "no third statement");
	ok(!stmt_reader_pending(&r), "only a newline left: nothing pending");

	stmt_reader_feed(&r, "set process POP3SRV 1\n");
	is_str(next(&r, false), "", "statement without ';' waits");
	ok(stmt_reader_pending(&r), "and is pending (continuation prompt)");
	stmt_reader_feed(&r, "  maxclt=5;\n");
	is_str(next(&r, false), "set process POP3SRV 1\n  maxclt=5",
	       "statement spanning two lines");

	stmt_reader_feed(&r, "insert domain description=\"a;b\n");
	is_str(next(&r, false), "", "';' inside quotes does not end it");
	stmt_reader_feed(&r, "c\";");
	is_str(next(&r, false), "insert domain description=\"a;b\nc\"",
	       "quoted value spanning lines kept whole");

	stmt_reader_feed(&r, "disp process; # shutdown all;\n");
	is_str(next(&r, false), "disp process", "statement before a comment");
	is_str(next(&r, false), "", "';' inside a comment is ignored");
	ok(!stmt_reader_pending(&r), "a comment alone is not pending");

	stmt_reader_feed(&r, "disp process");
	is_str(next(&r, false), "", "one-shot text without ';' not yet done");
	is_str(next(&r, true), "disp process", "taken at the end of input");
	is_str(next(&r, true), "", "then nothing");

	memset(big, 'x', sizeof big - 2);
	big[sizeof big - 2] = ';';
	stmt_reader_feed(&r, big);
	is_str(next(&r, false), "!", "over-long statement is an error");
	ok(strstr(err, "longer than") != NULL, "error says it is too long: %s",
	   err);
	stmt_reader_feed(&r, "exit;");
	is_str(next(&r, false), "exit", "reader recovers after it");
}

static void test_parse(void)
{
	static struct oomgr_stmt st;

	is_int(oomgr_stmt_parse("  set process POP3SRV 2 maxclt=200 "
	                        "confm=\"/etc/ems/my pop.conf\" ", &st, err,
	                        sizeof err), 0, "set statement parses");
	is_int((long long)st.nwords, 4, "four words");
	is_str(stmt_word(&st, 0), "set", "verb");
	is_str(stmt_word(&st, 3), "2", "instance word");
	ok(stmt_word(&st, 4) == NULL, "no fifth word");
	is_int((long long)st.nparams, 2, "two parameters");
	is_str(stmt_param(&st, "MAXCLT"), "200", "key looked up case-blind");
	is_str(stmt_param(&st, "confm"), "/etc/ems/my pop.conf",
	       "quoted value loses its quotes and keeps the blank");
	ok(stmt_param(&st, "flags") == NULL, "absent parameter is NULL");
	ok(stmt_word_is(&st, 1, "PROCESS"), "keyword compare is case-blind");

	is_int(oomgr_stmt_parse("insert person password='it''s' x=\"a\\\"b\" "
	                        "note=", &st, err, sizeof err), 0,
	       "quotes and escapes parse");
	is_str(stmt_param(&st, "password"), "its",
	       "adjacent quoted runs join");
	is_str(stmt_param(&st, "x"), "a\"b", "escaped quote inside quotes");
	is_str(stmt_param(&st, "note"), "", "empty value allowed");
	is_str(stmt_param(&st, "url"), NULL, "unknown key is NULL");

	is_int(oomgr_stmt_parse("\"two words\" b=c=d", &st, err, sizeof err),
	       0, "quoted word and '=' in a value");
	is_str(stmt_word(&st, 0), "two words", "quoted word is one word");
	is_str(stmt_param(&st, "b"), "c=d", "value keeps later '='");

	is_int(oomgr_stmt_parse("   ", &st, err, sizeof err), 0,
	       "blank statement parses");
	ok(st.nwords == 0 && st.nparams == 0, "to nothing");

	is_int(oomgr_stmt_parse("insert x=\"open", &st, err, sizeof err), -1,
	       "unclosed quote is an error");
	ok(strstr(err, "quote") != NULL, "that names the quote: %s", err);
	is_int(oomgr_stmt_parse("set =5", &st, err, sizeof err), -1,
	       "parameter without a name is an error");
	is_int(oomgr_stmt_parse("a b c d e f g h i j k l m n o p q", &st, err,
	                        sizeof err), -1, "17 words are too many");
}

int main(void)
{
	plan(42);
	test_reader();
	test_parse();
	return exit_status();
}
