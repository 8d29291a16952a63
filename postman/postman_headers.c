/*
 * postman_headers.c - reading the header fields postman decides by
 * (Received for hop counting, Delivered-To for loops, Auto-Submitted,
 * Precedence and List-* for auto-replies, Subject and Message-ID for the
 * mail it writes).  Messages are in the store's CRLF form; bare LF is
 * accepted too.
 */
#include "postman.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 5322 section 2.1.1: a line is at most 998 characters. */
#define HEADER_VALUE_MAX 998

size_t header_length(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		bool line_start = i == 0 || data[i - 1] == '\n';
		if (!line_start)
			continue;
		if (data[i] == '\n')
			return i + 1;
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			return i + 2;
	}
	return len;
}

/* The end of the field starting at P (after its last line's LF). */
static const char *field_end(const char *p, const char *end)
{
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return end;
		p = nl + 1;
		if (p >= end || (*p != ' ' && *p != '\t'))
			return p;
	}
}

/* Unfolds the value between P and END into OUT; returns its length. */
static size_t unfold(const char *p, const char *end, char *out, size_t outlen)
{
	size_t n = 0;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (; p < end && n + 1 < outlen; p++)
		if (*p != '\r' && *p != '\n')
			out[n++] = *p;
	while (n > 0 && isspace((unsigned char)out[n - 1]))
		n--;
	out[n] = '\0';
	return n;
}

int header_each(const char *data, size_t len, const char *name,
                int (*each)(const char *value, size_t value_len, void *arg),
                void *arg)
{
	char value[HEADER_VALUE_MAX + 1];
	const char *p = data, *end = data + header_length(data, len);
	size_t nlen = strlen(name);
	int seen = 0;

	while (p < end && *p != '\r' && *p != '\n') {
		const char *next = field_end(p, end);
		if ((size_t)(next - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			seen++;
			size_t vlen = unfold(p + nlen + 1, next, value, sizeof value);
			if (each != NULL && each(value, vlen, arg) != 0)
				break;
		}
		p = next;
	}
	return seen;
}

struct first_value {
	char *out;
	size_t outlen;
};

static int take_first(const char *value, size_t len, void *arg)
{
	struct first_value *f = arg;
	snprintf(f->out, f->outlen, "%.*s", (int)len, value);
	return 1;
}

bool header_get(const char *data, size_t len, const char *name, char *out,
                size_t outlen)
{
	struct first_value f = { out, outlen };
	out[0] = '\0';
	return header_each(data, len, name, take_first, &f) > 0;
}

struct address_match {
	const char *address;
	bool found;
};

/* Compares a Delivered-To value ("addr" or "<addr>") with the address. */
static int same_address(const char *value, size_t len, void *arg)
{
	struct address_match *m = arg;
	if (len >= 2 && value[0] == '<' && value[len - 1] == '>') {
		value++;
		len -= 2;
	}
	m->found = strlen(m->address) == len && strncasecmp(value, m->address, len) == 0;
	return m->found;
}

bool header_delivered_to(const char *data, size_t len, const char *address)
{
	struct address_match m = { address, false };
	header_each(data, len, "Delivered-To", same_address, &m);
	return m.found;
}
