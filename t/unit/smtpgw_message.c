/* Unit tests for the message buffer of smtpgw (smtpgw/smtpgw_message.c):
 * LF and CRLF input in any chunking turned into CRLF, the size limit
 * (counted on the input, not the trace field), what passes as a message
 * (a header of Name: value lines, a leading mbox "From " line dropped)
 * and the Received field smtpgw writes. */
#include "../../smtpgw/smtpgw.h"
#include "tap.h"

#include "spool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Feeds IN to a fresh buffer in chunks of CHUNK bytes; returns it. */
static struct message_buf feed(const char *in, size_t chunk, size_t limit)
{
	struct message_buf b;
	size_t len = strlen(in);
	msgbuf_init(&b, limit);
	for (size_t i = 0; i < len; i += chunk)
		msgbuf_add_raw(&b, in + i, len - i < chunk ? len - i : chunk);
	return b;
}

static void test_crlf(void)
{
	static const char lf[] = "A: 1\nB: 2\n\nbody\n.\n";
	static const char want[] = "A: 1\r\nB: 2\r\n\r\nbody\r\n.\r\n";
	static const char crlf[] = "A: 1\r\nB: 2\r\n\r\nbody\r\n.\r\n";

	for (size_t chunk = 1; chunk <= 8; chunk++) {
		struct message_buf b = feed(lf, chunk, 1000);
		is_mem(b.data, b.len, want, strlen(want), "LF input in chunks of %zu", chunk);
		msgbuf_free(&b);
		b = feed(crlf, chunk, 1000);
		is_mem(b.data, b.len, want, strlen(want), "CRLF input in chunks of %zu: "
		       "no CR doubled", chunk);
		msgbuf_free(&b);
	}
	struct message_buf b = feed("A: 1\r\n\r\nx\rz\n", 64, 1000);
	is_mem(b.data, b.len, "A: 1\r\n\r\nx\rz\r\n", 13, "a bare CR inside a line is kept");
	msgbuf_free(&b);
}

static void test_limit(void)
{
	struct message_buf b;

	b = feed("A: 1\r\n\r\n12", 3, 10);
	ok(!b.too_big && b.len == 10, "exactly the limit fits");
	msgbuf_free(&b);
	b = feed("A: 1\r\n\r\n123", 3, 10);
	ok(b.too_big && b.len == 10, "one byte more is too big and cut at the limit");
	msgbuf_free(&b);
	b = feed("A: 1\n\n123", 2, 10);
	ok(b.too_big, "the limit counts the CRLF form (9 bytes of input, 11 stored)");
	msgbuf_free(&b);

	msgbuf_init(&b, 10);
	ok(msgbuf_add_trace(&b, "Received: by test\r\n") == 0, "a trace field first");
	msgbuf_add_raw(&b, "A: 1\r\n\r\n12", 10);
	ok(!b.too_big && b.start == 19 && b.len == 29,
	   "the trace field does not count against the limit");
	msgbuf_free(&b);

	msgbuf_init(&b, 14);
	ok(msgbuf_add_bytes(&b, "A: 1\r\n\r\n", 8) == 0 &&
	   msgbuf_add_bytes(&b, "body\r\n", 6) == 0 && !b.too_big && b.len == 14,
	   "bytes as they are, up to the limit");
	ok(msgbuf_add_bytes(&b, "x", 1) == 0 && b.too_big && b.len == 14,
	   "bytes past the limit are dropped and mark it");
	msgbuf_free(&b);
}

static int check(const char *in, const char **why)
{
	struct message_buf b = feed(in, 4096, 100000);
	int r = msgbuf_check(&b, why);
	msgbuf_free(&b);
	return r;
}

static void test_check(void)
{
	const char *why = NULL;

	ok(check("Subject: x\nFrom: a@b\n\nbody\n", &why) == 0, "a header and a body");
	ok(check("Subject: x\n", &why) == 0, "a header alone");
	ok(check("Subject: x\n folded\nX-Y:\n\n", &why) == 0,
	   "folded fields and an empty value");
	ok(check("Subject: x\n\nno colon here\n\0binary", &why) == 0,
	   "the body is not looked at");
	ok(check("", &why) < 0 && strstr(why, "empty") != NULL, "empty input: %s", why);
	ok(check("just text\n", &why) < 0 && strstr(why, "header") != NULL,
	   "text without a header: %s", why);
	ok(check(" folded first: x\n", &why) < 0, "a continuation line first");
	ok(check("Subject x\n\nbody\n", &why) < 0, "a field without a colon");
	ok(check(": x\n", &why) < 0, "a field without a name");
	ok(check("Bad Name: x\n", &why) < 0, "a name with a blank");
	/* what libcommon's header reader calls a field, here too */
	ok(check("Subject : x\n\nbody\n", &why) == 0,
	   "blanks before the colon (RFC 5322 4.5, as header.c reads them)");
	ok(check("Subject: x\r\n\r\nbody\r\n", &why) == 0, "CRLF line ends");

	struct message_buf b;
	static const char nul[] = "Subject: a\0b\n\nbody\n";
	msgbuf_init(&b, 1000);
	msgbuf_add_raw(&b, nul, sizeof nul - 1);
	ok(msgbuf_check(&b, &why) < 0 && strstr(why, "NUL") != NULL, "a NUL in the header");
	msgbuf_free(&b);

	b = feed("From sender@b.example Tue Dec  1 09:00:00 2026\nSubject: x\n\nhi\n", 7, 1000);
	ok(msgbuf_check(&b, &why) < 0, "an mbox From line first is not a header");
	msgbuf_drop_from_line(&b);
	ok(msgbuf_check(&b, &why) == 0, "the mailer drops it first");
	is_mem(b.data, b.len, "Subject: x\r\n\r\nhi\r\n", 18, "and it is gone");
	msgbuf_free(&b);
	b = feed("From: a@b.example\n\nhi\n", 64, 1000);
	msgbuf_drop_from_line(&b);
	ok(msgbuf_check(&b, &why) == 0 && b.len == 25, "a From: field is not such a line");
	msgbuf_free(&b);
}

