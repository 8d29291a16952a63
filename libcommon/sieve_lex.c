/*
 * sieve_lex.c - splits a Sieve script into tokens (RFC 5228 8.1):
 * identifiers, tags, numbers with K/M/G, quoted strings and "text:"
 * multi-line strings, and the punctuation.  Comments are skipped.  Every
 * token knows the line and column it starts at, for error messages.
 */
#include "sieve_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sv_lex_init(struct sv_lexer *lx, const char *src, size_t len, struct sieve_error *err)
{
	lx->p = src;
	lx->end = src + len;
	lx->line = 1;
	lx->col = 1;
	lx->err = err;
}

static int fail(struct sv_lexer *lx, struct sv_token *t, const char *why)
{
	lx->err->line = t->line;
	lx->err->col = t->col;
	snprintf(lx->err->text, sizeof lx->err->text, "%s", why);
	t->type = SV_ERR;
	return -1;
}

static void advance(struct sv_lexer *lx)
{
	if (*lx->p == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
	lx->p++;
}

static bool at(const struct sv_lexer *lx, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(lx->end - lx->p) >= n && memcmp(lx->p, s, n) == 0;
}

/* Blanks and comments.  -1: a bracketed comment never closed. */
static int skip_space(struct sv_lexer *lx, struct sv_token *t)
{
	while (lx->p < lx->end) {
		if (isspace((unsigned char)*lx->p)) {
			advance(lx);
		} else if (*lx->p == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				advance(lx);
		} else if (at(lx, "/*")) {
			t->line = lx->line;
			t->col = lx->col;
			advance(lx);
			advance(lx);
			while (lx->p < lx->end && !at(lx, "*/"))
				advance(lx);
			if (lx->p >= lx->end)
				return fail(lx, t, "comment not closed");
			advance(lx);
			advance(lx);
		} else {
			break;
		}
	}
	return 0;
}

/* A string token's buffer: bounded by the script's size anyway. */
#define TOKEN_BUF { .max = SIEVE_SCRIPT_MAX }

static int sbuf_add(struct sv_buf *b, char c)
{
	return sv_buf_add(b, &c, 1);
}

static void quoted(struct sv_lexer *lx, struct sv_token *t)
{
	struct sv_buf b = TOKEN_BUF;
	advance(lx);
	for (;;) {
		if (lx->p >= lx->end) {
			free(b.s);
			fail(lx, t, "string not closed");
			return;
		}
		char c = *lx->p;
		if (c == '"')
			break;
		if (c == '\\' && lx->p + 1 < lx->end) {
			advance(lx);
			c = *lx->p;
		}
		if (c == '\0' || sbuf_add(&b, c) < 0) {
			free(b.s);
			fail(lx, t, c == '\0' ? "NUL in a string" : "out of memory");
			return;
		}
		advance(lx);
	}
	advance(lx);
	t->type = SV_STR;
	t->s = b.s ? b.s : strdup("");
	if (t->s == NULL)
		fail(lx, t, "out of memory");
}

/* "text:" up to a line holding only "."; ".." at a line start is "." */
static void multiline(struct sv_lexer *lx, struct sv_token *t)
{
	struct sv_buf b = TOKEN_BUF;
	for (int i = 0; i < 5; i++)
		advance(lx);
	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
		advance(lx);
	if (lx->p < lx->end && *lx->p == '#')
		while (lx->p < lx->end && *lx->p != '\n')
			advance(lx);
	if (lx->p < lx->end && *lx->p == '\r')
		advance(lx);
	if (lx->p >= lx->end || *lx->p != '\n') {
		fail(lx, t, "text: must end its line");
		return;
	}
	advance(lx);
	for (;;) {
		if (lx->p >= lx->end) {
			free(b.s);
			fail(lx, t, "text: not ended by a line with a dot");
			return;
		}
		if (at(lx, ".\r\n") || at(lx, ".\n")) {
			while (*lx->p != '\n')
				advance(lx);
			advance(lx);
			break;
		}
		if (at(lx, ".."))
			advance(lx);
		while (lx->p < lx->end) {
			char c = *lx->p;
			if (c == '\0' || sbuf_add(&b, c) < 0) {
				free(b.s);
				fail(lx, t, c == '\0' ? "NUL in a string" : "out of memory");
				return;
			}
			advance(lx);
			if (c == '\n')
				break;
		}
	}
	t->type = SV_STR;
	t->s = b.s ? b.s : strdup("");
	if (t->s == NULL)
		fail(lx, t, "out of memory");
}

static void number(struct sv_lexer *lx, struct sv_token *t)
{
	uint64_t v = 0;
	while (lx->p < lx->end && isdigit((unsigned char)*lx->p)) {
		if (v > (UINT64_MAX - 9) / 10) {
			fail(lx, t, "number too large");
			return;
		}
		v = v * 10 + (uint64_t)(*lx->p - '0');
		advance(lx);
	}
	unsigned shift = 0;
	if (lx->p < lx->end) {
		switch (toupper((unsigned char)*lx->p)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		default: break;
		}
	}
	if (shift) {
		advance(lx);
		if (v > (UINT64_MAX >> shift)) {
			fail(lx, t, "number too large");
			return;
		}
		v <<= shift;
	}
	t->type = SV_NUM;
	t->num = v;
}

static bool ident_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || (!first && isdigit((unsigned char)c));
}

static void word(struct sv_lexer *lx, struct sv_token *t, enum sv_tok type)
{
	const char *start = lx->p;
	while (lx->p < lx->end && ident_char(*lx->p, lx->p == start))
		advance(lx);
	if (lx->p == start) {
		fail(lx, t, type == SV_TAG ? "a tag needs a name after ':'" : "unexpected character");
		return;
	}
	t->s = strndup(start, (size_t)(lx->p - start));
	t->type = t->s ? type : SV_ERR;
	if (t->s == NULL)
		fail(lx, t, "out of memory");
}

static enum sv_tok punct(char c)
{
	switch (c) {
	case '[': return SV_LBRACK;
	case ']': return SV_RBRACK;
	case '(': return SV_LPAREN;
	case ')': return SV_RPAREN;
	case ',': return SV_COMMA;
	case ';': return SV_SEMI;
	case '{': return SV_LBRACE;
	case '}': return SV_RBRACE;
	default: return SV_ERR;
	}
}

void sv_lex_next(struct sv_lexer *lx, struct sv_token *t)
{
	memset(t, 0, sizeof *t);
	if (skip_space(lx, t) < 0)
		return;
	t->line = lx->line;
	t->col = lx->col;
	if (lx->p >= lx->end) {
		t->type = SV_EOF;
		return;
	}
	char c = *lx->p;
	if (c == '"') {
		quoted(lx, t);
	} else if (at(lx, "text:")) {
		multiline(lx, t);
	} else if (isdigit((unsigned char)c)) {
		number(lx, t);
	} else if (c == ':') {
		advance(lx);
		word(lx, t, SV_TAG);
	} else if (ident_char(c, true)) {
		word(lx, t, SV_IDENT);
	} else if ((t->type = punct(c)) != SV_ERR) {
		advance(lx);
	} else {
		fail(lx, t, "unexpected character");
	}
}
