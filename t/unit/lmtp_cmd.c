/* Unit tests for smtpgw's LMTP command parser (smtpgw/lmtp_cmd.c): every
 * verb, MAIL and RCPT paths and parameters, and the exact reply a client
 * gets for each kind of bad line. */
#include "../../smtpgw/lmtp_cmd.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

static struct lmtp_cmd cmd;
static const char *reply;

/* Parses a copy of TEXT; returns what lmtp_cmd_parse() returned. */
static int parse(const char *text)
{
	static char line[LMTP_CMD_MAX + 1];
	snprintf(line, sizeof line, "%s", text);
	reply = NULL;
	return lmtp_cmd_parse(line, strlen(line), &cmd, &reply);
}

/* True when TEXT is refused with a reply starting with CODE. */
static int refused(const char *text, const char *code)
{
	return parse(text) == -1 && reply != NULL && strncmp(reply, code, strlen(code)) == 0;
}

static void test_verbs(void)
{
	ok(parse("LHLO client.example.org") == 0 && cmd.verb == LMTP_LHLO &&
	   strcmp(cmd.arg, "client.example.org") == 0, "LHLO with its host");
	ok(parse("lhlo Client") == 0 && cmd.verb == LMTP_LHLO, "verbs ignore case");
	ok(parse("DATA") == 0 && cmd.verb == LMTP_DATA, "DATA");
	ok(parse("RSET") == 0 && cmd.verb == LMTP_RSET, "RSET");
	ok(parse("QUIT") == 0 && cmd.verb == LMTP_QUIT, "QUIT");
	ok(parse("starttls") == 0 && cmd.verb == LMTP_STARTTLS, "STARTTLS (RFC 3207)");
	ok(refused("STARTTLS now", "501 5.5.4"), "STARTTLS takes no argument");
	ok(refused("STARTTL", "500 5.5.1"), "a verb cut short is unknown");
	ok(parse("NOOP whatever") == 0 && cmd.verb == LMTP_NOOP, "NOOP takes an argument");
	ok(parse("VRFY someone") == 0 && cmd.verb == LMTP_VRFY, "VRFY");
	ok(parse("EHLO x") == 0 && cmd.verb == LMTP_HELO, "EHLO is seen as the SMTP greeting");
	ok(parse("HELO x") == 0 && cmd.verb == LMTP_HELO, "HELO too");
	ok(parse("DATA  ") == 0 && cmd.verb == LMTP_DATA, "trailing blanks are ignored");
}

static void test_mail(void)
{
	ok(parse("MAIL FROM:<Alice@Example.ORG>") == 0 && cmd.verb == LMTP_MAIL,
	   "MAIL FROM");
	is_str(cmd.path, "Alice@example.org", "the domain is lower-cased, the local part kept");
	is_int(cmd.size, -1, "no SIZE given");
	ok(parse("MAIL FROM:<>") == 0 && cmd.path[0] == '\0', "the null sender");
	ok(parse("MAIL FROM: <a@b.example>") == 0 && strcmp(cmd.path, "a@b.example") == 0,
	   "a blank after the colon is tolerated");
	ok(parse("MAIL FROM:<a@b.example> SIZE=12345 BODY=8BITMIME") == 0 &&
	   cmd.size == 12345 && cmd.body == LMTP_BODY_8BITMIME, "SIZE and BODY=8BITMIME");
	ok(parse("mail from:<a@b.example> body=7bit") == 0 && cmd.body == LMTP_BODY_7BIT,
	   "BODY=7BIT, keywords in any case");
	ok(parse("MAIL FROM:<@relay.example:a@b.example>") == 0 &&
	   strcmp(cmd.path, "a@b.example") == 0, "a source route is dropped");
	ok(refused("MAIL FROM:<a@b.example> SIZE=big", "501 5.5.4"), "SIZE must be a number");
	ok(refused("MAIL FROM:<a@b.example> BODY=BINARYMIME", "555 5.5.4"),
	   "BINARYMIME is not offered");
	ok(refused("MAIL FROM:<a@b.example> AUTH=<>", "555 5.5.4"), "unknown parameter: 555");
	ok(refused("MAIL FROM:a@b.example", "501 5.5.4"), "angle brackets are required");
	ok(refused("MAIL TO:<a@b.example>", "501 5.5.4"), "MAIL needs FROM:");
	ok(refused("MAIL FROM:<no-at-sign>", "501 5.1.7"), "a sender without a domain");
	ok(refused("MAIL FROM:<a b@c.example>", "501 5.1.7"), "a blank in the address");
	ok(refused("MAIL", "501"), "MAIL without anything");
}

static void test_rcpt(void)
{
	ok(parse("RCPT TO:<demo+work@Example.TEST>") == 0 && cmd.verb == LMTP_RCPT &&
	   strcmp(cmd.path, "demo+work@example.test") == 0, "RCPT keeps a +detail");
	ok(refused("RCPT TO:<>", "501 5.1.3"), "no null recipient");
	ok(refused("RCPT TO:<a@b.example> NOTIFY=NEVER", "555 5.5.4"),
	   "RCPT parameters are not offered");
	ok(refused("RCPT FROM:<a@b.example>", "501 5.5.4"), "RCPT needs TO:");
	ok(refused("RCPT TO:<a@b@c>", "501 5.1.3"), "two @ signs");
	ok(parse("RCPT TO:<Demo>") == 0 && strcmp(cmd.path, "Demo") == 0,
	   "a bare user name is left for the session to qualify");
	ok(refused("RCPT TO:<de mo>", "501 5.1.3"), "a bare name with a blank is refused");
}

static void test_bad_lines(void)
{
	char nul[] = "NOOP a\0b";
	ok(refused("FOO bar", "500 5.5.1"), "unknown command: 500 5.5.1");
	ok(refused("", "500 5.5.1"), "an empty line is no command");
	ok(refused("DATA now", "501 5.5.4"), "DATA takes no argument");
	ok(refused("QUIT please", "501 5.5.4"), "neither does QUIT");
	ok(refused("LHLO", "501 5.5.4"), "LHLO needs a host");
	ok(refused("LHLO two words", "501 5.5.4"), "and only one");
	reply = NULL;
	ok(lmtp_cmd_parse(nul, sizeof nul - 1, &cmd, &reply) == -1 &&
	   strncmp(reply, "500 5.5.2", 9) == 0, "a NUL byte is refused");
	ok(refused("MAILX FROM:<a@b.example>", "500 5.5.1"), "a longer word is no verb");
}

int main(void)
{
	test_verbs();
	test_mail();
	test_rcpt();
	test_bad_lines();
	done_testing();
	return exit_status();
}
