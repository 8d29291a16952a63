/*
 * sieve_test.c - the tests of a Sieve run (RFC 5228 5): header,
 * address, envelope, exists, size, allof/anyof/not, and hasflag
 * (RFC 5232), string (RFC 5229), mailboxexists (RFC 5490), body (RFC 5173,
 * sieve_body.c), date and currentdate (RFC 5260, sieve_date.c).  Each test
 * gathers the values it looks at, then matches them against its keys
 * (sieve_match.c).  Header values are unfolded and their encoded words
 * decoded (RFC 5228 5.7).
 */
#include "sieve_internal.h"

#include "header.h"
#include "mime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* At most this many values per test (header fields, addresses). */
#define VALUES_MAX 256

struct values {
	char *v[VALUES_MAX];
	size_t n;
	bool oom;
};

static void values_add(struct values *vs, char *s)
{
	if (s == NULL)
		vs->oom = true;
	else if (vs->n == VALUES_MAX)
		free(s);
	else
		vs->v[vs->n++] = s;
}

static void values_clear(struct values *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		free(vs->v[i]);
	vs->n = 0;
}

static int header_value(const char *value, size_t len, void *arg)
{
	size_t n;
	values_add(arg, mime_words_decode(value, len, &n));
	return 0;
}

static void header_values(struct sv_run *r, const struct sv_node *n, const char *name,
                          struct values *vs)
{
	sv_field_each(r, n, name, header_value, vs);
}

/* Address fields are split before any decoding: an encoded display name
 * may hide a comma or a quote. */
static int raw_value(const char *value, size_t len, void *arg)
{
	values_add(arg, strndup(value, len));
	return 0;
}

/* The part of an address a test looks at (RFC 5228 2.7.4, RFC 5233);
 * NULL when it has none (:detail of an address without one). */
static char *address_part(const struct sv_node *n, const char *local, const char *domain)
{
	bool present;
	char *s = NULL;
	const char *plus = strchr(local, '+');
	if (sv_tagged(n, "localpart", &present), present)
		return strdup(local);
	if (sv_tagged(n, "domain", &present), present)
		return strdup(domain);
	if (sv_tagged(n, "user", &present), present)
		return strndup(local, plus ? (size_t)(plus - local) : strlen(local));
	if (sv_tagged(n, "detail", &present), present)
		return plus ? strdup(plus + 1) : NULL;
	if (asprintf(&s, "%s%s%s", local, domain[0] ? "@" : "", domain) < 0)
		return NULL;
	return s;
}

/* An address without a detail has no :detail to match (RFC 5233 4). */
static void add_part(const struct sv_node *n, struct values *vs, const char *local,
                     const char *domain)
{
	bool detail;
	sv_tagged(n, "detail", &detail);
	if (!detail || strchr(local, '+') != NULL)
		values_add(vs, address_part(n, local, domain));
}

static void header_addresses(struct sv_run *r, const struct sv_node *n, const char *name,
                             struct values *vs)
{
	struct values raw = { 0 };
	sv_field_each(r, n, name, raw_value, &raw);
	for (size_t i = 0; i < raw.n; i++) {
		struct mime_addresses as = { 0 };
		struct mime_tree *t = mime_address_parse(raw.v[i], &as);
		if (t == NULL) {
			vs->oom = true;
			continue;
		}
		for (size_t k = 0; k < as.n; k++)
			if (as.v[k].host != NULL && as.v[k].mailbox != NULL)
				add_part(n, vs, as.v[k].mailbox, as.v[k].host);
		mime_free(t);
	}
	values_clear(&raw);
	vs->oom |= raw.oom;
}

static void envelope_part(const struct sv_node *n, const char *addr, struct values *vs)
{
	const char *at = strrchr(addr, '@');
	char *local = strndup(addr, at ? (size_t)(at - addr) : strlen(addr));
	if (local == NULL) {
		vs->oom = true;
		return;
	}
	add_part(n, vs, local, at ? at + 1 : "");
	free(local);
}

/* Keeps the match variables of a :matches success (RFC 5229 3.2). */
static void keep_vars(struct sv_run *r, struct sv_match *m)
{
	if (m->vars[0] == NULL)
		return;
	for (int i = 0; i < SV_MATCH_VARS; i++) {
		free(r->vars.match[i]);
		r->vars.match[i] = m->vars[i];
		m->vars[i] = NULL;
	}
}

/* Matches VS against the keys KEYS of N. */
static int match_values(struct sv_run *r, const struct sv_node *n, struct values *vs,
                        const struct sv_arg *keys)
{
	struct sv_match m;
	int found = 0;
	char count[24];

	if (vs->oom)
		return sv_fail(r, "out of memory");
	sv_match_init(&m, n, &r->steps);
	snprintf(count, sizeof count, "%zu", vs->n);
	for (size_t k = 0; k < keys->n && found == 0; k++) {
		char *key = sv_str(r, keys->v[k]);
		if (key == NULL)
			return -1;
		if (m.mt == SV_MT_COUNT)
			found = sv_relate(&m, count, key);
		for (size_t i = 0; m.mt != SV_MT_COUNT && i < vs->n && found == 0; i++)
			found = sv_match_one(&m, vs->v[i], key, r->p->variables);
		free(key);
	}
	if (found > 0)
		keep_vars(r, &m);
	sv_match_clear(&m);
	if (r->steps > SIEVE_STEPS_MAX)
		return sv_fail(r, "too many steps");
	return found < 0 ? sv_fail(r, "out of memory") : found;
}

