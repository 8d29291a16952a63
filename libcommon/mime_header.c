/*
 * mime_header.c - header fields of a MIME entity (read by header.c):
 * their unfolded values, and parsing the structured Content-* values with
 * their parameters (RFC 2045 section 5.1, RFC 2183, RFC 3282 and the
 * continuations and charsets of RFC 2231).  Lenient on purpose: what
 * real mailers write beyond the grammar is read as meant when it can
 * be, skipped otherwise.  See mime_internal.h.
 */
#include "mime_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Sections of one RFC 2231 continued parameter at most. */
#define SECTIONS_MAX 100

/* ---- fields (read by header.c) ---- */

char *mime_field_unfold(struct mime_tree *t, const struct header_field *f)
{
	char *out = mime_alloc(t, f->value_len + 1);
	if (out != NULL)
		header_unfold(f, out, f->value_len + 1);
	return out;
}

/* ---- structured values ---- */

/* Skips blanks and (nested) comments. */
static const char *skip_cfws(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '(')
			return p;
		int depth = 0;
		do {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			p++;
		} while (*p != '\0' && depth > 0);
	}
}

static bool tspecial(char ch)
{
	return strchr("()<>@,;:\\\"/[]?=", ch) != NULL;
}

/* A token at *P (RFC 2045): copied into T, *P past it; NULL when none. */
static char *token(struct mime_tree *t, const char **pp)
{
	const char *p = skip_cfws(*pp), *s = p;
	while (*p != '\0' && (unsigned char)*p > ' ' && !tspecial(*p))
		p++;
	*pp = p;
	return p == s ? NULL : mime_strndup(t, s, (size_t)(p - s));
}

/* A parameter value at *P: a quoted string (unquoted) or, leniently,
 * anything up to a blank or ';'.  NULL when empty. */
static char *param_value(struct mime_tree *t, const char **pp)
{
	const char *p = skip_cfws(*pp);
	if (*p == '"') {
		size_t n = 0;
		char *out = mime_alloc(t, strlen(p));
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (out != NULL)
				out[n++] = *p;
		}
		if (*p == '"')
			p++;
		*pp = p;
		return out;
	}
	const char *s = p;
	while (*p != '\0' && *p != ';' && *p != ' ' && *p != '\t' && *p != '"')
		p++;
	*pp = p;
	return p == s ? NULL : mime_strndup(t, s, (size_t)(p - s));
}

/* ---- RFC 2231 ---- */

struct raw_param {
	char *name;         /* without its "*N" / "*" ending */
	char *value;
	int section;        /* -1: not a continuation */
	bool extended;      /* value is charset'lang'%XX (or %XX after section 0) */
};

static void split_name(struct raw_param *r)
{
	size_t n = strlen(r->name);
	r->section = -1;
	if (n > 1 && r->name[n - 1] == '*') {
		r->extended = true;
		r->name[--n] = '\0';
	}
	char *star = strrchr(r->name, '*');
	if (star != NULL && star[1] != '\0' && strspn(star + 1, "0123456789") == strlen(star + 1)
	    && strlen(star + 1) <= 3) {
		r->section = atoi(star + 1);
		*star = '\0';
	}
}

static bool attr_char(unsigned char ch)
{
	return ch > ' ' && ch < 127 && !strchr("*'%()<>@,;:\\\"/[]?=", ch);
}

/* Appends section R's value to OUT (at *N) in extended form. */
static void append_extended(char *out, size_t *n, const struct raw_param *r)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *v = (const unsigned char *)r->value; *v; v++) {
		if (r->extended || attr_char(*v)) {
			out[(*n)++] = (char)*v;
		} else {
			out[(*n)++] = '%';
			out[(*n)++] = hex[*v >> 4];
			out[(*n)++] = hex[*v & 15];
		}
	}
}

/* Joins the sections of RAW[I]'s name into one parameter OUT. */
static void join_sections(struct mime_tree *t, struct raw_param *raw, size_t nraw,
                          size_t i, struct mime_param *out)
{
	struct raw_param *sec[SECTIONS_MAX] = {0};
	bool extended = false;
	size_t total = 3;
	for (size_t j = i; j < nraw; j++) {
		if (raw[j].section < 0 || raw[j].section >= SECTIONS_MAX || raw[j].value == NULL ||
		    strcasecmp(raw[j].name, raw[i].name) != 0 || sec[raw[j].section] != NULL)
			continue;
		sec[raw[j].section] = &raw[j];
	}
	for (int s = 0; s < SECTIONS_MAX && sec[s] != NULL; s++) {
		extended |= sec[s]->extended;
		total += 3 * strlen(sec[s]->value);
	}
	char *v = mime_alloc(t, total);
	size_t n = 0;
	if (v == NULL)
		return;
	if (extended && sec[0] != NULL && !sec[0]->extended) {
		v[n++] = '\'';  /* no charset, no language */
		v[n++] = '\'';
	}
	for (int s = 0; s < SECTIONS_MAX && sec[s] != NULL; s++) {
		if (extended) {
			append_extended(v, &n, sec[s]);
		} else {
			memcpy(v + n, sec[s]->value, strlen(sec[s]->value));
			n += strlen(sec[s]->value);
		}
	}
	v[n] = '\0';
	size_t nl = strlen(raw[i].name);
	out->name = mime_alloc(t, nl + 2);
	if (out->name != NULL) {
		memcpy(out->name, raw[i].name, nl);
		if (extended)
			out->name[nl] = '*';
	}
	out->value = v;
}

