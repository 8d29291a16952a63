/*
 * sieve_body.c - what the body test (RFC 5173) looks at: the raw body
 * (:raw), or the MIME parts whose type matches (:content, and :text for
 * text/...), each with its transfer encoding undone and, for text, its
 * charset converted to UTF-8.  Enclosed messages are searched part by
 * part; multipart containers themselves are not values.  Each part is
 * cut at SV_BODY_PART_MAX bytes.
 */
#include "sieve_internal.h"

#include "cte.h"
#include "mime.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The most of one part the body test compares. */
#define SV_BODY_PART_MAX (1024 * 1024)

/* Part P's content as UTF-8 text: a malloc'ed string, NULL when out of
 * memory. */
static char *part_text(const char *data, const struct mime_part *p)
{
	size_t n = p->body_len < SV_BODY_PART_MAX ? p->body_len : SV_BODY_PART_MAX;
	char *raw;
	size_t len;
	int r = cte_decode(p->encoding, data + p->body_off, n, &raw, &len);
	if (r < 0)
		return NULL;
	if (r == 1)         /* an unknown encoding: the bytes as they are */
		return strndup(data + p->body_off, n);
	char *charset = strcasecmp(p->type, "text") == 0
	                ? mime_param_get(p->params, p->nparams, "charset") : NULL;
	if (charset == NULL || strcasecmp(charset, "utf-8") == 0 ||
	    strcasecmp(charset, "us-ascii") == 0) {
		free(charset);
		return raw;
	}
	char *utf8 = malloc(4 * len + 4);
	long got = utf8 ? mime_charset_to_utf8(charset, raw, len, utf8) : -1;
	free(charset);
	if (got < 0) {
		free(utf8);
		return raw;     /* an unknown charset: the bytes as they are */
	}
	utf8[got] = '\0';
	free(raw);
	return utf8;
}

/* True when part P's type is one of TYPES ("" any, "text" any text/..). */
static bool type_wanted(const struct mime_part *p, char **types, size_t ntypes)
{
	for (size_t i = 0; i < ntypes; i++) {
		const char *t = types[i], *slash = strchr(t, '/');
		size_t tl = slash ? (size_t)(slash - t) : strlen(t);
		if (t[0] == '\0')
			return true;
		if (strlen(p->type) == tl && strncasecmp(p->type, t, tl) == 0 &&
		    (slash == NULL || strcasecmp(p->subtype, slash + 1) == 0))
			return true;
	}
	return false;
}

struct walk {
	const char *data;
	char **types;
	size_t ntypes;
	void (*add)(void *arg, char *s);
	void *arg;
	size_t *steps;
};

static void walk_part(struct walk *w, const struct mime_part *p, int depth)
{
	if (++*w->steps > SIEVE_STEPS_MAX || depth > SIEVE_DEPTH_MAX)
		return;
	if (p->nchildren > 0) {
		for (size_t i = 0; i < p->nchildren; i++)
			walk_part(w, p->children[i], depth + 1);
		return;
	}
	if (!mime_is_multipart(p) && type_wanted(p, w->types, w->ntypes))
		w->add(w->arg, part_text(w->data, p));
}

int sv_body_each(struct sv_run *r, const struct sv_node *n, void (*add)(void *arg, char *s),
                 void *arg)
{
	bool raw;
	const struct sv_arg *content = sv_tagged(n, "content", NULL);
	static char *text[] = { "text" };
	struct walk w = { .data = r->msg->data, .types = text, .ntypes = 1, .add = add,
	                  .arg = arg, .steps = &r->steps };

	sv_tagged(n, "raw", &raw);
	if (raw) {
		size_t len = r->msg->len - r->hlen;
		add(arg, strndup(r->msg->data + r->hlen,
		                 len < SV_BODY_PART_MAX ? len : SV_BODY_PART_MAX));
		return 0;
	}
	char *types[16];
	if (content != NULL) {
		w.ntypes = content->n < 16 ? content->n : 16;
		for (size_t i = 0; i < w.ntypes; i++)
			if ((types[i] = sv_str(r, content->v[i])) == NULL) {
				while (i-- > 0)
					free(types[i]);
				return -1;
			}
		w.types = types;
	}
	struct mime_tree *t = mime_parse(r->msg->data, r->msg->len);
	if (t != NULL && t->root != NULL)
		walk_part(&w, t->root, 0);
	mime_free(t);
	for (size_t i = 0; content != NULL && i < w.ntypes; i++)
		free(types[i]);
	if (t == NULL)
		return sv_fail(r, "out of memory");
	return r->steps > SIEVE_STEPS_MAX ? sv_fail(r, "too many steps") : 0;
}
