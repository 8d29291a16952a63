/* Unit tests for libcommon/header.c, the one RFC 5322 header reader of
 * the MIME parser, imap4srv and postman: where a block ends, its fields
 * (folded, bare LF, without a colon), lookup without case, unfolding,
 * and fields far longer than any buffer. */
#include "header.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t block(const char *s, bool *complete)
{
	return header_block_len(s, strlen(s), complete);
}

static void test_block_end(void)
{
	bool complete;

	is_int((long long)block("A: 1\r\nB: 2\r\n\r\nbody\r\n", &complete), 14,
	       "CRLF: the block ends after the blank line");
	ok(complete, "and says the blank line was found");
	is_int((long long)block("A: 1\nB: 2\n\nbody\n", &complete), 11, "bare LF too");
	is_int((long long)block("\r\nbody", &complete), 2, "no header at all: the blank line");
	ok(complete, "a complete, empty block");
	is_int((long long)block("A: 1\r\n \r\nB: 2\r\n\r\n", NULL), 17,
	       "a line of blanks is a continuation, not the end");
	is_int((long long)block("A: 1\r\nB: 2\r\n", &complete), 12,
	       "no blank line: all of it is header");
	ok(!complete, "and not complete");
	is_int((long long)block("A: 1\r\n\r", &complete), 7,
	       "a blank line cut before its LF is not one yet");
	ok(!complete, "so a reader reads on");
	is_int((long long)block("A: 1\r\n\rB: 2\r\n\r\n", NULL), 15,
	       "a lone CR does not end the block");
	is_int((long long)header_block_len("", 0, &complete), 0, "an empty span");
	ok(!complete, "is not a complete block");
}

static void test_fields(void)
{
	static const char msg[] =
		"From: ann@example.test\r\n"
		"Subject: hello\r\n\tfolded\r\n world\r\n"
		"no colon on this line\r\n"
		": no name\r\n"
		"Keywords :  obsolete\r\n"
		"X-Bare: lf\n"
		"\r\n"
		"Subject: in the body\r\n";
	struct header_reader r;
	struct header_field f;
	char v[64];

	header_reader_init(&r, msg, strlen(msg));
	ok(header_next(&r, &f) == 1 && header_field_is(&f, "FROM"), "From, any case");
	is_mem(f.value, f.value_len, " ann@example.test\r\n", 19, "its raw value");
	ok(header_next(&r, &f) == 1 && header_field_is(&f, "subject"), "a folded Subject");
	is_int((long long)f.raw_len, 33, "the field holds its continuation lines");
	header_unfold(&f, v, sizeof v);
	is_str(v, "hello\tfolded world", "unfolded: line ends go, blanks stay");
	ok(header_next(&r, &f) == 1 && f.name == NULL, "a line without a colon: no field");
	is_mem(f.raw, f.raw_len, "no colon on this line\r\n", 23, "but its bytes are there");
	ok(header_next(&r, &f) == 1 && f.name == NULL, "nor a colon with no name before it");
	ok(header_next(&r, &f) == 1 && header_field_is(&f, "Keywords"),
	   "blanks before the colon are not the name (obsolete syntax)");
	header_unfold(&f, v, sizeof v);
	is_str(v, "obsolete", "its value");
	ok(header_next(&r, &f) == 1 && header_field_is(&f, "X-Bare"), "a field ending in bare LF");
	is_mem(f.value, f.value_len, " lf\n", 4, "ends at the LF");
	is_int(header_next(&r, &f), 0, "the blank line ends the block");
	is_int(header_next(&r, &f), 0, "and stays the end");

	header_reader_init(&r, msg, strlen(msg));
	ok(header_find(&r, "keywords", &f) == 1 && header_field_is(&f, "Keywords"),
	   "find skips to the field");
	is_int(header_find(&r, "Subject", &f), 0, "and never into the body");
	header_reader_init(&r, msg, strlen(msg));
	int n = 0;
	while (header_next_field(&r, &f) > 0)
		n++;
	is_int(n, 4, "next_field skips what is no field");

	ok(header_get("A: x\r\nB: last", 13, "b", v, sizeof v), "a last field without a line end");
	is_str(v, "last", "runs to the end of the span");
	ok(!header_get(msg, strlen(msg), "To", v, sizeof v) && v[0] == '\0',
	   "a missing field: false, empty");
	ok(header_get("a: b\r\nA: c\r\n\r\n", 14, "A", v, sizeof v), "two of a name");
	is_str(v, "b", "get gives the first");
	ok(!header_get("Subject\r\n : no\r\n\r\n", 18, "Subject", v, sizeof v),
	   "a colon on a continuation line makes no field");
}

