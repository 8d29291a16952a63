/*
 * mime_address.c - RFC 5322 address lists (From, To, Cc, ...) split
 * into the four parts IMAP's ENVELOPE shows: display name, source
 * route, local part, domain; groups as their opening and closing
 * markers.  Obsolete and broken forms are read as meant when they can
 * be ("a@b (Name)", a missing domain, stray commas) and never fail.
 * See mime_internal.h.
 */
#include "log.h"
#include "mime_internal.h"

#include <stdlib.h>
#include <string.h>

/* Tokens of one list at most (more are ignored). */
#define TOKENS_MAX 4096

enum tok_kind { T_ATOM, T_QUOTED, T_DOMLIT, T_SPECIAL, T_COMMENT };

struct tok {
	enum tok_kind kind;
	const char *p;      /* the text (a quoted string without its quotes) */
	size_t len;
	bool space_before;  /* blanks or a comment separate it from the last */
};

/* Scans past a quoted string (Q '"'), comment ('(', nested) or domain
 * literal ('[') whose opening character is at P. */
static const char *scan_delimited(const char *p, char q)
{
	char close = q == '(' ? ')' : q == '[' ? ']' : '"';
	int depth = 1;
	for (p++; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == close && --depth == 0)
			return p + 1;
		else if (q == '(' && *p == '(')
			depth++;
	}
	return p;
}

static size_t tokenize(const char *v, struct tok *toks, size_t max)
{
	size_t n = 0;
	bool space = false;
	const char *p = v;
	while (*p != '\0' && n < max) {
		const char *s = p;
		struct tok *t = &toks[n];
		if (*p == ' ' || *p == '\t') {
			p++;
			space = true;
			continue;
		}
		t->space_before = space;
		space = false;
		if (*p == '"') {
			p = scan_delimited(p, '"');
			*t = (struct tok){ T_QUOTED, s + 1, (size_t)(p - s - 1), t->space_before };
			if (t->len > 0 && p[-1] == '"')
				t->len--;
		} else if (*p == '(') {
			p = scan_delimited(p, '(');
			*t = (struct tok){ T_COMMENT, s + 1, (size_t)(p - s - 1), t->space_before };
			if (t->len > 0 && p[-1] == ')')
				t->len--;
			space = true;
		} else if (*p == '[') {
			p = scan_delimited(p, '[');
			*t = (struct tok){ T_DOMLIT, s, (size_t)(p - s), t->space_before };
		} else if (strchr("<>@,;:.\\", *p) != NULL) {
			*t = (struct tok){ T_SPECIAL, p, 1, t->space_before };
			p++;
		} else {
			while (*p != '\0' && !strchr(" \t\"()<>@,;:.\\[", *p))
				p++;
			*t = (struct tok){ T_ATOM, s, (size_t)(p - s), t->space_before };
		}
		n++;
	}
	return n;
}

static bool is_special(const struct tok *t, char ch)
{
	return t->kind == T_SPECIAL && t->p[0] == ch;
}

/* The text of tokens [A, B) joined: words by one blank where the
 * input had blanks, quoted strings unescaped, comments left out. */
static char *join(struct mime_tree *t, const struct tok *toks, size_t a, size_t b)
{
	size_t total = 1;
	for (size_t i = a; i < b; i++)
		total += toks[i].len + 1;
	char *out = mime_alloc(t, total), *o = out;
	if (out == NULL)
		return NULL;
	for (size_t i = a; i < b; i++) {
		if (toks[i].kind == T_COMMENT)
			continue;
		if (o > out && toks[i].space_before)
			*o++ = ' ';
		for (size_t k = 0; k < toks[i].len; k++) {
			if (toks[i].kind == T_QUOTED && toks[i].p[k] == '\\' && k + 1 < toks[i].len)
				k++;
			*o++ = toks[i].p[k];
		}
	}
	*o = '\0';
	return out;
}

/* The unescaped text of the last comment in [A, B), or NULL. */
static char *last_comment(struct mime_tree *t, const struct tok *toks, size_t a, size_t b)
{
	for (size_t i = b; i > a; i--)
		if (toks[i - 1].kind == T_COMMENT && toks[i - 1].len > 0) {
			struct tok q = toks[i - 1];
			q.kind = T_QUOTED;
			q.space_before = false;
			return join(t, &q, 0, 1);
		}
	return NULL;
}

struct list {
	struct mime_address v[MIME_ADDRESSES_MAX];
	size_t n;
};

