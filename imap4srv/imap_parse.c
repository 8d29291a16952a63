/*
 * imap_parse.c - the terminals of the IMAP command grammar over one
 * assembled command; see imap_parse.h.  The command handlers in
 * imap_cmd_*.c and the parsers of sequence sets, FETCH attributes and
 * SEARCH keys are built on these.
 */
#include "imap_parse.h"
#include "log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void imap_parser_init(struct imap_parser *p, char *buf, size_t len)
{
	p->buf = buf;
	p->len = len;
	p->pos = 0;
	p->depth = 0;
	p->error = NULL;
	p->spooled_at = SIZE_MAX;
	p->utf8 = false;
}


static int fail(struct imap_parser *p, const char *why)
{
	p->error = why;
	return -1;
}

static int next(const struct imap_parser *p)
{
	return p->pos < p->len ? (unsigned char)p->buf[p->pos] : -1;
}

bool imap_p_at_end(const struct imap_parser *p)
{
	return p->pos >= p->len;
}

bool imap_p_peek(const struct imap_parser *p, char c)
{
	return next(p) == (unsigned char)c;
}

bool imap_p_eat(struct imap_parser *p, char c)
{
	if (!imap_p_peek(p, c))
		return false;
	p->pos++;
	return true;
}

int imap_p_expect(struct imap_parser *p, char c)
{
	if (imap_p_eat(p, c))
		return 0;
	switch (c) {
	case '(':
		return fail(p, "expected \"(\"");
	case ')':
		return fail(p, "expected \")\"");
	case ']':
		return fail(p, "expected \"]\"");
	default:
		return fail(p, "syntax error");
	}
}

int imap_p_sp(struct imap_parser *p)
{
	return imap_p_eat(p, ' ') ? 0 : fail(p, "expected a single space");
}

int imap_p_end(struct imap_parser *p)
{
	return imap_p_at_end(p) ? 0 : fail(p, "unexpected text at the end of the command");
}

int imap_p_open(struct imap_parser *p)
{
	if (imap_p_expect(p, '(') < 0)
		return -1;
	if (++p->depth > IMAP_PARSE_MAX_DEPTH)
		return fail(p, "too many nested parentheses");
	return 0;
}

int imap_p_close(struct imap_parser *p)
{
	if (imap_p_expect(p, ')') < 0)
		return -1;
	p->depth--;
	return 0;
}

/* ---- character classes (RFC 3501 section 9) ---- */

bool imap_atom_char(unsigned char c)
{
	if (c <= 0x1f || c >= 0x7f)
		return false;
	return strchr("(){ %*\"\\]", c) == NULL;
}

bool imap_astring_char(unsigned char c)
{
	return imap_atom_char(c) || c == ']';
}

static bool list_char(unsigned char c)
{
	return imap_astring_char(c) || c == '%' || c == '*';
}

static int take_class(struct imap_parser *p, bool (*cls)(unsigned char),
                      struct imap_str *out, const char *why)
{
	size_t start = p->pos;
	while (p->pos < p->len && cls((unsigned char)p->buf[p->pos]))
		p->pos++;
	if (p->pos == start)
		return fail(p, why);
	out->p = p->buf + start;
	out->len = p->pos - start;
	return 0;
}

static bool tag_char(unsigned char c)
{
	return imap_astring_char(c) && c != '+';
}

int imap_p_tag(struct imap_parser *p, struct imap_str *out)
{
	return take_class(p, tag_char, out, "missing or bad tag");
}

int imap_p_atom(struct imap_parser *p, struct imap_str *out)
{
	return take_class(p, imap_atom_char, out, "expected an atom");
}

bool imap_p_word(struct imap_parser *p, const char *word)
{
	size_t n = strlen(word);
	if (p->len - p->pos < n || strncasecmp(p->buf + p->pos, word, n) != 0)
		return false;
	if (p->pos + n < p->len && imap_atom_char((unsigned char)p->buf[p->pos + n]))
		return false;
	p->pos += n;
	return true;
}

int imap_p_word_list(struct imap_parser *p, const struct imap_word *table, size_t n,
                     unsigned *bits,
                     int (*arg_of)(struct imap_parser *p, unsigned bit, void *arg), void *arg)
{
	if (imap_p_open(p) < 0)
		return -1;
	for (bool first = true; !imap_p_peek(p, ')'); first = false) {
		size_t i;
		if (!first && imap_p_sp(p) < 0)
			return -1;
		for (i = 0; i < n && !imap_p_word(p, table[i].word); i++)
			;
		if (i == n) {
			p->error = "unknown option";
			return -1;
		}
		*bits |= table[i].bit;
		if (arg_of != NULL && arg_of(p, table[i].bit, arg) < 0)
			return -1;
	}
	return imap_p_close(p);
}

/* ---- strings ---- */

/* quoted = DQUOTE *QUOTED-CHAR DQUOTE, unescaped in place. */
static int quoted(struct imap_parser *p, struct imap_str *out)
{
	size_t start = ++p->pos, w = start;
	for (;;) {
		int c = next(p);
		if (c < 0 || c == '\r' || c == '\n' || c == 0)
			return fail(p, "unterminated or bad quoted string");
		p->pos++;
		if (c == '"')
			break;
		if (c == '\\') {
			c = next(p);
			if (c != '"' && c != '\\')
				return fail(p, "bad escape in quoted string");
			p->pos++;
		}
		p->buf[w++] = (char)c;
	}
	out->p = p->buf + start;
	out->len = w - start;
	return 0;
}

