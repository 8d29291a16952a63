/* Unit tests for the Sieve interpreter (libcommon/sieve_*.c): compile
 * errors with line and column, require of what ems lacks, each test and
 * action, the implicit keep and what cancels it, match variables,
 * flags, limits, and a run-time error that keeps the message. */
#include "sieve.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char msg_text[] =
	"From: Boss <boss@example.test>\r\n"
	"To: Pat <pat+lists@example.test>, other@example.test\r\n"
	"Subject: [ems-dev] =?utf-8?q?Gr=C3=BC=C3=9Fe?= and more\r\n"
	"X-Spam-Score: 12\r\n"
	"Date: Mon, 7 Dec 2026 23:30:05 -0500\r\n"
	"List-Id: ems developers <ems-dev.lists.example.test>\r\n"
	"\r\n"
	"Hello.\r\n";

static bool has_box(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "Archive") == 0;
}

static const struct sieve_message msg = {
	.data = msg_text, .len = sizeof msg_text - 1,
	.env_from = "boss@example.test", .env_to = "pat+lists@example.test",
	.mailbox_exists = has_box,
	.now = 86400 * 3 + 3600,        /* Sun, 4 Jan 1970 01:00:00 UTC */
	.local_zone = 3600,
};

static const char mime_text[] =
	"From: a@example.test\r\nTo: pat@example.test\r\nSubject: parts\r\n"
	"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	"preamble secret\r\n"
	"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	"Gr=FC=DFe aus K=F6ln, sehr lange Zeile die wei=\r\nter geht\r\n"
	"--b\r\nContent-Type: application/octet-stream\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\n"
	"aW52b2ljZSBudW1i\r\nZXIgNDI=\r\n"
	"--b--\r\n";

static const struct sieve_message mime_msg = {
	.data = mime_text, .len = sizeof mime_text - 1,
	.env_from = "a@example.test", .env_to = "pat@example.test",
};

static const struct sieve_message *the_msg = &msg;

/* Runs SRC; returns the actions as one line: "keep[flags] fileinto:BOX[flags]
 * redirect:ADDR reject:TEXT vacation:DAYS", or "ERROR:text" / "COMPILE:l:c:text". */
static char *run(const char *src)
{
	static char out[1024];
	struct sieve_error err;
	struct sieve_result r = { 0 };
	struct sieve_program *p = sieve_compile(src, strlen(src), &err);

	if (p == NULL) {
		snprintf(out, sizeof out, "COMPILE:%d:%d:%s", err.line, err.col, err.text);
		return out;
	}
	int rc = sieve_run(p, the_msg, &r);
	out[0] = '\0';
	if (rc < 0)
		snprintf(out, sizeof out, "ERROR:%s ", r.error_text);
	for (size_t i = 0; i < r.n; i++) {
		const struct sieve_action *a = &r.v[i];
		size_t used = strlen(out);
		switch (a->kind) {
		case SIEVE_KEEP:
			snprintf(out + used, sizeof out - used, "keep[%s] ", a->flags ? a->flags : "");
			break;
		case SIEVE_FILEINTO:
			snprintf(out + used, sizeof out - used, "fileinto%s:%s[%s] ",
			         a->create ? "+" : "", a->mailbox, a->flags ? a->flags : "");
			break;
		case SIEVE_REDIRECT:
			snprintf(out + used, sizeof out - used, "redirect:%s ", a->address);
			break;
		case SIEVE_REJECT:
			snprintf(out + used, sizeof out - used, "reject:%s ", a->text);
			break;
		case SIEVE_VACATION:
			snprintf(out + used, sizeof out - used, "vacation%s:%d:%s:%s ",
			         a->mime ? "+mime" : "", a->days,
			         a->subject ? a->subject : "-", a->text);
			break;
		}
	}
	size_t n = strlen(out);
	if (n > 0 && out[n - 1] == ' ')
		out[n - 1] = '\0';
	sieve_result_clear(&r);
	sieve_free(p);
	return out;
}

