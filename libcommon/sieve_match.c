/*
 * sieve_match.c - comparators (RFC 5228 2.7.3, RFC 4790: i;octet,
 * i;ascii-casemap, i;ascii-numeric) and match types (:is, :contains,
 * :matches with wildcards and their match variables, RFC 5231's :value).
 * Wildcard backtracking counts toward the run's step limit, so no
 * pattern takes unbounded time.
 */
#include "sieve_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* '*' in one pattern: each is a level of backtracking. */
#define GLOB_STARS_MAX 64

void sv_match_init(struct sv_match *m, const struct sv_node *n, size_t *steps)
{
	static const char *const rels[] = { "gt", "ge", "lt", "le", "eq", "ne" };
	const struct sv_arg *a;
	bool present;

	memset(m, 0, sizeof *m);
	m->steps = steps;
	m->cmp = SV_CMP_CASEMAP;
	if ((a = sv_tagged(n, "comparator", NULL)) != NULL)
		m->cmp = strcmp(a->v[0], "i;octet") == 0 ? SV_CMP_OCTET :
		         strcmp(a->v[0], "i;ascii-numeric") == 0 ? SV_CMP_NUMERIC : SV_CMP_CASEMAP;
	m->mt = SV_MT_IS;
	if (sv_tagged(n, "contains", &present), present)
		m->mt = SV_MT_CONTAINS;
	if (sv_tagged(n, "matches", &present), present)
		m->mt = SV_MT_MATCHES;
	a = sv_tagged(n, "value", &present);
	if (present)
		m->mt = SV_MT_VALUE;
	else if ((a = sv_tagged(n, "count", &present)), present)
		m->mt = SV_MT_COUNT;
	for (size_t i = 0; a != NULL && i < sizeof rels / sizeof rels[0]; i++)
		if (strcasecmp(a->v[0], rels[i]) == 0)
			m->rel = (enum sv_rel)i;
}

void sv_match_clear(struct sv_match *m)
{
	for (size_t i = 0; i < SV_MATCH_VARS; i++) {
		free(m->vars[i]);
		m->vars[i] = NULL;
	}
}

/* i;ascii-numeric: the leading digits as a number; none is infinity. */
static int numeric_cmp(const char *a, const char *b)
{
	bool ia = !isdigit((unsigned char)*a), ib = !isdigit((unsigned char)*b);
	if (ia || ib)
		return ia && ib ? 0 : ia ? 1 : -1;
	while (*a == '0' && isdigit((unsigned char)a[1]))
		a++;
	while (*b == '0' && isdigit((unsigned char)b[1]))
		b++;
	size_t la = 0, lb = 0;
	while (isdigit((unsigned char)a[la]))
		la++;
	while (isdigit((unsigned char)b[lb]))
		lb++;
	if (la != lb)
		return la < lb ? -1 : 1;
	int c = strncmp(a, b, la);
	return c < 0 ? -1 : c > 0;
}

static int compare(enum sv_cmp cmp, const char *a, const char *b)
{
	switch (cmp) {
	case SV_CMP_NUMERIC: return numeric_cmp(a, b);
	case SV_CMP_CASEMAP: return strcasecmp(a, b);
	default: return strcmp(a, b);
	}
}

bool sv_relate(const struct sv_match *m, const char *a, const char *b)
{
	int c = compare(m->cmp, a, b);
	switch (m->rel) {
	case SV_REL_GT: return c > 0;
	case SV_REL_GE: return c >= 0;
	case SV_REL_LT: return c < 0;
	case SV_REL_LE: return c <= 0;
	case SV_REL_EQ: return c == 0;
	default: return c != 0;
	}
}

struct glob {
	enum sv_cmp cmp;
	size_t *steps;
	const char *cap[SV_MATCH_VARS];
	size_t caplen[SV_MATCH_VARS];
	int stars;
};

static bool same_char(enum sv_cmp cmp, char a, char b)
{
	return cmp == SV_CMP_OCTET ? a == b : tolower((unsigned char)a) == tolower((unsigned char)b);
}

static void capture(struct glob *g, int wi, const char *s, size_t n)
{
	if (wi + 1 < SV_MATCH_VARS) {
		g->cap[wi + 1] = s;
		g->caplen[wi + 1] = n;
	}
}

/* The length of the UTF-8 character at S ('?' matches one character). */
static size_t char_len(const char *s)
{
	size_t n = 1;
	if ((unsigned char)*s >= 0xC0)
		while (n < 4 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n++;
	return n;
}

/* Wildcards expand greedily, the leftmost first (RFC 5229 3.2). */
static bool glob(struct glob *g, const char *p, const char *s, int wi)
{
	while (*p) {
		if (++*g->steps > SIEVE_STEPS_MAX)
			return false;
		if (*p == '*') {
			if (++g->stars > GLOB_STARS_MAX) {
				*g->steps = SIEVE_STEPS_MAX + 1;
				return false;
			}
			for (size_t n = strlen(s);; n--) {
				capture(g, wi, s, n);
				if (glob(g, p + 1, s + n, wi + 1))
					return true;
				if (n == 0 || ++*g->steps > SIEVE_STEPS_MAX)
					break;
			}
			g->stars--;
			return false;
		}
		if (*p == '?') {
			if (*s == '\0')
				return false;
			size_t n = char_len(s);
			capture(g, wi++, s, n);
			s += n;
			p++;
			continue;
		}
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (*s == '\0' || !same_char(g->cmp, *p, *s))
			return false;
		p++;
		s++;
	}
	return *s == '\0';
}

static int set_vars(struct sv_match *m, const struct glob *g, const char *value)
{
	sv_match_clear(m);
	m->vars[0] = strdup(value);
	if (m->vars[0] == NULL)
		return -1;
	for (int i = 1; i < SV_MATCH_VARS; i++)
		if (g->cap[i] != NULL && (m->vars[i] = strndup(g->cap[i], g->caplen[i])) == NULL)
			return -1;
	return 0;
}

static bool contains(enum sv_cmp cmp, const char *value, const char *key)
{
	if (cmp == SV_CMP_NUMERIC)
		return false;   /* i;ascii-numeric has no substring operation */
	return (cmp == SV_CMP_OCTET ? strstr(value, key) : strcasestr(value, key)) != NULL;
}

int sv_match_one(struct sv_match *m, const char *value, const char *key, bool want_vars)
{
	++*m->steps;
	switch (m->mt) {
	case SV_MT_IS:
		return compare(m->cmp, value, key) == 0;
	case SV_MT_CONTAINS:
		return contains(m->cmp, value, key);
	case SV_MT_VALUE:
		return sv_relate(m, value, key);
	case SV_MT_MATCHES: {
		struct glob g = { .cmp = m->cmp == SV_CMP_OCTET ? SV_CMP_OCTET : SV_CMP_CASEMAP,
		                  .steps = m->steps };
		if (!glob(&g, key, value, 0))
			return 0;
		return want_vars && set_vars(m, &g, value) < 0 ? -1 : 1;
	}
	default:
		return 0;
	}
}
