/*
 * sieve_vars.c - strings that change: variables (RFC 5229: ${name},
 * the match variables ${0}..${9}, `set`) at run time, and the
 * encoded-character extension (RFC 5228 2.4.2.4: ${hex:..},
 * ${unicode:..}) once at compile time; the set command and its
 * modifiers.
 */
#include "sieve_internal.h"

#include "cte.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int sv_buf_add(struct sv_buf *o, const char *p, size_t n)
{
	if (o->len + n > o->max)
		n = o->max - o->len;    /* cut: a value has a size limit */
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 64;
		while (cap < o->len + n + 1)
			cap *= 2;
		char *s = realloc(o->s, cap);
		if (s == NULL)
			return -1;
		o->s = s;
		o->cap = cap;
	}
	memcpy(o->s + o->len, p, n);
	o->len += n;
	o->s[o->len] = '\0';
	return 0;
}

bool sv_var_name_ok(const char *s)
{
	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static const char *lookup(const struct sv_vars *vs, const char *name, size_t n)
{
	bool digits = n > 0;
	for (size_t i = 0; i < n; i++)
		digits = digits && isdigit((unsigned char)name[i]);
	if (digits) {
		size_t v = 0;
		for (size_t i = 0; i < n && v < SV_MATCH_VARS; i++)
			v = v * 10 + (size_t)(name[i] - '0');
		return v < SV_MATCH_VARS && vs->match[v] ? vs->match[v] : "";
	}
	for (size_t i = 0; i < vs->n; i++)
		if (strlen(vs->v[i].name) == n && strncasecmp(vs->v[i].name, name, n) == 0)
			return vs->v[i].value;
	return "";
}

/* True when NAME (N bytes) is a variable reference: an identifier or
 * digits. */
static bool reference(const char *name, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	bool digits = isdigit((unsigned char)name[0]);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (digits ? !isdigit(c) : !(isalnum(c) || c == '_'))
			return false;
	}
	return true;
}

char *sv_expand(const struct sv_vars *vs, const char *s)
{
	struct sv_buf o = { .max = SV_VALUE_MAX };
	if (sv_buf_add(&o, "", 0) < 0)
		return NULL;
	while (*s) {
		const char *open = strstr(s, "${");
		const char *close = open ? strchr(open + 2, '}') : NULL;
		if (open == NULL || close == NULL)
			break;
		size_t n = (size_t)(close - open - 2);
		bool ref = reference(open + 2, n);
		const char *val = ref ? lookup(vs, open + 2, n) : NULL;
		/* not a reference: "${" stays, and the scan goes on after it */
		if (sv_buf_add(&o, s, (size_t)(open - s)) < 0 ||
		    sv_buf_add(&o, ref ? val : "${", ref ? strlen(val) : 2) < 0) {
			free(o.s);
			return NULL;
		}
		s = ref ? close + 1 : open + 2;
	}
	if (sv_buf_add(&o, s, strlen(s)) < 0) {
		free(o.s);
		return NULL;
	}
	return o.s;
}

int sv_var_set(struct sv_vars *vs, const char *name, const char *value)
{
	size_t i;
	for (i = 0; i < vs->n; i++)
		if (strcasecmp(vs->v[i].name, name) == 0)
			break;
	if (i == SV_VAR_MAX)
		return -1;
	char *v = strndup(value, SV_VALUE_MAX);
	if (v == NULL)
		return -1;
	if (i == vs->n) {
		vs->v[i].name = strdup(name);
		if (vs->v[i].name == NULL) {
			free(v);
			return -1;
		}
		vs->n++;
	}
	free(vs->v[i].value);
	vs->v[i].value = v;
	return 0;
}

void sv_vars_clear(struct sv_vars *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		free(vs->v[i].value);
	}
	for (size_t i = 0; i < SV_MATCH_VARS; i++)
		free(vs->match[i]);
	memset(vs, 0, sizeof *vs);
}

/* ---- set (RFC 5229 4) ---- */

static void quote_wildcards(char *in, char *out)
{
	for (; *in; in++) {
		if (*in == '*' || *in == '?' || *in == '\\')
			*out++ = '\\';
		*out++ = *in;
	}
	*out = '\0';
}

