/* Unit tests for smtpgw's LMTP DATA decoder (smtpgw/lmtp_data.c): the end
 * of data is <CRLF>.<CRLF> only (the 2023 SMTP smuggling sequences are
 * text), dot-unstuffing, bare LF to CRLF, bare CR kept, the CRLF before
 * the final dot dropped after a bare-LF line, the size limit, and every
 * case the same whatever the chunks the input arrives in. */
#include "../../smtpgw/lmtp_data.h"
#include "../../smtpgw/smtpgw.h"
#include "tap.h"

#include <string.h>

struct result {
	char out[256];
	size_t out_len;
	size_t used;        /* input bytes taken; the rest is the next command */
	int done;
	int too_big;
};

/* Decodes IN (LEN bytes) in chunks of CHUNK into R. */
static void decode(const char *in, size_t len, size_t chunk, size_t limit,
                   struct result *r)
{
	struct lmtp_data d;
	struct message_buf b;
	bool done = false;

	memset(r, 0, sizeof *r);
	lmtp_data_init(&d);
	msgbuf_init(&b, limit);
	while (r->used < len && !done) {
		size_t n = len - r->used < chunk ? len - r->used : chunk;
		r->used += lmtp_data_feed(&d, &b, in + r->used, n, &done);
	}
	r->done = done;
	r->too_big = b.too_big;
	r->out_len = b.len < sizeof r->out ? b.len : sizeof r->out;
	if (b.len > 0)
		memcpy(r->out, b.data, r->out_len);
	msgbuf_free(&b);
}

static const struct {
	const char *what, *in, *want, *rest;   /* REST NULL: no end of data */
} cases[] = {
	{ "CRLF lines", "A: 1\r\n\r\nbody\r\n.\r\n", "A: 1\r\n\r\nbody\r\n", "" },
	{ "empty data", ".\r\n", "", "" },
	{ "dot-stuffed lines", "..x\r\n..\r\n.\r\n", ".x\r\n.\r\n", "" },
	{ "a dot-stuffed line of two dots", "...\r\n.\r\n", "..\r\n", "" },
	{ "bare LF becomes CRLF", "a\nb\r\n.\r\n", "a\r\nb\r\n", "" },
	{ "smtplib's LF text: the CRLF before the dot ends nothing",
	  "From the start\n\r\n.\r\n", "From the start\r\n", "" },
	{ "an empty line after a bare-LF line is kept",
	  "a\n\r\nb\r\n.\r\n", "a\r\n\r\nb\r\n", "" },
	{ "an empty last line after CRLF is kept", "a\r\n\r\n.\r\n", "a\r\n\r\n", "" },
	{ "smuggling: LF . CRLF is text, no second transaction",
	  "line\n.\r\nMAIL FROM:<x@y>\r\nRCPT TO:<v@z>\r\nDATA\r\nforged\r\n.\r\nQUIT\r\n",
	  "line\r\n.\r\nMAIL FROM:<x@y>\r\nRCPT TO:<v@z>\r\nDATA\r\nforged\r\n", "QUIT\r\n" },
	{ "LF . LF is text", "a\n.\nb\r\n.\r\n", "a\r\n.\r\nb\r\n", "" },
	{ "CRLF . LF is text with its dot unstuffed", "a\r\n.\nb\r\n.\r\n",
	  "a\r\n\r\nb\r\n", "" },
	{ "CR . CR is text", "a\r.\rb\r\n.\r\n", "a\r.\rb\r\n", "" },
	{ "CRLF . CR x: the dot was stuffing", "a\r\n.\rx\r\n.\r\n", "a\r\n\rx\r\n", "" },
	{ "two dots after a bare LF are one stuffed dot", "a\n..b\r\n.\r\n",
	  "a\r\n.b\r\n", "" },
	{ "one dot after a bare LF stays", "a\n.b\r\n.\r\n", "a\r\n.b\r\n", "" },
	{ "bare CR kept, CR CR LF is CR then CRLF", "a\rb\r\r\n.\r\n", "a\rb\r\r\n", "" },
	{ "NUL and 8-bit bytes pass", "a\0\xff\xe9\r\n.\r\n", "a\0\xff\xe9\r\n", "" },
	{ "pipelined command after the end stays input", "x\r\n.\r\nRSET\r\n",
	  "x\r\n", "RSET\r\n" },
	{ "no end yet", "a\r\n.\r", NULL, NULL },
	{ "LF . CRLF alone never ends", "a\n.\r\n", NULL, NULL },
};

/* The one case with a NUL byte has its lengths here. */
#define NUL_CASE 16
static size_t in_len(size_t i)
{
	return i == NUL_CASE ? 9 : strlen(cases[i].in);
}

static void test_cases(void)
{
	struct result r;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = in_len(i);
		for (size_t chunk = 1; chunk <= len; chunk++) {
			decode(cases[i].in, len, chunk, 1000, &r);
			if (cases[i].rest == NULL) {
				if (!ok(!r.done && r.used == len, "%s (chunks of %zu)",
				        cases[i].what, chunk))
					break;
				continue;
			}
			size_t want_len = i == NUL_CASE ? 6 : strlen(cases[i].want);
			int good = r.done && r.out_len == want_len &&
			           memcmp(r.out, cases[i].want, want_len) == 0 &&
			           strcmp(cases[i].in + r.used, cases[i].rest) == 0;
			if (chunk == 1 || chunk == len || !good)
				if (!is_mem(r.out, r.out_len, cases[i].want, want_len,
				            "%s (chunks of %zu)", cases[i].what, chunk) ||
				    !ok(r.done && strcmp(cases[i].in + r.used, cases[i].rest) == 0,
				        "%s: the end found, the rest left (chunks of %zu)",
				        cases[i].what, chunk))
					break;
		}
	}
}

static void test_limit(void)
{
	struct result r;
	decode("0123456789\r\n.\r\n", 15, 4, 12, &r);
	ok(r.done && !r.too_big && r.out_len == 12, "exactly the limit fits");
	decode("0123456789a\r\n.\r\nNOOP\r\n", 22, 4, 12, &r);
	ok(r.done && r.too_big && r.used == 16, "over the limit: too big, but the end is "
	   "still found and the next command left");
}

int main(void)
{
	test_cases();
	test_limit();
	done_testing();
	return exit_status();
}
