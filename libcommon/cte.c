/*
 * cte.c - Content-Transfer-Encoding decoding; see cte.h.
 */
#include "cte.h"
#include "base64.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t cte_base64(const char *in, size_t len, char *out)
{
	size_t n = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len && in[i] != '='; i++) {
		int v = base64_value((unsigned char)in[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	return n;
}

int cte_hex_value(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Quoted-printable (RFC 2045 6.7): "=XX" is a byte, "=" at the end of a
 * line joins it to the next, a stray "=" stays as it is, and the
 * spaces and tabs that end a line are transport padding, dropped. */
static size_t quoted_printable(const char *in, size_t len, char *out)
{
	size_t n = 0, pad = 0;     /* pad: out[pad..n) is trailing white space */
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];
		if (ch == '\r' || ch == '\n') {
			n = pad;
			out[n++] = (char)ch;
			pad = n;
			continue;
		}
		if (ch == '=') {
			size_t j = i + 1;
			while (j < len && (in[j] == ' ' || in[j] == '\t'))
				j++;
			if (j == len || in[j] == '\r' || in[j] == '\n') {   /* soft break */
				i = j < len && in[j] == '\r' && j + 1 < len && in[j + 1] == '\n' ? j + 1 : j;
				pad = n;
				continue;
			}
			int hi = i + 2 < len ? cte_hex_value((unsigned char)in[i + 1]) : -1;
			int lo = hi >= 0 ? cte_hex_value((unsigned char)in[i + 2]) : -1;
			if (lo >= 0) {
				out[n++] = (char)(hi << 4 | lo);
				i += 2;
				pad = n;
				continue;
			}
		}
		out[n++] = (char)ch;
		if (ch != ' ' && ch != '\t')
			pad = n;
	}
	return pad;
}

static bool is(const char *encoding, const char *name)
{
	return strcasecmp(encoding, name) == 0;
}

int cte_decode(const char *encoding, const char *in, size_t len, char **out,
               size_t *out_len)
{
	bool b64 = encoding != NULL && is(encoding, "base64");
	bool qp = encoding != NULL && is(encoding, "quoted-printable");
	if (encoding != NULL && !b64 && !qp && !is(encoding, "7bit") && !is(encoding, "8bit") &&
	    !is(encoding, "binary"))
		return 1;
	if ((*out = malloc(len + 1)) == NULL)   /* decoding never grows */
		return -1;
	if (b64)
		*out_len = cte_base64(in, len, *out);
	else if (qp)
		*out_len = quoted_printable(in, len, *out);
	else {
		memcpy(*out, in, len);
		*out_len = len;
	}
	(*out)[*out_len] = '\0';
	return 0;
}