/* True when OUT (N) has a parameter named NAME, extended or not. */
static bool already(const struct mime_param *out, size_t n, const char *name)
{
	size_t l = strlen(name);
	for (size_t j = 0; j < n; j++)
		if (out[j].name != NULL && strncasecmp(out[j].name, name, l) == 0 &&
		    (out[j].name[l] == '\0' || (out[j].name[l] == '*' && out[j].name[l + 1] == '\0')))
			return true;
	return false;
}

/* Parses "; name=value" pairs at P into *OUT / *N. */
static void parameters(struct mime_tree *t, const char *p, struct mime_param **out,
                       size_t *n)
{
	struct raw_param raw[MIME_PARAMS_MAX];
	size_t nraw = 0;
	while (*(p = skip_cfws(p)) != '\0' && nraw < MIME_PARAMS_MAX) {
		if (*p != ';') {   /* junk: skip to the next parameter */
			p = strchr(p, ';');
			if (p == NULL)
				break;
		}
		p++;
		char *name = token(t, &p);
		p = skip_cfws(p);
		if (name == NULL || *p != '=')
			continue;
		p++;
		raw[nraw] = (struct raw_param){ .name = name, .value = param_value(t, &p) };
		if (raw[nraw].value == NULL)
			raw[nraw].value = mime_strndup(t, "", 0);
		split_name(&raw[nraw]);
		nraw++;
	}
	*out = mime_alloc(t, (nraw ? nraw : 1) * sizeof **out);
	*n = 0;
	if (*out == NULL)
		return;
	for (size_t i = 0; i < nraw; i++) {
		if (already(*out, *n, raw[i].name))
			continue;   /* a repeated parameter: the first counts */
		if (raw[i].section >= 0) {
			join_sections(t, raw, nraw, i, &(*out)[(*n)++]);
		} else {
			size_t nl = strlen(raw[i].name);
			struct mime_param *o = &(*out)[(*n)++];
			o->name = mime_alloc(t, nl + 2);
			if (o->name != NULL) {
				memcpy(o->name, raw[i].name, nl);
				if (raw[i].extended)
					o->name[nl] = '*';
			}
			o->value = raw[i].value;
		}
	}
}

int mime_content_type(struct mime_tree *t, const char *v, struct mime_part *p)
{
	const char *s = v;
	char *type = token(t, &s);
	s = skip_cfws(s);
	if (type == NULL || *s != '/')
		return -1;
	s++;
	char *subtype = token(t, &s);
	if (subtype == NULL)
		return -1;
	p->type = type;
	p->subtype = subtype;
	parameters(t, s, &p->params, &p->nparams);
	return 0;
}

void mime_content_disposition(struct mime_tree *t, const char *v, struct mime_part *p)
{
	const char *s = v;
	char *d = token(t, &s);
	if (d == NULL)
		return;
	p->disposition = d;
	parameters(t, s, &p->disp_params, &p->ndisp_params);
}

void mime_content_language(struct mime_tree *t, const char *v, struct mime_part *p)
{
	char *tags[MIME_LANGUAGES_MAX];
	size_t n = 0;
	const char *s = v;
	while (n < MIME_LANGUAGES_MAX) {
		s = skip_cfws(s);
		const char *b = s;
		while (*s != '\0' && *s != ',' && *s != ' ' && *s != '\t' && *s != '(')
			s++;
		if (s > b)
			tags[n++] = mime_strndup(t, b, (size_t)(s - b));
		s = skip_cfws(s);
		if (*s != ',')
			break;
		s++;
	}
	if (n == 0)
		return;
	p->languages = mime_alloc(t, n * sizeof *p->languages);
	if (p->languages == NULL)
		return;
	memcpy(p->languages, tags, n * sizeof *tags);
	p->nlanguages = n;
}

char *mime_token_value(struct mime_tree *t, const char *v)
{
	const char *s = v;
	return token(t, &s);
}

/* ---- decoding an extended value ---- */

static int hexval(char ch)
{
	return isdigit((unsigned char)ch) ? ch - '0'
	     : isxdigit((unsigned char)ch) ? (tolower((unsigned char)ch) - 'a' + 10) : -1;
}

/* "charset'lang'%XX..." to UTF-8, malloc'ed. */
static char *decode_extended(const char *v)
{
	const char *q1 = strchr(v, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	const char *data = q2 ? q2 + 1 : v;
	size_t len = strlen(data), n = 0;
	char *bytes = malloc(len + 1), *out = malloc(4 * len + 5);
	char charset[64] = "us-ascii";
	if (bytes == NULL || out == NULL) {
		free(bytes);
		free(out);
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		int hi, lo;
		if (data[i] == '%' && (hi = hexval(data[i + 1])) >= 0 && (lo = hexval(data[i + 2])) >= 0) {
			bytes[n++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			bytes[n++] = data[i];
		}
	}
	if (q2 != NULL && q2 - v > 0 && (size_t)(q1 - v) < sizeof charset && q1 > v) {
		memcpy(charset, v, (size_t)(q1 - v));
		charset[q1 - v] = '\0';
	}
	long w = mime_charset_to_utf8(charset, bytes, n, out);
	if (w < 0) {    /* an unknown charset: the bytes as they are */
		memcpy(out, bytes, n);
		w = (long)n;
	}
	out[w] = '\0';
	free(bytes);
	return out;
}

char *mime_param_get(const struct mime_param *params, size_t n, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < n; i++) {
		const char *pn = params[i].name;
		if (pn == NULL || params[i].value == NULL || strncasecmp(pn, name, nl) != 0)
			continue;
		if (pn[nl] == '\0')
			return strdup(params[i].value);
		if (pn[nl] == '*' && pn[nl + 1] == '\0')
			return decode_extended(params[i].value);
	}
	return NULL;
}