static void test_compile_errors(void)
{
	is_str(run("keep"), "COMPILE:1:5:expected ';' or '{'", "a missing ';' at its place");
	is_str(run("if true {\n  keep;\n  frobnicate;\n}"), "COMPILE:3:3:unknown command \"frobnicate\"",
	       "an unknown command with line and column");
	is_str(run("require \"editheader\";"),
	       "COMPILE:1:9:unsupported extension \"editheader\"",
	       "require of an extension ems lacks is an error (RFC 5228 3.2)");
	is_str(run("fileinto \"x\";"), "COMPILE:1:1:fileinto needs require \"fileinto\"",
	       "an extension command without require");
	is_str(run("keep;\nrequire \"fileinto\";"),
	       "COMPILE:2:1:require must come before other commands", "require after a command");
	is_str(run("if header :is :contains \"a\" \"b\" { keep; }"),
	       "COMPILE:1:15::contains conflicts with an earlier tag", "two match types");
	is_str(run("if size 10 { keep; }"), "COMPILE:1:4:size needs :over or :under",
	       "size without :over/:under");
	is_str(run("else { keep; }"), "COMPILE:1:1:else without an if before it", "a lone else");
	is_str(run("keep; \"unclosed"), "COMPILE:1:7:string not closed", "an unclosed string");
	is_str(run("if header :comparator \"i;ascii-numeric\" \"a\" \"1\" { keep; }"),
	       "COMPILE:1:23:comparator \"i;ascii-numeric\" needs require \"comparator-i;ascii-numeric\"",
	       "i;ascii-numeric must be required");
	char deep[4096] = "";
	for (int i = 0; i < 40; i++)
		strcat(deep, "if true {");
	is_str(run(deep), "COMPILE:1:283:nested too deep", "nesting is bounded (tests count)");
	is_str(run("/* open"), "COMPILE:1:1:comment not closed", "an open comment");
	is_str(run("# comment\n/* c\n */ discard;"), "", "comments are skipped");
	is_str(run("keep; discard;"), "keep[]", "discard does not undo an explicit keep");
}

static void test_base(void)
{
	is_str(run(""), "keep[]", "an empty script keeps");
	is_str(run("discard;"), "", "discard cancels the implicit keep");
	is_str(run("if address :is :domain \"from\" \"EXAMPLE.test\" { discard; }"), "",
	       "address :domain, case-insensitive by default");
	is_str(run("if header :contains \"subject\" \"GRÜßE\" { discard; }"), "keep[]",
	       "i;ascii-casemap folds ASCII only");
	is_str(run("if header :contains \"subject\" \"Grüße\" { discard; }"), "",
	       "encoded words are decoded before matching");
	is_str(run("if exists [\"List-Id\", \"From\"] { discard; }"), "", "exists of two fields");
	is_str(run("if exists \"X-None\" { discard; }"), "keep[]", "exists of a missing field");
	is_str(run("if size :over 100 { discard; }"), "", "size :over");
	is_str(run("if size :under 1K { discard; } else { stop; }"), "", "size :under with K");
	is_str(run("if anyof (false, not true) { discard; } elsif allof (true, true) "
	           "{ redirect \"a@example.test\"; }"),
	       "redirect:a@example.test", "anyof/allof/not and elsif");
	is_str(run("if header :matches \"Subject\" \"*ems-dev?*\" { discard; }"), "",
	       ":matches with * and ?");
	is_str(run("if header :matches \"Subject\" \"ems-dev*\" { discard; }"), "keep[]",
	       ":matches is anchored");
	is_str(run("keep; keep;"), "keep[]", "keep twice files once");
	is_str(run("redirect \"a@example.test\"; redirect \"b@example.test\"; stop; discard;"),
	       "redirect:a@example.test redirect:b@example.test", "stop ends the script");
	is_str(run("redirect \"not an address\";"), "ERROR:redirect: bad address keep[]",
	       "a bad redirect address keeps the message");
	is_str(run("redirect \"a1@x.test\"; redirect \"a2@x.test\"; redirect \"a3@x.test\";"
	           "redirect \"a4@x.test\"; redirect \"a5@x.test\";"),
	       "ERROR:too many redirects keep[]", "redirects per message are limited");
}