static void add(struct list *l, struct mime_address a)
{
	if (l->n < MIME_ADDRESSES_MAX)
		l->v[l->n++] = a;
}

/* An addr-spec in [A, B): local part before the last '@', domain
 * after it (blanks dropped: "a . b" is "a.b"). */
static void addr_spec(struct mime_tree *t, struct tok *toks, size_t a, size_t b,
                      struct mime_address *out)
{
	size_t at = b;
	for (size_t i = a; i < b; i++)
		if (is_special(&toks[i], '@'))
			at = i;
	for (size_t i = a; i < b; i++)
		if (is_special(&toks[i], '.') || is_special(&toks[i], '@') ||
		    (i > a && (is_special(&toks[i - 1], '.') || is_special(&toks[i - 1], '@'))))
			toks[i].space_before = false;
	out->mailbox = join(t, toks, a, at);
	out->host = at < b ? join(t, toks, at + 1, b) : mime_strndup(t, "", 0);
}

/* One mailbox in [A, B) (no top-level commas). */
static void mailbox(struct mime_tree *t, struct tok *toks, size_t a, size_t b,
                    struct list *l)
{
	size_t lt = b, gt = b;
	struct mime_address m = {0};
	for (size_t i = a; i < b; i++)
		if (is_special(&toks[i], '<')) {
			lt = i;
			break;
		}
	if (lt == b) {
		bool any = false;
		for (size_t i = a; i < b && !any; i++)
			any = toks[i].kind != T_COMMENT;
		if (!any)
			return;   /* an empty entry between commas */
		addr_spec(t, toks, a, b, &m);
		m.name = last_comment(t, toks, a, b);
		add(l, m);
		return;
	}
	for (size_t i = lt + 1; i < b; i++)
		if (is_special(&toks[i], '>')) {
			gt = i;
			break;
		}
	if (lt > a)
		m.name = join(t, toks, a, lt);
	if (m.name != NULL && m.name[0] == '\0')
		m.name = NULL;
	size_t spec = lt + 1;
	for (size_t i = lt + 1; i < gt; i++)
		if (is_special(&toks[i], ':')) {   /* a source route */
			for (size_t k = lt + 1; k < i; k++)
				toks[k].space_before = false;
			m.adl = join(t, toks, lt + 1, i);
			spec = i + 1;
		}
	addr_spec(t, toks, spec, gt, &m);
	if (m.name == NULL)
		m.name = last_comment(t, toks, gt, b);
	add(l, m);
}

void mime_address_list(struct mime_tree *t, const char *v, struct mime_addresses *out)
{
	size_t max = strlen(v) + 1 < TOKENS_MAX ? strlen(v) + 1 : TOKENS_MAX;
	struct tok *toks = malloc(max * sizeof *toks);
	struct list *l = malloc(sizeof *l);
	size_t n = toks ? tokenize(v, toks, max) : 0, start = 0;
	bool in_angle = false, in_group = false;
	out->v = NULL;
	out->n = 0;
	if (l == NULL || toks == NULL) {
		free(toks);
		free(l);
		t->oom = true;
		return;
	}
	l->n = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && is_special(&toks[i], '<'))
			in_angle = true;
		else if (i < n && is_special(&toks[i], '>'))
			in_angle = false;
		if (i < n && in_angle)
			continue;
		if (i < n && is_special(&toks[i], ':') && !in_group) {
			add(l, (struct mime_address){ .mailbox = join(t, toks, start, i) });
			in_group = true;
			start = i + 1;
		} else if (i == n || is_special(&toks[i], ',') ||
		           (is_special(&toks[i], ';') && in_group)) {
			mailbox(t, toks, start, i, l);
			start = i + 1;
			if (in_group && (i == n || is_special(&toks[i], ';'))) {
				add(l, (struct mime_address){0});
				in_group = false;
			}
		}
	}
	out->v = mime_alloc(t, (l->n ? l->n : 1) * sizeof *out->v);
	if (out->v != NULL && l->n > 0) {
		memcpy(out->v, l->v, l->n * sizeof *out->v);
		out->n = l->n;
	}
	free(toks);
	free(l);
}

struct mime_tree *mime_address_parse(const char *v, struct mime_addresses *out)
{
	struct mime_tree *t = mime_tree_new();
	if (t == NULL)
		return NULL;
	mime_address_list(t, v, out);
	if (t->oom) {
		log_error("mime", "error=\"out of memory\" what=addresses");
		mime_free(t);
		return NULL;
	}
	return t;
}
