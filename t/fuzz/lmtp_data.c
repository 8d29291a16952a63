/*
 * lmtp_data.c - libFuzzer target: the text after an LMTP DATA command
 * through lmtp_data_feed(), as lmtp_session.c feeds it, once whole and
 * once cut in two where the first byte says.  Both must agree; the
 * stored message never holds a bare LF; the end of data is only ever
 * found right after <CRLF>.<CRLF>.  The seeds are the SMTP smuggling
 * sequences and the bare LF / bare CR cases.  See mk/fuzz.sh.
 *
 * fuzz-sources: smtpgw/lmtp_data.c smtpgw/smtpgw_message.c
 */
#include "lmtp_data.h"
#include "smtpgw.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_LIMIT 4096

/* Decodes IN in pieces cut at CUT; returns the bytes taken. */
static size_t run(const uint8_t *in, size_t len, size_t cut, struct message_buf *b,
                  bool *done)
{
	struct lmtp_data d;
	size_t used = 0;

	lmtp_data_init(&d);
	msgbuf_init(b, FUZZ_LIMIT);
	*done = false;
	if (cut > len)
		cut = len;
	used = lmtp_data_feed(&d, b, (const char *)in, cut, done);
	if (!*done)
		used += lmtp_data_feed(&d, b, (const char *)in + cut, len - cut, done);
	return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct message_buf whole, split;
	bool done1, done2;

	if (size == 0)
		return 0;
	size_t cut = data[0] % (size + 1);
	size_t used1 = run(data + 1, size - 1, size, &whole, &done1);
	size_t used2 = run(data + 1, size - 1, cut, &split, &done2);

	if (used1 != used2 || done1 != done2 || whole.len != split.len ||
	    (whole.len > 0 && memcmp(whole.data, split.data, whole.len) != 0))
		abort();        /* chunking changed the result */
	if (done1 && (used1 < 3 || memcmp(data + 1 + used1 - 3, ".\r\n", 3) != 0))
		abort();        /* ended anywhere but after ".\r\n" */
	for (size_t i = 0; i < whole.len && !whole.too_big; i++)
		if (whole.data[i] == '\n' && (i == 0 || whole.data[i - 1] != '\r'))
			abort();    /* a bare LF was stored */
	msgbuf_free(&whole);
	msgbuf_free(&split);
	return 0;
}
