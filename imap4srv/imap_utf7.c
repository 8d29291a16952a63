/*
 * imap_utf7.c - modified UTF-7 (RFC 3501 section 5.1.3) to and from
 * UTF-8, strict in both directions so one mailbox has one wire name;
 * see imap_utf7.h.  Used by imap_names.c for every mailbox name that
 * crosses the protocol.
 */
#include "imap_utf7.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* Output with a bound: every write checks the room left. */
struct out {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 >= o->cap) {
		o->overflow = true;
		return;
	}
	o->p[o->len++] = c;
}

static int finish(struct out *o)
{
	if (o->cap > 0)
		o->p[o->len < o->cap ? o->len : o->cap - 1] = '\0';
	return o->overflow ? -1 : 0;
}

static bool printable(uint32_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* ---- UTF-8 → modified UTF-7 ---- */

/* Decodes one UTF-8 sequence at *S; returns the code point or -1. */
static int32_t utf8_next(const unsigned char **s)
{
	const unsigned char *p = *s;
	uint32_t c = p[0];
	int extra = c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2
	          : c >= 0xf0 && c < 0xf5 ? 3 : -1;
	if (extra < 0)
		return -1;
	c &= extra == 0 ? 0x7f : 0x3f >> extra;
	for (int i = 1; i <= extra; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past Unicode are invalid */
	if ((extra == 2 && c < 0x800) || (extra == 3 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*s = p + extra + 1;
	return (int32_t)c;
}

/* Base64 state of a shifted run. */
struct b64w {
	uint32_t bits;
	int nbits;
};

static void put_unit(struct out *o, struct b64w *w, uint16_t unit)
{
	w->bits = w->bits << 16 | unit;
	w->nbits += 16;
	while (w->nbits >= 6) {
		w->nbits -= 6;
		put(o, b64[(w->bits >> w->nbits) & 0x3f]);
	}
}

static void end_shift(struct out *o, struct b64w *w)
{
	if (w->nbits > 0)
		put(o, b64[(w->bits << (6 - w->nbits)) & 0x3f]);
	w->nbits = 0;
	w->bits = 0;
	put(o, '-');
}

static void put_code_point(struct out *o, struct b64w *w, uint32_t c)
{
	if (c >= 0x10000) {
		c -= 0x10000;
		put_unit(o, w, (uint16_t)(0xd800 | c >> 10));
		put_unit(o, w, (uint16_t)(0xdc00 | (c & 0x3ff)));
	} else {
		put_unit(o, w, (uint16_t)c);
	}
}

int imap_utf7_encode(const char *utf8, char *out, size_t outlen)
{
	struct out o = { out, 0, outlen, false };
	struct b64w w = { 0, 0 };
	bool shifted = false;
	const unsigned char *s = (const unsigned char *)utf8;

	while (*s) {
		int32_t c = utf8_next(&s);
		if (c < 0) {
			finish(&o);
			return -1;
		}
		if (printable((uint32_t)c) && shifted) {
			end_shift(&o, &w);
			shifted = false;
		}
		if (c == '&') {
			put(&o, '&');
			put(&o, '-');
		} else if (printable((uint32_t)c)) {
			put(&o, (char)c);
		} else {
			if (!shifted)
				put(&o, '&');
			shifted = true;
			put_code_point(&o, &w, (uint32_t)c);
		}
	}
	if (shifted)
		end_shift(&o, &w);
	return finish(&o);
}

/* ---- modified UTF-7 → UTF-8 ---- */

static void put_utf8(struct out *o, uint32_t c)
{
	if (c < 0x80) {
		put(o, (char)c);
	} else if (c < 0x800) {
		put(o, (char)(0xc0 | c >> 6));
		put(o, (char)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		put(o, (char)(0xe0 | c >> 12));
		put(o, (char)(0x80 | ((c >> 6) & 0x3f)));
		put(o, (char)(0x80 | (c & 0x3f)));
	} else {
		put(o, (char)(0xf0 | c >> 18));
		put(o, (char)(0x80 | ((c >> 12) & 0x3f)));
		put(o, (char)(0x80 | ((c >> 6) & 0x3f)));
		put(o, (char)(0x80 | (c & 0x3f)));
	}
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

/* UTF-16 units of one shifted run, turned into code points. */
struct run {
	uint32_t bits;
	int nbits;
	uint16_t high;         /* a high surrogate waiting for its pair */
	bool any;
};

static int take_unit(struct out *o, struct run *r, uint16_t u)
{
	r->any = true;
	if (r->high) {
		if (u < 0xdc00 || u > 0xdfff)
			return -1;
		put_utf8(o, 0x10000 + ((uint32_t)(r->high - 0xd800) << 10) + (u - 0xdc00));
		r->high = 0;
		return 0;
	}
	if (u >= 0xd800 && u <= 0xdbff) {
		r->high = u;
		return 0;
	}
	/* a low surrogate alone, or what should have been written as is */
	if ((u >= 0xdc00 && u <= 0xdfff) || printable(u) || u == 0)
		return -1;
	put_utf8(o, u);
	return 0;
}

/* Decodes the run after '&' at *S up to and including its '-'. */
static int decode_run(struct out *o, const char **s)
{
	struct run r = { 0, 0, 0, false };
	const char *p = *s;
	for (; *p != '-'; p++) {
		int v = b64_value(*p);
		if (v < 0)
			return -1;
		r.bits = r.bits << 6 | (uint32_t)v;
		r.nbits += 6;
		if (r.nbits >= 16) {
			r.nbits -= 16;
			if (take_unit(o, &r, (uint16_t)(r.bits >> r.nbits)) < 0)
				return -1;
		}
	}
	/* leftover bits must be fewer than a character's and all zero */
	if (r.high || !r.any || r.nbits >= 6 || (r.bits & ((1u << r.nbits) - 1)) != 0)
		return -1;
	*s = p + 1;
	return 0;
}

int imap_utf7_decode(const char *mutf7, char *out, size_t outlen)
{
	struct out o = { out, 0, outlen, false };
	const char *s = mutf7;
	bool after_run = false;

	while (*s) {
		if (!printable((unsigned char)*s)) {
			finish(&o);
			return -1;
		}
		if (*s != '&') {
			put(&o, *s++);
			after_run = false;
		} else if (s[1] == '-') {
			put(&o, '&');
			s += 2;
			after_run = false;
		} else {
			s++;
			/* "&AO0-&AO0-" must have been one run */
			if (after_run || decode_run(&o, &s) < 0) {
				finish(&o);
				return -1;
			}
			after_run = true;
		}
	}
	return finish(&o);
}