static void test_unfold(void)
{
	struct header_field f;
	char v[16];

	f = (struct header_field){ .name = "S", .name_len = 1, .value = "\r\n  early fold\r\n",
	                           .value_len = 16 };
	header_unfold(&f, v, sizeof v);
	is_str(v, "early fold", "a value that starts on the next line: no leading blanks");
	f.value = " a\0b  \t\r\n";
	f.value_len = 9;
	is_int((long long)header_unfold(&f, v, sizeof v), 3, "trailing blanks go");
	is_mem(v, 4, "a b", 4, "a NUL byte becomes a space");
	f.value = " 0123456789abcdefghij\r\n";
	f.value_len = 23;
	is_int((long long)header_unfold(&f, v, 8), 7, "cut to the buffer");
	is_str(v, "0123456", "and NUL-terminated");
	is_int((long long)header_unfold(&f, v, 1), 0, "a one-byte buffer holds the NUL only");
}

/* A header of one 1 MiB Subject folded every 70 bytes, then To. */
static char *huge_header(size_t *len, size_t *value_chars)
{
	const size_t parts = 1024 * 1024 / 72;
	char *h = malloc(parts * 72 + 64), *p = h;
	if (h == NULL)
		abort();
	p += sprintf(p, "Subject:");
	for (size_t i = 0; i < parts; i++) {
		memset(p, 'a' + (int)(i % 26), 69);
		p[0] = ' ';   /* a continuation line */
		memcpy(p + 69, "\r\n", 2);
		p += 71;
	}
	p += sprintf(p, "To: bob@example.test\r\n\r\n");
	*len = (size_t)(p - h);
	*value_chars = parts * 69;
	return h;
}

static int count_len(const char *value, size_t len, void *arg)
{
	(void)value;
	*(size_t *)arg = len;
	return 0;
}

static void test_huge(void)
{
	size_t len, chars, each_len = 0;
	char *h = huge_header(&len, &chars);
	struct header_reader r;
	struct header_field f;
	char small[32];

	is_int((long long)header_block_len(h, len, NULL), (long long)len,
	       "a 1 MiB header block ends at its blank line");
	header_reader_init(&r, h, len);
	ok(header_find(&r, "subject", &f) == 1, "the huge field is one field");
	char *v = malloc(f.value_len + 1);
	if (v == NULL)
		abort();
	/* every fold's leading blank stays but the first; CRLFs go */
	is_int((long long)header_unfold(&f, v, f.value_len + 1), (long long)chars - 1,
	       "unfolded whole into a buffer of value_len + 1");
	free(v);
	ok(header_find(&r, "To", &f) == 1, "the field after it is found");
	ok(header_get(h, len, "Subject", small, sizeof small) && strlen(small) == 31,
	   "into a small buffer it is cut, not overrun");
	is_int(header_each(h, len, "Subject", count_len, &each_len), 1, "each sees it once");
	is_int((long long)each_len, HEADER_LINE_MAX, "with its value cut at HEADER_LINE_MAX");
	free(h);
}

static int stop_at_second(const char *value, size_t len, void *arg)
{
	int *calls = arg;
	(void)value;
	(void)len;
	return ++*calls == 2;
}

static void test_each(void)
{
	static const char msg[] = "Received: a\r\nReceived : b\r\nX: y\nreceived:c\n\nReceived: body\n";
	int calls = 0;

	is_int(header_each(msg, strlen(msg), "Received", NULL, NULL), 3,
	       "each counts the fields of a name, obsolete syntax too, none in the body");
	is_int(header_each(msg, strlen(msg), "RECEIVED", stop_at_second, &calls), 2,
	       "a callback returning non-zero stops");
	is_int(calls, 2, "after two calls");
}

int main(void)
{
	test_block_end();
	test_fields();
	test_unfold();
	test_huge();
	test_each();
	done_testing();
	return exit_status();
}