static void test_extensions(void)
{
	is_str(run("require \"fileinto\"; fileinto \"Lists\";"), "fileinto:Lists[]",
	       "fileinto cancels the implicit keep");
	is_str(run("require [\"fileinto\", \"copy\"]; fileinto :copy \"Lists\";"),
	       "fileinto:Lists[] keep[]", "fileinto :copy keeps too");
	is_str(run("require [\"fileinto\", \"mailbox\"]; fileinto :create \"New\";"),
	       "fileinto+:New[]", ":create");
	is_str(run("require \"fileinto\"; fileinto \"a//b\";"),
	       "ERROR:fileinto: bad mailbox name keep[]", "a folder name with an empty level");
	is_str(run("require [\"fileinto\", \"mailbox\"]; if mailboxexists \"Archive\" "
	           "{ fileinto \"Archive\"; }"), "fileinto:Archive[]", "mailboxexists");
	is_str(run("require \"fileinto\"; fileinto :create \"New\";"),
	       "COMPILE:1:30::create needs require \"mailbox\"", ":create needs mailbox");
	is_str(run("require [\"imap4flags\", \"fileinto\"]; addflag \"\\\\Flagged\";"
	           " addflag [\"$Work \\\\flagged\"]; fileinto \"W\"; removeflag \"$work\"; keep;"),
	       "fileinto:W[\\Flagged $Work] keep[\\Flagged]",
	       "flags: added once in any case, each action takes the flags of its time");
	is_str(run("require [\"imap4flags\"]; keep :flags \"\\\\Seen\";"), "keep[\\Seen]",
	       "keep :flags");
	is_str(run("require [\"imap4flags\"]; setflag \"a b\"; if hasflag :contains \"b\" "
	           "{ discard; }"), "", "hasflag");
	is_str(run("require \"envelope\"; if envelope :localpart :is \"to\" \"pat+lists\" "
	           "{ discard; }"), "", "envelope to");
	is_str(run("require [\"envelope\", \"subaddress\"]; if envelope :detail \"to\" \"lists\" "
	           "{ discard; }"), "", "subaddress :detail");
	is_str(run("require [\"subaddress\"]; if address :user \"to\" \"other\" "
	           "{ discard; }"), "", "subaddress :user of an address without a detail");
	is_str(run("require [\"relational\", \"comparator-i;ascii-numeric\"]; if header :value "
	           "\"ge\" :comparator \"i;ascii-numeric\" \"X-Spam-Score\" \"5\" { discard; }"),
	       "", "relational :value with i;ascii-numeric (12 >= 5)");
	is_str(run("require [\"relational\", \"comparator-i;ascii-numeric\"]; if address "
	           ":count \"eq\" :comparator \"i;ascii-numeric\" \"to\" \"2\" { discard; }"),
	       "", "relational :count");
	is_str(run("require [\"variables\", \"fileinto\"]; if header :matches \"List-Id\" "
	           "\"*<*.lists.*>\" { set :upper \"l\" \"${2}\"; fileinto \"L/${l}\"; }"),
	       "fileinto:L/EMS-DEV[]", "match variables and set :upper");
	is_str(run("require \"variables\"; set \"a\" \"x\"; if string :is \"${a}${b}\" \"x\" "
	           "{ discard; }"), "", "unknown variables are empty");
	is_str(run("require \"variables\"; set :length \"n\" \"äbc\"; if string \"${n}\" \"3\" "
	           "{ discard; }"), "", ":length counts characters");
	is_str(run("require [\"encoded-character\", \"fileinto\"]; "
	           "fileinto \"${hex:41 42}${unicode:e9}\";"),
	       "fileinto:AB\xc3\xa9[]", "encoded-character");
	is_str(run("require \"encoded-character\"; keep; if header \"a\" \"${unicode:d800}\" {}"),
	       "COMPILE:1:50:invalid code point in ${unicode:...}", "a surrogate is an error");
	is_str(run("require \"reject\"; reject \"no thanks\";"), "reject:no thanks", "reject");
	is_str(run("require [\"reject\", \"fileinto\"]; fileinto \"x\"; reject \"no\";"),
	       "ERROR:reject cannot be combined with keep, fileinto, vacation or another reject "
	       "keep[]", "reject after fileinto is an error, and the message is kept");
	is_str(run("require \"vacation\"; vacation :days 200 :subject \"Away\" \"back soon\";"),
	       "vacation:90:Away:back soon keep[]", "vacation, :days bounded, implicit keep");
	is_str(run("require \"vacation\"; vacation :days 0 \"x\";"), "vacation:1:-:x keep[]",
	       ":days 0 counts as one");
	is_str(run("require \"vacation\"; if false {} vacation :addresses \"x@y.test\" \"x\";"),
	       "vacation:7:-:x keep[]", "a message to the person (with +detail) is answered");
	struct sieve_message alias = msg;
	alias.env_to = "info@example.test";
	the_msg = &alias;
	is_str(run("require \"vacation\"; vacation \"x\";"), "keep[]",
	       "one through an alias the message does not name is not answered");
	alias.owner = "other@example.test";
	is_str(run("require \"vacation\"; vacation \"x\";"), "vacation:7:-:x keep[]",
	       "unless it names the person's own address");
	the_msg = &msg;
}

