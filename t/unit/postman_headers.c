/* Unit tests for what postman reads from headers and writes itself
 * (libcommon/delivery_trace.c, postman/postman_bounce.c, postman_vacation.c):
 * header lengths and folded fields, Delivered-To loop matching, the
 * RFC 3834 rules for when an auto-reply may go, the shape of an RFC 3464
 * delivery report (parts, fields, CRLF lines) and of an auto-reply. */
#include "../../postman/postman.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

static const char msg[] =
	"Received: from a by b; Mon, 1 Jan 2026 00:00:00 +0000\r\n"
	"Received: from c\r\n\tby d; Mon, 1 Jan 2026 00:00:01 +0000\r\n"
	"Delivered-To: <Ann@Example.TEST>\r\n"
	"Subject: hello\r\n  folded\r\n"
	"Message-ID: <m1@outside.example>\r\n"
	"References: <m0@outside.example>\r\n"
	"\r\n"
	"Received: in the body, not a field\r\n"
	"Delivered-To: bob@example.test\r\n";

static int count_value(const char *value, size_t len, void *arg)
{
	(void)value;
	(*(size_t *)arg) += len;
	return 0;
}

static void test_headers(void)
{
	char v[64];
	size_t total = 0, len = strlen(msg);

	is_int((long long)header_block_len(msg, len, NULL),
	       (long long)(strstr(msg, "\r\n\r\n") + 4 - msg), "header ends after the empty line");
	is_int((long long)header_block_len("A: b\nC: d\n\nbody", 15, NULL), 11, "bare LF too");
	is_int((long long)header_block_len("A: b\r\n", 6, NULL), 6, "no body: all of it");
	is_int(header_each(msg, len, "received", count_value, &total), 2,
	       "two Received fields in the header, none from the body");
	ok(total > 0, "each with its value");
	ok(header_get(msg, len, "Subject", v, sizeof v) && strcmp(v, "hello  folded") == 0,
	   "a folded field is unfolded (got \"%s\")", v);
	ok(!header_get(msg, len, "X-None", v, sizeof v) && v[0] == '\0', "a missing field");
	ok(header_get(msg, len, "Subject", v, 4) && strcmp(v, "hel") == 0,
	   "a value is cut to the buffer");
	ok(header_delivered_to(msg, len, "ann@example.test"),
	   "Delivered-To matches without case and brackets");
	ok(!header_delivered_to(msg, len, "bob@example.test"),
	   "a Delivered-To line in the body does not count");
	ok(!header_delivered_to(msg, len, "an@example.test"), "nor a different address");
}

static void test_vacation_rules(void)
{
	static const char plain[] = "From: a@b.example\r\nSubject: x\r\n\r\nhi\r\n";
	static const char *const refused[] = {
		"Auto-Submitted: auto-replied\r\n\r\n",
		"Auto-Submitted: auto-generated (failure)\r\n\r\n",
		"Precedence: bulk\r\n\r\n",
		"Precedence: junk\r\n\r\n",
		"Precedence: list\r\n\r\n",
		"List-Id: <team.example.org>\r\n\r\n",
		"List-Post: <mailto:team@example.org>\r\n\r\n",
		"List-Unsubscribe: <mailto:leave@example.org>\r\n\r\n",
	};

	ok(vacation_allowed("a@b.example", plain, strlen(plain), false), "a person's mail");
	ok(vacation_allowed("a@b.example", "Auto-Submitted: no\r\n\r\n", 22, false),
	   "Auto-Submitted: no is a person's mail too");
	ok(!vacation_allowed("", plain, strlen(plain), false), "never to the null sender");
	ok(!vacation_allowed("a@b.example", plain, strlen(plain), true),
	   "never for mail that came through a list");
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		ok(!vacation_allowed("a@b.example", refused[i], strlen(refused[i]), false),
		   "not for %.*s", (int)strcspn(refused[i], "\r"), refused[i]);
	ok(!vacation_allowed("MAILER-DAEMON@b.example", plain, strlen(plain), false) &&
	   !vacation_allowed("owner-team@b.example", plain, strlen(plain), false) &&
	   !vacation_allowed("team-request@b.example", plain, strlen(plain), false) &&
	   !vacation_allowed("noreply@b.example", plain, strlen(plain), false),
	   "not to daemons, list owners and -request addresses");
}

