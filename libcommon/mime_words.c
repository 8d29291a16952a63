/*
 * mime_words.c - RFC 2047 encoded words ("=?charset?Q?...?=" and
 * "=?charset?B?...?=") in header text, decoded to UTF-8 with iconv.
 * Adjacent words of one charset are joined before conversion, so a
 * character split across two words survives.  See mime.h.
 */
#include "cte.h"
#include "log.h"
#include "mime.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The longest charset name taken (RFC 2978 names are shorter). */
#define CHARSET_MAX 64

static const char replacement[] = "\xEF\xBF\xBD";   /* U+FFFD */

long mime_charset_to_utf8(const char *charset, const char *s, size_t len, char *out)
{
	if (strcasecmp(charset, "us-ascii") == 0 || strcasecmp(charset, "utf-8") == 0 ||
	    strcasecmp(charset, "utf8") == 0) {
		/* the common cases need no iconv; bytes are kept as they are */
		memcpy(out, s, len);
		return (long)len;
	}
	iconv_t cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return -1;
	char *in = (char *)s, *o = out;
	size_t inleft = len, outleft = 4 * len + 4;
	while (inleft > 0) {
		if (iconv(cd, &in, &inleft, &o, &outleft) != (size_t)-1)
			break;
		if (errno == E2BIG || outleft < sizeof replacement)
			break;
		/* an invalid or truncated sequence: one byte becomes U+FFFD */
		memcpy(o, replacement, sizeof replacement - 1);
		o += sizeof replacement - 1;
		outleft -= sizeof replacement - 1;
		in++;
		inleft--;
	}
	iconv(cd, NULL, NULL, &o, &outleft);
	iconv_close(cd);
	return (long)(o - out);
}

/* Decodes encoded text T (LEN bytes) in encoding ENC ('Q' or 'B') into
 * OUT; returns the bytes written. */
static size_t decode_text(char enc, const char *t, size_t len, char *out)
{
	size_t n = 0;
	if (enc == 'Q') {
		for (size_t i = 0; i < len; i++) {
			int hi, lo;
			if (t[i] == '_')
				out[n++] = ' ';
			else if (t[i] == '=' && i + 2 < len &&
			         (hi = cte_hex_value((unsigned char)t[i + 1])) >= 0 &&
			         (lo = cte_hex_value((unsigned char)t[i + 2])) >= 0) {
				out[n++] = (char)(hi * 16 + lo);
				i += 2;
			} else
				out[n++] = t[i];
		}
		return n;
	}
	return cte_base64(t, len, out);
}

/* An encoded word at P (before END): its charset (language suffix
 * dropped), encoding and text.  Returns its length, 0 when P does not
 * start one. */
static size_t parse_word(const char *p, const char *end, char *charset, char *enc,
                         const char **text, size_t *text_len)
{
	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	const char *cs = p + 2, *q = memchr(cs, '?', (size_t)(end - cs));
	if (q == NULL || q == cs || q - cs >= CHARSET_MAX || end - q < 4 || q[2] != '?')
		return 0;
	*enc = (char)toupper((unsigned char)q[1]);
	if (*enc != 'Q' && *enc != 'B')
		return 0;
	const char *t = q + 3, *e = t;
	while (e + 1 < end && !(e[0] == '?' && e[1] == '='))  {
		if (*e == ' ' || *e == '\t' || *e == '\r' || *e == '\n')
			return 0;
		e++;
	}
	if (e + 1 >= end)
		return 0;
	memcpy(charset, cs, (size_t)(q - cs));
	charset[q - cs] = '\0';
	char *star = strchr(charset, '*');   /* RFC 2231 section 5 language */
	if (star != NULL)
		*star = '\0';
	*text = t;
	*text_len = (size_t)(e - t);
	return (size_t)(e + 2 - p);
}

struct decoder {
	char *out;          /* 4 * input + slack */
	size_t n;
	char charset[CHARSET_MAX];
	char *pending;      /* decoded bytes of adjacent words in charset */
	size_t npending;
	const char *raw;    /* where the pending words start in the input */
	size_t raw_len;
};

/* Converts the pending words into OUT (kept raw if the charset is
 * unknown). */
static void flush(struct decoder *d)
{
	if (d->raw == NULL)
		return;
	long w = mime_charset_to_utf8(d->charset, d->pending, d->npending, d->out + d->n);
	if (w < 0) {
		memcpy(d->out + d->n, d->raw, d->raw_len);
		w = (long)d->raw_len;
	}
	d->n += (size_t)w;
	d->npending = 0;
	d->raw = NULL;
}

char *mime_words_decode(const char *s, size_t len, size_t *out_len)
{
	struct decoder d = { .out = malloc(4 * len + 8), .pending = malloc(len + 1) };
	const char *p = s, *end = s + len;
	if (d.out == NULL || d.pending == NULL) {
		free(d.out);
		free(d.pending);
		log_error("mime_words", "error=\"out of memory\"");
		return NULL;
	}
	while (p < end) {
		char charset[CHARSET_MAX], enc;
		const char *text;
		size_t tlen, wl = parse_word(p, end, charset, &enc, &text, &tlen);
		if (wl == 0) {
			/* blanks between two encoded words vanish */
			const char *b = p;
			while (b < end && (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n'))
				b++;
			if (d.raw != NULL && b > p && b < end &&
			    parse_word(b, end, charset, &enc, &text, &tlen) > 0) {
				p = b;
				continue;
			}
			flush(&d);
			d.out[d.n++] = *p++;
			continue;
		}
		if (d.raw != NULL && strcasecmp(d.charset, charset) != 0)
			flush(&d);
		if (d.raw == NULL) {
			memcpy(d.charset, charset, sizeof charset);
			d.raw = p;
			d.raw_len = 0;
		}
		d.npending += decode_text(enc, text, tlen, d.pending + d.npending);
		d.raw_len = (size_t)(p + wl - d.raw);
		p += wl;
	}
	flush(&d);
	free(d.pending);
	d.out[d.n] = '\0';
	*out_len = d.n;
	return d.out;
}
