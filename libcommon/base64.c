/*
 * base64.c - strict base64 for SASL; see base64.h.
 */
#include "base64.h"

#include <stdint.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

ssize_t base64_encode(const void *in, size_t len, char *out, size_t cap)
{
	const unsigned char *p = in;
	size_t n = 0;
	if (cap < BASE64_ENCODED_SIZE(len))
		return -1;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[n++] = alphabet[v >> 18 & 63];
		out[n++] = alphabet[v >> 12 & 63];
		out[n++] = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
		out[n++] = i + 2 < len ? alphabet[v & 63] : '=';
	}
	out[n] = '\0';
	return (ssize_t)n;
}

int base64_value(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	return ch == '+' ? 62 : ch == '/' ? 63 : -1;
}

ssize_t base64_decode(const char *in, size_t len, void *out, size_t cap)
{
	unsigned char *o = out;
	size_t n = 0, pad = 0;
	uint32_t bits = 0;
	int nbits = 0;
	if (len % 4 != 0 || cap == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '=') {
			/* padding only in the last two places, and only there */
			if (++pad > 2 || i < len - 2)
				return -1;
			continue;
		}
		int v = base64_value((unsigned char)in[i]);
		if (v < 0 || pad)
			return -1;
		bits = (bits << 6 | (uint32_t)v) & 0xffffff;
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			if (n + 1 >= cap)
				return -1;
			o[n++] = (unsigned char)(bits >> nbits);
		}
	}
	o[n] = '\0';
	return (ssize_t)n;
}