static void test_body(void)
{
	the_msg = &mime_msg;
	is_str(run("require \"body\"; if body :contains \"Grüße aus Köln\" { discard; }"), "",
	       "body :text: quoted-printable undone, ISO-8859-1 converted");
	is_str(run("require \"body\"; if body :contains \"weiter geht\" { discard; }"), "",
	       "a soft line break joins the line");
	is_str(run("require \"body\"; if body :contains \"invoice\" { discard; }"), "keep[]",
	       ":text does not look into non-text parts");
	is_str(run("require \"body\"; if body :content \"application\" :contains "
	           "\"invoice number 42\" { discard; }"), "", ":content with base64 undone");
	is_str(run("require \"body\"; if body :content \"\" :contains \"secret\" "
	           "{ discard; }"), "keep[]", "the multipart preamble is not a part");
	is_str(run("require \"body\"; if body :raw :contains \"=FC=DF\" { discard; }"), "",
	       ":raw is the body as it is");
	is_str(run("require \"body\"; if body :raw :text \"x\" { discard; }"),
	       "COMPILE:1:30::text conflicts with an earlier tag", "one transform");
	the_msg = &msg;
	is_str(run("require \"body\"; if body :matches \"Hello.?*\" { discard; }"), "",
	       "a message without MIME is one text part");
}

/* The date part PART of a date test with TAGS, as the script sees it. */
static char *date_part(const char *tags, const char *part)
{
	static char out[128];
	char src[512];
	snprintf(src, sizeof src, "require [\"date\", \"variables\", \"fileinto\"]; "
	         "if date :matches %s \"date\" \"%s\" \"*\" { fileinto \"${1}\"; }", tags, part);
	snprintf(out, sizeof out, "%s", run(src));
	return out;
}

static void test_date(void)
{
	is_str(date_part(":originalzone", "date"), "fileinto:2026-12-07[]",
	       "the date in the sender's zone");
	is_str(date_part("", "date"), "fileinto:2026-12-08[]", "in the local zone (+0100)");
	is_str(date_part(":zone \"+0000\"", "iso8601"), "fileinto:2026-12-08T04:30:05+00:00[]",
	       "iso8601 in UTC");
	is_str(date_part(":zone \"-0800\"", "std11"),
	       "fileinto:Mon, 7 Dec 2026 20:30:05 -0800[]", "std11 in another zone");
	is_str(date_part(":originalzone", "zone"), "fileinto:-0500[]", "zone");
	is_str(date_part("", "weekday"), "fileinto:2[]", "weekday (Tuesday in +0100)");
	is_str(date_part("", "julian"), "fileinto:61382[]", "julian (Modified Julian Day)");
	is_str(date_part("", "time"), "fileinto:05:30:05[]", "time");
	is_str(date_part(":zone \"+2500\"", "time"), "ERROR:date: :zone is not +hhmm or -hhmm keep[]",
	       "a bad zone is a run-time error");
	is_str(run("require \"date\"; if date \"date\" \"era\" \"x\" { stop; }"),
	       "COMPILE:1:32:unknown date part \"era\"", "an unknown date part");
	is_str(run("require \"date\"; if date \"x-none\" \"year\" \"*\" { discard; }"), "keep[]",
	       "a missing field has no date");
	is_str(run("require [\"date\", \"relational\"]; if currentdate :value \"lt\" \"date\" "
	           "\"1970-01-05\" { discard; }"), "", "currentdate with the run's time");
	is_str(run("require \"date\"; if currentdate :zone \"+0000\" \"weekday\" \"0\" "
	           "{ discard; }"), "", "1970-01-04 was a Sunday");
}