/* literal = "{" number ["+"] "}" CRLF *CHAR8, as imap_conn.c assembled it. */
static int literal(struct imap_parser *p, struct imap_str *out)
{
	uint32_t n;
	if (p->pos == p->spooled_at)
		return fail(p, "a message literal where a string belongs");
	p->pos++;
	if (imap_p_number(p, &n) < 0)
		return -1;
	imap_p_eat(p, '+');
	if (!imap_p_eat(p, '}') || !imap_p_eat(p, '\r') || !imap_p_eat(p, '\n'))
		return fail(p, "bad literal");
	if (p->len - p->pos < n)
		return fail(p, "literal shorter than announced");
	out->p = p->buf + p->pos;
	out->len = n;
	p->pos += n;
	return 0;
}

int imap_p_spooled(struct imap_parser *p, uint32_t *size)
{
	if (p->pos != p->spooled_at)
		return fail(p, "expected the message literal");
	p->pos++;
	if (imap_p_number(p, size) < 0)
		return -1;
	imap_p_eat(p, '+');
	if (!imap_p_eat(p, '}') || !imap_p_eat(p, '\r') || !imap_p_eat(p, '\n'))
		return fail(p, "bad literal");
	return 0;
}

int imap_p_literal8(struct imap_parser *p, struct imap_str *out)
{
	if (!imap_p_eat(p, '~') || !imap_p_peek(p, '{'))
		return fail(p, "expected a literal8");
	return literal(p, out);
}

int imap_p_string(struct imap_parser *p, struct imap_str *out)
{
	if (imap_p_peek(p, '"'))
		return quoted(p, out);
	if (imap_p_peek(p, '{'))
		return literal(p, out);
	return fail(p, "expected a string");
}

int imap_p_astring(struct imap_parser *p, struct imap_str *out)
{
	if (imap_p_peek(p, '"') || imap_p_peek(p, '{'))
		return imap_p_string(p, out);
	return take_class(p, imap_astring_char, out, "expected an astring");
}

int imap_p_list_mailbox(struct imap_parser *p, struct imap_str *out)
{
	if (imap_p_peek(p, '"') || imap_p_peek(p, '{'))
		return imap_p_string(p, out);
	return take_class(p, list_char, out, "expected a mailbox pattern");
}

int imap_p_flag(struct imap_parser *p, struct imap_str *out)
{
	size_t start = p->pos;
	bool system = imap_p_eat(p, '\\');
	struct imap_str a;
	if (system && imap_p_eat(p, '*')) {   /* "\*" in PERMANENTFLAGS style */
		out->p = p->buf + start;
		out->len = 2;
		return 0;
	}
	if (imap_p_atom(p, &a) < 0) {
		p->pos = start;
		return fail(p, "expected a flag");
	}
	out->p = p->buf + start;
	out->len = p->pos - start;
	return 0;
}

/* ---- numbers ---- */

static int digits(struct imap_parser *p, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t start = p->pos;
	for (int c; (c = next(p)) >= '0' && c <= '9'; p->pos++) {
		v = v * 10 + (uint64_t)(c - '0');
		if (v > max) {
			p->pos = start;
			return fail(p, "number out of range");
		}
	}
	if (p->pos == start)
		return fail(p, "expected a number");
	*out = v;
	return 0;
}

int imap_p_number(struct imap_parser *p, uint32_t *out)
{
	uint64_t v;
	if (digits(p, UINT32_MAX, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int imap_p_nz_number(struct imap_parser *p, uint32_t *out)
{
	size_t start = p->pos;
	if (imap_p_number(p, out) < 0)
		return -1;
	if (*out == 0) {
		p->pos = start;
		return fail(p, "zero is not allowed here");
	}
	return 0;
}

int imap_p_number64(struct imap_parser *p, uint64_t *out)
{
	return digits(p, INT64_MAX, out);
}

/* ---- counted strings ---- */

bool imap_str_eq(const struct imap_str *s, const char *word)
{
	return strlen(word) == s->len && strncasecmp(s->p, word, s->len) == 0;
}

int imap_str_copy(const struct imap_str *s, char *out, size_t outlen)
{
	if (s->len >= outlen || memchr(s->p, '\0', s->len) != NULL)
		return -1;
	memcpy(out, s->p, s->len);
	out[s->len] = '\0';
	return 0;
}

char *imap_str_dup(const struct imap_str *s)
{
	if (memchr(s->p, '\0', s->len) != NULL)
		return NULL;
	char *d = malloc(s->len + 1);
	if (d == NULL) {
		log_error("imap_parse", "error=\"out of memory\"");
		return NULL;
	}
	memcpy(d, s->p, s->len);
	d[s->len] = '\0';
	return d;
}

int imap_literal_at_end(const char *line, size_t len, uint32_t *size, bool *nonsync)
{
	if (len < 3 || line[len - 1] != '}')
		return 0;
	size_t i = len - 1;
	*nonsync = line[i - 1] == '+';
	if (*nonsync)
		i--;
	size_t end = i;
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	if (i == 0 || line[i - 1] != '{')
		return 0;
	if (i == end || end - i > 10)
		return -1;
	uint64_t v = 0;
	for (size_t k = i; k < end; k++)
		v = v * 10 + (uint64_t)(line[k] - '0');
	if (v > UINT32_MAX)
		return -1;
	*size = (uint32_t)v;
	return 1;
}