/* The modifiers, highest precedence first. */
static char *modify(const struct sv_node *n, char *v)
{
	bool lower, upper, lf, uf, qw, len;
	sv_tagged(n, "lower", &lower);
	sv_tagged(n, "upper", &upper);
	sv_tagged(n, "lowerfirst", &lf);
	sv_tagged(n, "upperfirst", &uf);
	sv_tagged(n, "quotewildcard", &qw);
	sv_tagged(n, "length", &len);
	for (char *p = v; (lower || upper) && *p; p++)
		*p = (char)(lower ? tolower((unsigned char)*p) : toupper((unsigned char)*p));
	if ((lf || uf) && v[0] != '\0')
		v[0] = (char)(lf ? tolower((unsigned char)v[0]) : toupper((unsigned char)v[0]));
	if (qw) {
		char *q = malloc(2 * strlen(v) + 1);
		if (q != NULL)
			quote_wildcards(v, q);
		free(v);
		v = q;
	}
	if (len && v != NULL) {
		char *l = NULL;
		size_t chars = 0;
		for (const char *p = v; *p; p++)
			chars += ((unsigned char)*p & 0xC0) != 0x80;
		if (asprintf(&l, "%zu", chars) < 0)
			l = NULL;
		free(v);
		v = l;
	}
	return v;
}

int sv_set(struct sv_run *r, const struct sv_node *n)
{
	char *v = sv_str(r, n->pos[1]->v[0]);
	if (v == NULL)
		return -1;
	v = modify(n, v);
	int rc = v == NULL ? sv_fail(r, "out of memory")
	         : sv_var_set(&r->vars, n->pos[0]->v[0], v) < 0 ? sv_fail(r, "too many variables")
	         : 0;
	free(v);
	return rc;
}

/* ---- encoded-character ---- */

static size_t put_utf8(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * The body of one ${hex:...} or ${unicode:...} (P to END) decoded into
 * O.  Returns 1 when decoded, 0 when it is not a valid encoding (kept
 * as written), -1 on an invalid code point (an error, RFC 5228
 * 2.4.2.4) or out of memory.
 */
static int decode_one(struct sv_buf *o, const char *p, const char *end, bool unicode)
{
	size_t start = o->len;
	bool any = false;
	while (p < end) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			p++;
			continue;
		}
		size_t n = 0;
		unsigned long v = 0;
		while (p + n < end && cte_hex_value((unsigned char)p[n]) >= 0 && n < 9) {
			v = v * 16 + (unsigned long)cte_hex_value((unsigned char)p[n]);
			n++;
		}
		if (n == 0 || (!unicode && n != 2) || n > 8 ||
		    (p + n < end && !isspace((unsigned char)p[n]))) {
			o->len = start;
			return 0;
		}
		if (unicode && (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)))
			return -1;
		char u[4];
		size_t ulen = unicode ? put_utf8(u, v) : 1;
		if (!unicode)
			u[0] = (char)v;
		if (v == 0 || sv_buf_add(o, u, ulen) < 0) {
			o->len = start;
			return v == 0 ? 0 : -1;
		}
		any = true;
		p += n;
	}
	return any || o->len == start ? 1 : 0;
}

int sv_decode_encoded(char **s, char *why, size_t whylen)
{
	struct sv_buf o = { .max = SIZE_MAX - 1 };
	const char *p = *s;
	if (strstr(p, "${") == NULL)
		return 0;
	if (sv_buf_add(&o, "", 0) < 0)
		goto oom;
	while (*p) {
		bool hex = strncasecmp(p, "${hex:", 6) == 0;
		bool uni = !hex && strncasecmp(p, "${unicode:", 10) == 0;
		const char *body = p + (hex ? 6 : 10);
		const char *close = hex || uni ? strchr(body, '}') : NULL;
		int r = close ? decode_one(&o, body, close, uni) : 0;
		if (r < 0) {
			free(o.s);
			snprintf(why, whylen, "invalid code point in ${unicode:...}");
			return -1;
		}
		if (r == 1) {
			p = close + 1;
		} else {
			if (sv_buf_add(&o, p, 1) < 0)
				goto oom;
			p++;
		}
	}
	free(*s);
	*s = o.s;
	return 0;
oom:
	free(o.s);
	snprintf(why, whylen, "out of memory");
	return -1;
}