static const char index_text[] =
	"Received: from c.example by mx.example.test; Tue, 8 Dec 2026 10:00:03 +0000\r\n"
	"Received: from b.example by c.example; Tue, 8 Dec 2026 10:00:02 +0000\r\n"
	"Received: from a.example by b.example; Mon, 7 Dec 2026 10:00:01 +0000\r\n"
	"X-Tag: first\r\nX-Tag: second\r\nX-Tag: third\r\n"
	"From: one@example.test\r\nFrom: two@example.test, three@example.test\r\n"
	"\r\nbody\r\n";

static const struct sieve_message index_msg = {
	.data = index_text, .len = sizeof index_text - 1,
	.env_from = "one@example.test", .env_to = "pat@example.test",
};

/* RFC 5260 6: :index N and :last pick one occurrence of a field. */
static void test_index(void)
{
	the_msg = &index_msg;
	is_str(run("require \"index\"; if header :index 2 \"x-tag\" \"second\" { discard; }"),
	       "", ":index 2 is the second field from the top");
	is_str(run("require \"index\"; if header :index 2 \"x-tag\" [\"first\", \"third\"] "
	           "{ discard; }"), "keep[]", "and only that one");
	is_str(run("require \"index\"; if header :index 1 :last \"x-tag\" \"third\" "
	           "{ discard; }"), "", ":last counts from the bottom");
	is_str(run("require \"index\"; if header :last :index 3 \"x-tag\" \"first\" "
	           "{ discard; }"), "", ":last before :index");
	is_str(run("require \"index\"; if header :index 4 \"x-tag\" \"*\" { discard; }"),
	       "keep[]", "no fourth field: false");
	is_str(run("require [\"index\", \"relational\"]; if header :index 1 :count \"eq\" "
	           "\"x-tag\" \"1\" { discard; }"), "", ":count sees the one field");
	is_str(run("require \"index\"; if address :index 2 \"from\" \"three@example.test\" "
	           "{ discard; }"), "", "address: every address of the second field");
	is_str(run("require \"index\"; if address :index 1 \"from\" \"three@example.test\" "
	           "{ discard; }"), "keep[]", "address: not those of the first");
	is_str(run("require [\"index\", \"date\"]; if date :index 1 :last :zone \"+0000\" "
	           "\"received\" \"date\" \"2026-12-07\" { discard; }"), "",
	       "date: the first hop's Received");
	is_str(run("require \"date\"; if date :zone \"+0000\" \"received\" \"date\" "
	           "\"2026-12-08\" { discard; }"), "", "date without :index: the top field");
	is_str(run("if header :index 1 \"x-tag\" \"first\" { discard; }"),
	       "COMPILE:1:11::index needs require \"index\"", ":index needs require");
	is_str(run("require \"index\"; if header :last \"x-tag\" \"third\" { discard; }"),
	       "COMPILE:1:21:header: :last needs :index", ":last alone is an error");
	is_str(run("require \"index\"; if header :index 0 \"x-tag\" \"x\" { discard; }"),
	       "COMPILE:1:35::index needs a number from 1", ":index 0 is an error");
	is_str(run("require \"index\"; if exists :index 1 \"x-tag\" { discard; }"),
	       "COMPILE:1:28:exists does not take :index", "only header, address and date");
	the_msg = &msg;
}

/* RFC 5230 4.8: the reason is a MIME entity. */
static void test_vacation_mime(void)
{
	is_str(run("require \"vacation\"; vacation :mime \"Content-Type: text/html\r\n\r\n"
	           "<p>away</p>\";"), "vacation+mime:7:-:Content-Type: text/html\r\n\r\n"
	       "<p>away</p> keep[]", ":mime marks the action");
	is_str(run("require \"vacation\"; vacation \"x\";"), "vacation:7:-:x keep[]",
	       "without :mime plain text");
}

static void test_limits(void)
{
	size_t big = SIEVE_SCRIPT_MAX + 1;
	char *s = malloc(big + 1);
	memset(s, ' ', big);
	s[big] = '\0';
	is_str(run(s), "COMPILE:1:1:script larger than 65536 bytes", "script size limit");
	free(s);
	is_str(run("require \"variables\"; set \"p\" \"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\";"
	           "if string :matches \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" "
	           "\"${p}\" { discard; }"),
	       "ERROR:too many steps keep[]", "wildcard backtracking is bounded");
}

int main(void)
{
	test_compile_errors();
	test_base();
	test_extensions();
	test_body();
	test_date();
	test_index();
	test_vacation_mime();
	test_limits();
	done_testing();
	return exit_status();
}