static void test_received(void)
{
	struct smtpgw g = { .node = "mx.test" };
	char out[512];

	int n = smtpgw_received(&g, "from mailer", "local", "ann@example.test", out, sizeof out);
	ok(n > 0 && (size_t)n == strlen(out), "a Received field (%d bytes)", n);
	ok(strncmp(out, "Received: from mailer\r\n\tby mx.test (ems smtpgw) with local\r\n"
	                "\tfor <ann@example.test>;\r\n\t", 86) == 0,
	   "from, by, with and for on folded lines");
	ok(n > 2 && strcmp(out + n - 2, "\r\n") == 0, "ending in CRLF");
	n = smtpgw_received(&g, "from client.test ([127.0.0.1])", "LMTP", NULL, out, sizeof out);
	ok(n > 0 && strstr(out, "for <") == NULL && strstr(out, "with LMTP;\r\n") != NULL,
	   "without a recipient when there are several");
	ok(smtpgw_received(&g, "from mailer", "local", NULL, out, 40) == -1,
	   "-1 when it does not fit");
}

/* Past SPOOL_CHUNK bytes the message goes to a spool file: the same
 * bytes come out (the "From " line dropped before the first write), and
 * a bad header found then is still reported at the end. */
static void test_spool(void)
{
	char dir[1024];
	size_t n = 0, got = 0;
	snprintf(dir, sizeof dir, "%s/spool", tap_tmpdir());
	spool_prepare(dir);
	char *in = malloc(400000), *want = malloc(400000), *back = malloc(400000);
	n = (size_t)sprintf(in, "From x@y Mon Dec  7 00:00:00 2026\nSubject: big\n\n");
	size_t w = (size_t)sprintf(want, "Subject: big\r\n\r\n");
	for (int i = 0; n < 300000; i++) {
		n += (size_t)sprintf(in + n, "line %d\n", i);
		w += (size_t)sprintf(want + w, "line %d\r\n", i);
	}
	struct message_buf b;
	const char *why = NULL;
	msgbuf_init(&b, 1000000);
	msgbuf_spool(&b, dir, true);
	for (size_t i = 0; i < n; i += 1000)
		msgbuf_add_raw(&b, in + i, n - i < 1000 ? n - i : 1000);
	msgbuf_drop_from_line(&b);
	ok(b.spool != NULL && b.cap <= 4 * SPOOL_CHUNK, "a message past a chunk is spooled (%zu "
	   "bytes kept in memory)", b.cap);
	ok(msgbuf_check(&b, &why) == 0 && msgbuf_finish(&b) == 0, "  checked, finished");
	ssize_t r;
	while ((r = spool_read(b.spool, got, back + got, 65536)) > 0)
		got += (size_t)r;
	is_mem(back, got, want, w, "  the spool holds the message in CRLF form, no From line");
	is_int((long long)b.len, (long long)w, "  and its length is the message's");
	msgbuf_free(&b);
	msgbuf_init(&b, 1000000);
	msgbuf_spool(&b, dir, false);
	msgbuf_add_raw(&b, "no header here\n", 15);
	msgbuf_add_raw(&b, in + 60, 200000);
	ok(msgbuf_check(&b, &why) < 0 && strstr(why, "header") != NULL,
	   "a spooled message that is not one is refused at the end");
	msgbuf_free(&b);
	msgbuf_init(&b, 100000);
	msgbuf_spool(&b, dir, false);
	msgbuf_add_raw(&b, in + 36, 200000);
	ok(b.too_big && b.spool == NULL, "over the limit: too big, the spool is dropped");
	msgbuf_free(&b);
	free(in);
	free(want);
	free(back);
}

int main(void)
{
	test_spool();
	test_crlf();
	test_limit();
	test_check();
	test_received();
	done_testing();
	return exit_status();
}
