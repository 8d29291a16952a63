/*
 * msv_args.c - a ManageSieve command's arguments (RFC 5804 4): atoms,
 * quoted strings (backslash escapes only " and \) and literals, {n+}
 * and {n}, both taken at once: ManageSieve has no continuation for a
 * client's literal.  A literal over MSV_LITERAL_MAX is read and thrown
 * away so the connection stays in step, and the command is refused.
 */
#include "msv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void msv_args_clear(struct msv_args *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i].s);
	memset(a, 0, sizeof *a);
}

static void syntax(struct msv_args *a, const char *why)
{
	if (!a->bad)
		snprintf(a->error, sizeof a->error, "%s", why);
	a->bad = true;
}

/* A new argument of LEN bytes from S (NULL: LEN bytes to come). */
static struct msv_arg *add(struct msv_args *a, const char *s, size_t len, bool atom)
{
	if (a->n == MSV_ARGS_MAX) {
		syntax(a, "too many arguments");
		return NULL;
	}
	char *copy = malloc(len + 1);
	if (copy == NULL) {
		syntax(a, "out of memory");
		return NULL;
	}
	if (s != NULL)
		memcpy(copy, s, len);
	copy[s != NULL ? len : 0] = '\0';
	struct msv_arg *v = &a->v[a->n++];
	v->s = copy;
	v->len = s != NULL ? len : 0;
	v->atom = atom;
	return v;
}

/* A quoted string at P (after the quote); returns the end, NULL when
 * the line ends first. */
static const char *quoted(struct msv_args *a, const char *p, const char *end)
{
	char buf[1024];
	size_t n = 0;
	for (; p < end && *p != '"'; p++) {
		if (*p == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\'))
			p++;
		else if (*p == '\\') {
			syntax(a, "bad escape in a quoted string");
			return NULL;
		}
		if (n == sizeof buf) {
			syntax(a, "quoted string too long (use a literal)");
			return NULL;
		}
		buf[n++] = *p;
	}
	if (p == end) {
		syntax(a, "unterminated quoted string");
		return NULL;
	}
	add(a, buf, n, false);
	return p + 1;
}

/* A literal's header {n+} or {n} ending the line at P; sets what is to
 * come.  Returns 0, or -1 when it is not one. */
static int literal(struct msv_args *a, const char *p, const char *end)
{
	unsigned long long n = 0;
	const char *q = p + 1;
	for (; q < end && isdigit((unsigned char)*q); q++)
		n = n > 1000000000ull ? n : n * 10 + (unsigned)(*q - '0');
	if (q == p + 1)
		return -1;
	if (q < end && *q == '+')
		q++;
	if (q + 1 != end || *q != '}')
		return -1;
	a->lit_left = (size_t)n;
	if (n > MSV_LITERAL_MAX || a->bad) {
		a->lit_drop = true;
		a->lit_too_big = n > MSV_LITERAL_MAX;
		return 0;
	}
	return add(a, NULL, (size_t)n, false) != NULL ? 0 : (a->lit_drop = true, 0);
}

/* After a syntax error: a literal the line still announces is read and
 * thrown away, so its bytes are never taken for commands.  Returns 0
 * when one follows, else 1. */
static int skip_rest(struct msv_args *a, const char *line, const char *end)
{
	const char *open = end;
	while (open > line && open[-1] != '{')
		open--;
	if (open == line || literal(a, open - 1, end) < 0)
		return 1;
	a->lit_drop = true;
	return 0;
}

int msv_args_line(struct msv_args *a, const char *line, size_t len)
{
	const char *p = line, *end = line + len;
	if (a->bad)
		return skip_rest(a, line, end);
	while (p < end) {
		if (*p == ' ') {
			p++;
		} else if (*p == '"') {
			p = quoted(a, p + 1, end);
			if (p == NULL)
				return skip_rest(a, line, end);
		} else if (*p == '{') {
			if (literal(a, p, end) < 0) {
				syntax(a, "bad literal");
				return skip_rest(a, line, end);
			}
			return 0;   /* the literal, then the rest of the command */
		} else {
			const char *s = p;
			while (p < end && *p != ' ' && *p != '"' && *p != '{')
				p++;
			if (add(a, s, (size_t)(p - s), true) == NULL)
				return skip_rest(a, line, end);
		}
	}
	return 1;
}

void msv_args_literal(struct msv_args *a, const char *data, size_t len)
{
	if (!a->lit_drop) {
		struct msv_arg *v = &a->v[a->n - 1];
		memcpy(v->s + v->len, data, len);
		v->len += len;
		v->s[v->len] = '\0';
	}
	a->lit_left -= len;
}