/* Calls EACH for every string of list A, expanded. */
static int each_string(struct sv_run *r, const struct sv_arg *a,
                       void (*each)(struct sv_run *r, const struct sv_node *n,
                                    const char *s, struct values *vs),
                       const struct sv_node *n, struct values *vs)
{
	for (size_t i = 0; i < a->n; i++) {
		char *s = sv_str(r, a->v[i]);
		if (s == NULL)
			return -1;
		each(r, n, s, vs);
		free(s);
	}
	return 0;
}

static void from_header(struct sv_run *r, const struct sv_node *n, const char *s,
                        struct values *vs)
{
	header_values(r, n, s, vs);
}

static void from_address(struct sv_run *r, const struct sv_node *n, const char *s,
                         struct values *vs)
{
	header_addresses(r, n, s, vs);
}

static void from_envelope(struct sv_run *r, const struct sv_node *n, const char *s,
                          struct values *vs)
{
	if (strcasecmp(s, "from") == 0)
		envelope_part(n, r->msg->env_from, vs);
	else if (strcasecmp(s, "to") == 0)
		envelope_part(n, r->msg->env_to, vs);
}

static void from_string(struct sv_run *r, const struct sv_node *n, const char *s,
                        struct values *vs)
{
	bool count;
	(void)r;
	sv_tagged(n, "count", &count);
	/* :count counts the strings that are not empty (RFC 5229 5) */
	if (!count || s[0] != '\0')
		values_add(vs, strdup(s));
}

/* Each flag of the space-separated S as a value. */
static void split_flags(const char *s, struct values *vs)
{
	while (*s) {
		size_t skip = strspn(s, " "), len = strcspn(s + skip, " ");
		if (len > 0)
			values_add(vs, strndup(s + skip, len));
		s += skip + len;
	}
}

static void from_flag_var(struct sv_run *r, const struct sv_node *n, const char *s,
                          struct values *vs)
{
	(void)n;
	split_flags(sv_flags_get(r, s), vs);
}

static void add_body(void *arg, char *s)
{
	values_add(arg, s);
}

static int gather(struct sv_run *r, const struct sv_node *n, struct values *vs)
{
	switch (n->op) {
	case SV_OP_BODY:
		return sv_body_each(r, n, add_body, vs);
	case SV_OP_DATE:
	case SV_OP_CURRENTDATE: {
		char v[64];
		int rc = sv_date_value(r, n, v, sizeof v);
		if (rc == 0)
			values_add(vs, strdup(v));
		return rc < 0 ? -1 : 0;
	}
	case SV_OP_HEADER:
		return each_string(r, n->pos[0], from_header, n, vs);
	case SV_OP_ADDRESS:
		return each_string(r, n->pos[0], from_address, n, vs);
	case SV_OP_ENVELOPE:
		return each_string(r, n->pos[0], from_envelope, n, vs);
	case SV_OP_STRING:
		return each_string(r, n->pos[0], from_string, n, vs);
	default:    /* hasflag */
		if (n->npos == 1)
			split_flags(sv_flags_get(r, NULL), vs);
		return n->npos == 1 ? 0 : each_string(r, n->pos[0], from_flag_var, n, vs);
	}
}

static int match_test(struct sv_run *r, const struct sv_node *n)
{
	struct values vs = { 0 };
	int t = gather(r, n, &vs);
	if (t == 0)
		t = match_values(r, n, &vs, n->pos[n->npos - 1]);
	values_clear(&vs);
	return t;
}

static int exists(struct sv_run *r, const struct sv_node *n)
{
	for (size_t i = 0; i < n->pos[0]->n; i++) {
		char *name = sv_str(r, n->pos[0]->v[i]);
		if (name == NULL)
			return -1;
		bool yes = n->op == SV_OP_EXISTS
		           ? header_each(r->msg->data, r->hlen, name, NULL, NULL) > 0
		           : r->msg->mailbox_exists != NULL &&
		             r->msg->mailbox_exists(name, r->msg->arg);
		free(name);
		if (!yes)
			return 0;
	}
	return 1;
}

static int combine(struct sv_run *r, const struct sv_node *n)
{
	bool all = n->op == SV_OP_ALLOF;
	for (size_t i = 0; i < n->ntests; i++) {
		int t = sv_test(r, &n->tests[i]);
		if (t < 0)
			return -1;
		if (t != all)
			return !all;
	}
	return all;
}

int sv_test(struct sv_run *r, const struct sv_node *n)
{
	if (++r->steps > SIEVE_STEPS_MAX)
		return sv_fail(r, "too many steps");
	switch (n->op) {
	case SV_OP_TRUE: return 1;
	case SV_OP_FALSE: return 0;
	case SV_OP_NOT: {
		int t = sv_test(r, &n->tests[0]);
		return t < 0 ? -1 : !t;
	}
	case SV_OP_ALLOF:
	case SV_OP_ANYOF:
		return combine(r, n);
	case SV_OP_EXISTS:
	case SV_OP_MAILBOXEXISTS:
		return exists(r, n);
	case SV_OP_SIZE: {
		bool over;
		sv_tagged(n, "over", &over);
		return over ? r->msg->len > n->pos[0]->num : r->msg->len < n->pos[0]->num;
	}
	default:
		return match_test(r, n);
	}
}
