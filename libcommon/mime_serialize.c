/*
 * mime_serialize.c - the form in which a MIME tree is stored with its
 * message (the messages.structure column): a magic word, then each part
 * depth first as numbers ("123;") and strings ("5:hello", "-" for
 * absent).  Compact, cheap to read back, and checked field by field on
 * reading, so a damaged blob is refused rather than trusted.  See
 * mime.h.
 */
#include "log.h"
#include "mime_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "EMSMIME1;"

/* Reading allows a little more than parsing makes (fallback parts). */
#define READ_PARTS_MAX (2 * MIME_PARTS_MAX + 2)
#define READ_DEPTH_MAX (MIME_DEPTH_MAX + 2)

/* ---- writing ---- */

struct out {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 1024;
		while (cap < o->len + n)
			cap *= 2;
		char *b = realloc(o->buf, cap);
		if (b == NULL) {
			o->oom = true;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void put_num(struct out *o, size_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%zu;", v);
	put(o, tmp, (size_t)n);
}

static void put_str(struct out *o, const char *s)
{
	if (s == NULL) {
		put(o, "-", 1);
		return;
	}
	char tmp[32];
	size_t len = strlen(s);
	int n = snprintf(tmp, sizeof tmp, "%zu:", len);
	put(o, tmp, (size_t)n);
	put(o, s, len);
}

static void put_params(struct out *o, const struct mime_param *v, size_t n)
{
	put_num(o, n);
	for (size_t i = 0; i < n; i++) {
		put_str(o, v[i].name);
		put_str(o, v[i].value);
	}
}

static void put_addresses(struct out *o, const struct mime_addresses *a)
{
	put_num(o, a->n);
	for (size_t i = 0; i < a->n; i++) {
		put_str(o, a->v[i].name);
		put_str(o, a->v[i].adl);
		put_str(o, a->v[i].mailbox);
		put_str(o, a->v[i].host);
	}
}

static void put_part(struct out *o, const struct mime_part *p)
{
	put_num(o, p->header_off);
	put_num(o, p->header_len);
	put_num(o, p->body_off);
	put_num(o, p->body_len);
	put_num(o, p->lines);
	put_str(o, p->type);
	put_str(o, p->subtype);
	put_params(o, p->params, p->nparams);
	put_str(o, p->id);
	put_str(o, p->description);
	put_str(o, p->encoding);
	put_str(o, p->md5);
	put_str(o, p->location);
	put_str(o, p->disposition);
	put_params(o, p->disp_params, p->ndisp_params);
	put_num(o, p->nlanguages);
	for (size_t i = 0; i < p->nlanguages; i++)
		put_str(o, p->languages[i]);
	put_num(o, p->envelope != NULL);
	if (p->envelope != NULL) {
		const struct mime_envelope *e = p->envelope;
		put_str(o, e->date);
		put_str(o, e->subject);
		put_str(o, e->in_reply_to);
		put_str(o, e->message_id);
		put_addresses(o, &e->from);
		put_addresses(o, &e->sender);
		put_addresses(o, &e->reply_to);
		put_addresses(o, &e->to);
		put_addresses(o, &e->cc);
		put_addresses(o, &e->bcc);
	}
	put_num(o, p->nchildren);
	for (size_t i = 0; i < p->nchildren; i++)
		put_part(o, p->children[i]);
}

int mime_serialize(const struct mime_tree *t, char **out, size_t *len)
{
	struct out o = {0};
	put(&o, MAGIC, strlen(MAGIC));
	put_part(&o, t->root);
	if (o.oom) {
		free(o.buf);
		log_error("mime_serialize", "error=\"out of memory\"");
		return -1;
	}
	*out = o.buf;
	*len = o.len;
	return 0;
}

char *mime_structure(const char *data, size_t len, size_t *out_len)
{
	return mime_structure_mapped(data, len, NULL, NULL, out_len);
}

char *mime_structure_mapped(const char *data, size_t len,
                            void (*passed)(const char *p, size_t len, void *arg),
                            void *arg, size_t *out_len)
{
	struct mime_tree *t = mime_parse_passing(data, len, passed, arg);
	char *out = NULL;
	if (t != NULL && mime_serialize(t, &out, out_len) < 0)
		out = NULL;
	mime_free(t);
	return out;
}

/* ---- reading ---- */

struct in {
	struct mime_tree *t;
	const char *p, *end;
	bool bad;
};

static size_t get_num(struct in *in, char stop)
{
	size_t v = 0;
	const char *p = in->p;
	if (in->bad || p >= in->end || *p < '0' || *p > '9') {
		in->bad = true;
		return 0;
	}
	for (; p < in->end && *p >= '0' && *p <= '9'; p++) {
		if (v > (SIZE_MAX - 9) / 10) {
			in->bad = true;
			return 0;
		}
		v = v * 10 + (size_t)(*p - '0');
	}
	if (p >= in->end || *p != stop) {
		in->bad = true;
		return 0;
	}
	in->p = p + 1;
	return v;
}

static size_t get_count(struct in *in, size_t max)
{
	size_t n = get_num(in, ';');
	if (n > max)
		in->bad = true;
	return in->bad ? 0 : n;
}

static char *get_str(struct in *in)
{
	if (in->bad)
		return NULL;
	if (in->p < in->end && *in->p == '-') {
		in->p++;
		return NULL;
	}
	size_t len = get_num(in, ':');
	if (in->bad || len > (size_t)(in->end - in->p) || memchr(in->p, '\0', len) != NULL) {
		in->bad = true;
		return NULL;
	}
	char *s = mime_strndup(in->t, in->p, len);
	in->p += len;
	return s;
}

static struct mime_param *get_params(struct in *in, size_t *n)
{
	*n = get_count(in, MIME_PARAMS_MAX);
	struct mime_param *v = *n ? mime_alloc(in->t, *n * sizeof *v) : NULL;
	for (size_t i = 0; i < *n && v != NULL; i++) {
		v[i].name = get_str(in);
		v[i].value = get_str(in);
		if (v[i].name == NULL || v[i].value == NULL)
			in->bad = true;
	}
	return v;
}

static void get_addresses(struct in *in, struct mime_addresses *a)
{
	a->n = get_count(in, MIME_ADDRESSES_MAX);
	a->v = a->n ? mime_alloc(in->t, a->n * sizeof *a->v) : NULL;
	for (size_t i = 0; i < a->n && a->v != NULL; i++) {
		a->v[i].name = get_str(in);
		a->v[i].adl = get_str(in);
		a->v[i].mailbox = get_str(in);
		a->v[i].host = get_str(in);
	}
}

static struct mime_envelope *get_envelope(struct in *in)
{
	struct mime_envelope *e = mime_alloc(in->t, sizeof *e);
	if (e == NULL)
		return NULL;
	e->date = get_str(in);
	e->subject = get_str(in);
	e->in_reply_to = get_str(in);
	e->message_id = get_str(in);
	get_addresses(in, &e->from);
	get_addresses(in, &e->sender);
	get_addresses(in, &e->reply_to);
	get_addresses(in, &e->to);
	get_addresses(in, &e->cc);
	get_addresses(in, &e->bcc);
	return e;
}

static struct mime_part *get_part(struct in *in, int depth)
{
	struct mime_part *p = mime_alloc(in->t, sizeof *p);
	if (p == NULL || depth > READ_DEPTH_MAX || ++in->t->nparts > READ_PARTS_MAX) {
		in->bad = true;
		return NULL;
	}
	p->header_off = get_num(in, ';');
	p->header_len = get_num(in, ';');
	p->body_off = get_num(in, ';');
	p->body_len = get_num(in, ';');
	p->lines = get_num(in, ';');
	if (p->header_off > SIZE_MAX / 4 || p->header_len > SIZE_MAX / 4 ||
	    p->body_len > SIZE_MAX / 4 || p->header_off + p->header_len != p->body_off)
		in->bad = true;
	p->type = get_str(in);
	p->subtype = get_str(in);
	if (p->type == NULL || p->subtype == NULL)
		in->bad = true;
	p->params = get_params(in, &p->nparams);
	p->id = get_str(in);
	p->description = get_str(in);
	p->encoding = get_str(in);
	p->md5 = get_str(in);
	p->location = get_str(in);
	p->disposition = get_str(in);
	p->disp_params = get_params(in, &p->ndisp_params);
	p->nlanguages = get_count(in, MIME_LANGUAGES_MAX);
	p->languages = p->nlanguages ? mime_alloc(in->t, p->nlanguages * sizeof(char *)) : NULL;
	for (size_t i = 0; i < p->nlanguages && p->languages != NULL; i++)
		if ((p->languages[i] = get_str(in)) == NULL)
			in->bad = true;
	if (get_count(in, 1) == 1)
		p->envelope = get_envelope(in);
	p->nchildren = get_count(in, READ_PARTS_MAX);
	p->children = p->nchildren ? mime_alloc(in->t, p->nchildren * sizeof *p->children) : NULL;
	for (size_t i = 0; i < p->nchildren && p->children != NULL && !in->bad; i++)
		p->children[i] = get_part(in, depth + 1);
	return in->bad ? NULL : p;
}

struct mime_tree *mime_deserialize(const void *data, size_t len)
{
	struct mime_tree *t = mime_tree_new();
	if (t == NULL)
		return NULL;
	struct in in = { t, data, (const char *)data + len, false };
	if (len < strlen(MAGIC) || memcmp(data, MAGIC, strlen(MAGIC)) != 0)
		in.bad = true;
	else
		in.p += strlen(MAGIC);
	if (!in.bad)
		t->root = get_part(&in, 0);
	if (in.bad || t->oom || in.p != in.end) {
		log_warn("mime_deserialize", "error=\"%s\" size=%zu",
		         t->oom ? "out of memory" : "malformed structure", len);
		mime_free(t);
		return NULL;
	}
	return t;
}