/* Every line of M ends in CRLF and is at most 998 characters. */
static int lines_ok(const struct generated_mail *m)
{
	size_t start = 0;
	for (size_t i = 0; i < m->len; i++) {
		if (m->data[i] != '\n')
			continue;
		if (i == 0 || m->data[i - 1] != '\r' || i - start > 999)
			return 0;
		start = i + 1;
	}
	return start == m->len;
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void test_bounce(void)
{
	struct postman pm = { .node = "mx.example.test" };
	struct delivery_failure failed[2] = {
		{ "ghost@example.test", "5.1.1", "no such user here" },
		{ "full@example.test", "5.2.2", "mailbox full" },
	};
	struct generated_mail m = { 0 };
	char boundary[128], delim[140];

	ok(bounce_build(&pm, "sender@outside.example", failed, 2, msg, strlen(msg),
	                1767225600, &m) == 0, "a report is built");
	const char *b = strstr(m.data, "boundary=\"");
	ok(b != NULL && sscanf(b + 10, "%127[^\"]", boundary) == 1, "it names a boundary");
	snprintf(delim, sizeof delim, "\r\n--%s\r\n", boundary);
	ok(strstr(m.data, "Content-Type: multipart/report; report-type=delivery-status;") != NULL,
	   "multipart/report; report-type=delivery-status");
	ok(strstr(m.data, "MIME-Version: 1.0\r\n") != NULL, "MIME-Version");
	ok(strstr(m.data, "To: <sender@outside.example>\r\n") != NULL, "to the sender");
	ok(strstr(m.data, "From: Mail Delivery System <MAILER-DAEMON@example.test>\r\n") != NULL,
	   "from MAILER-DAEMON of the recipients' domain");
	ok(strstr(m.data, "\r\nDate: ") != NULL && strstr(m.data, "\r\nMessage-ID: <") != NULL,
	   "Date and Message-ID");
	is_int((long long)count_of(m.data, delim), 3, "three parts");
	char closing[140];
	snprintf(closing, sizeof closing, "\r\n--%s--\r\n", boundary);
	ok(m.len > strlen(closing) &&
	   strcmp(m.data + m.len - strlen(closing), closing) == 0, "and the closing delimiter last");
	const char *st = strstr(m.data, "Content-Type: message/delivery-status\r\n");
	ok(st != NULL && strstr(st, "\r\n\r\nReporting-MTA: dns; mx.example.test\r\n"
	                            "Arrival-Date: ") != NULL,
	   "per-message fields: Reporting-MTA, Arrival-Date");
	ok(strstr(m.data, "\r\n\r\nFinal-Recipient: rfc822; ghost@example.test\r\n"
	                  "Action: failed\r\nStatus: 5.1.1\r\n"
	                  "Diagnostic-Code: smtp; 550 5.1.1 no such user here\r\n") != NULL,
	   "a block per recipient: Final-Recipient, Action, Status, Diagnostic-Code");
	ok(strstr(m.data, "Status: 5.2.2\r\nDiagnostic-Code: smtp; 552 5.2.2 mailbox full\r\n")
	       != NULL, "a full mailbox says 552 in its Diagnostic-Code");
	const char *h = strstr(m.data, "Content-Type: text/rfc822-headers\r\n");
	ok(h != NULL && strstr(h, "Subject: hello\r\n  folded\r\n") != NULL,
	   "the original header as text/rfc822-headers");
	ok(h != NULL && strstr(h, "in the body") == NULL, "without the original body");
	ok(lines_ok(&m), "every line ends in CRLF and is at most 998 characters");
	genmail_free(&m);
}

static void test_autoreply(void)
{
	struct postman pm = { .node = "mx.example.test" };
	struct generated_mail m = { 0 };

	ok(vacation_build(&pm, "ann@example.test", "Away.\nBack on Monday.", false, NULL, "a@b.example",
	                  msg, strlen(msg), &m) == 0, "an auto-reply is built");
	ok(strstr(m.data, "From: <ann@example.test>\r\nTo: <a@b.example>\r\n"
	                  "Subject: Auto: hello  folded\r\nAuto-Submitted: auto-replied\r\n") != NULL,
	   "from the person to the sender, Auto: subject, Auto-Submitted");
	ok(strstr(m.data, "In-Reply-To: <m1@outside.example>\r\n"
	                  "References: <m0@outside.example> <m1@outside.example>\r\n") != NULL,
	   "In-Reply-To and References (RFC 3834 3.1.5)");
	ok(strstr(m.data, "\r\n\r\nAway.\r\nBack on Monday.\r\n") != NULL,
	   "the person's text with CRLF lines");
	ok(lines_ok(&m), "every line ends in CRLF");
	genmail_free(&m);
}

/* Sieve vacation :mime (RFC 5230 4.8): the reason's Content-* fields
 * become the reply's, and nothing else of its header does. */
static void test_autoreply_mime(void)
{
	struct postman pm = { .node = "mx.example.test" };
	struct generated_mail m = { 0 };
	const char *reason = "Content-Type: text/html;\n charset=utf-8\nBcc: x@evil.example\n"
	                     "Content-Language: de\n\n<p>Away</p>\n";

	ok(vacation_build(&pm, "ann@example.test", reason, true, NULL, "a@b.example", msg,
	                  strlen(msg), &m) == 0, "a :mime auto-reply is built");
	ok(strstr(m.data, "MIME-Version: 1.0\r\nContent-Type: text/html;\r\n charset=utf-8\r\n"
	                  "Content-Language: de\r\n\r\n<p>Away</p>\r\n") != NULL,
	   "the reason's Content-* fields (folded too) head the reply, then its body");
	ok(strstr(m.data, "Bcc") == NULL, "other fields of the reason are left out");
	ok(strstr(m.data, "text/plain") == NULL, "no text/plain of its own");
	ok(lines_ok(&m), "every line ends in CRLF");
	genmail_free(&m);
}

int main(void)
{
	test_headers();
	test_vacation_rules();
	test_bounce();
	test_autoreply_mime();
	test_autoreply();
	done_testing();
	return exit_status();
}
