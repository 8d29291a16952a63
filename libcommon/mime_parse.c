/*
 * mime_parse.c - the part tree of a raw message (RFC 2045, 2046): each
 * entity's header and body, multiparts split at their boundaries (the
 * line end before a delimiter belongs to the delimiter), message/rfc822
 * parts parsed as the messages they enclose.  Broken input still gives a
 * tree: a multipart whose boundary never appears holds one part, its
 * whole body; a missing close delimiter ends the last part at the end
 * of its parent; nesting and part counts are bounded.  See mime.h.
 */
#include "log.h"
#include "mime_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct span {
	const char *base;   /* the whole message: offsets count from here */
	size_t off, end;
};

bool mime_is_multipart(const struct mime_part *p)
{
	return p->type != NULL && strcasecmp(p->type, "multipart") == 0 && p->nchildren > 0;
}

bool mime_is_message(const struct mime_part *p)
{
	return p->type != NULL && strcasecmp(p->type, "message") == 0 &&
	       p->subtype != NULL && strcasecmp(p->subtype, "rfc822") == 0 &&
	       p->nchildren == 1;
}

static struct mime_part *parse_entity(struct mime_tree *t, struct span s, int depth,
                                      bool digest, bool is_message);

/* Input read through is reported in stretches of this size. */
#define PASSED_STEP (1024 * 1024)

static size_t count_lines(const struct mime_tree *t, const char *p, size_t len)
{
	size_t n = 0;
	for (size_t off = 0; off < len; off += PASSED_STEP) {
		size_t step = len - off < PASSED_STEP ? len - off : PASSED_STEP;
		const char *q = p + off, *end = q + step;
		for (; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++)
			n++;
		if (t->passed != NULL)
			t->passed(p + off, step, t->passed_arg);
	}
	if (len > 0 && p[len - 1] != '\n')
		n++;   /* a last line without its end (before a delimiter) */
	return n;
}

static void envelope_field(struct mime_tree *t, struct mime_envelope *e,
                           const struct header_field *f)
{
	static const char *const names[] = { "from", "sender", "reply-to", "to", "cc", "bcc" };
	struct mime_addresses *lists[] = { &e->from, &e->sender, &e->reply_to, &e->to, &e->cc,
	                                   &e->bcc };
	char **strings[] = { &e->date, &e->subject, &e->in_reply_to, &e->message_id };
	static const char *const snames[] = { "date", "subject", "in-reply-to", "message-id" };
	for (size_t i = 0; i < 6; i++)
		if (header_field_is(f, names[i]) && lists[i]->v == NULL) {
			char *v = mime_field_unfold(t, f);
			if (v != NULL)
				mime_address_list(t, v, lists[i]);
			return;
		}
	for (size_t i = 0; i < 4; i++)
		if (header_field_is(f, snames[i]) && *strings[i] == NULL) {
			*strings[i] = mime_field_unfold(t, f);
			return;
		}
}

/* One Content-* field F into P (the first of each name counts). */
static void content_field(struct mime_tree *t, struct mime_part *p,
                          const struct header_field *f, bool *typed)
{
	if (f->name_len < 8 || strncasecmp(f->name, "content-", 8) != 0)
		return;
	char *v = mime_field_unfold(t, f);
	if (v == NULL)
		return;
	if (header_field_is(f, "content-type") && !*typed)
		*typed = mime_content_type(t, v, p) == 0;
	else if (header_field_is(f, "content-transfer-encoding") && p->encoding == NULL)
		p->encoding = mime_token_value(t, v);
	else if (header_field_is(f, "content-id") && p->id == NULL)
		p->id = v;
	else if (header_field_is(f, "content-description") && p->description == NULL)
		p->description = v;
	else if (header_field_is(f, "content-disposition") && p->disposition == NULL)
		mime_content_disposition(t, v, p);
	else if (header_field_is(f, "content-language") && p->languages == NULL)
		mime_content_language(t, v, p);
	else if (header_field_is(f, "content-location") && p->location == NULL)
		p->location = v;
	else if (header_field_is(f, "content-md5") && p->md5 == NULL)
		p->md5 = v;
}

/* Sets P's default type: text/plain; charset=us-ascii, or in a digest
 * message/rfc822 (RFC 2046 section 5.1.5). */
static void default_type(struct mime_tree *t, struct mime_part *p, bool digest)
{
	p->type = mime_strndup(t, digest ? "message" : "text", digest ? 7 : 4);
	p->subtype = mime_strndup(t, digest ? "rfc822" : "plain", digest ? 6 : 5);
	p->params = NULL;
	p->nparams = 0;
	if (!digest && (p->params = mime_alloc(t, sizeof *p->params)) != NULL) {
		p->params[0].name = mime_strndup(t, "charset", 7);
		p->params[0].value = mime_strndup(t, "us-ascii", 8);
		p->nparams = 1;
	}
}

/* True when the line at P (before END) is a delimiter of BOUNDARY;
 * *CLOSE tells whether it is the close delimiter. */
static bool delimiter(const char *p, const char *end, const char *boundary, size_t blen,
                      bool *close)
{
	if ((size_t)(end - p) < blen + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, boundary, blen) != 0)
		return false;
	p += blen + 2;
	*close = end - p >= 2 && p[0] == '-' && p[1] == '-';
	if (*close)
		p += 2;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;   /* transport padding */
	return p == end || *p == '\n' || (*p == '\r' && (p + 1 == end || p[1] == '\n'));
}

/* Adds the part spanning S to multipart P. */
static void add_child(struct mime_tree *t, struct mime_part *p, struct span s, int depth,
                      bool digest, size_t *cap)
{
	if (p->nchildren == *cap) {
		size_t ncap = *cap ? 2 * *cap : 4;
		struct mime_part **v = mime_alloc(t, ncap * sizeof *v);
		if (v == NULL)
			return;
		if (p->nchildren > 0)
			memcpy(v, p->children, p->nchildren * sizeof *v);
		p->children = v;
		*cap = ncap;
	}
	struct mime_part *c = parse_entity(t, s, depth, digest, false);
	if (c != NULL)
		p->children[p->nchildren++] = c;
}

/* Splits multipart P's body at BOUNDARY into its parts. */
static void split_multipart(struct mime_tree *t, struct mime_part *p, struct span body,
                            const char *boundary, int depth)
{
	bool digest = p->subtype != NULL && strcasecmp(p->subtype, "digest") == 0;
	size_t blen = boundary ? strlen(boundary) : 0, cap = 0;
	const char *base = body.base, *end = base + body.end, *line = base + body.off;
	const char *open = NULL;   /* the start of the part being read */
	const char *told = line;   /* passed on up to here */
	while (blen > 0 && line < end && t->nparts < MIME_PARTS_MAX) {
		if (t->passed != NULL && line - told >= PASSED_STEP) {
			t->passed(told, (size_t)(line - told), t->passed_arg);
			told = line;
		}
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *next = nl ? nl + 1 : end;
		bool close;
		if (delimiter(line, next, boundary, blen, &close)) {
			if (open != NULL) {
				const char *stop = line;   /* the line end before belongs to us */
				if (stop > open && stop[-1] == '\n')
					stop--;
				if (stop > open && stop[-1] == '\r')
					stop--;
				add_child(t, p, (struct span){ base, (size_t)(open - base),
				                               (size_t)(stop - base) }, depth, digest, &cap);
			}
			open = close ? NULL : next;
			if (close)
				return;   /* the rest is the epilogue */
		}
		line = next;
	}
	if (open != NULL)   /* no close delimiter: the last part runs to the end */
		add_child(t, p, (struct span){ base, (size_t)(open - base), body.end }, depth,
		          digest, &cap);
	if (p->nchildren == 0)   /* no delimiter at all: the body is one part */
		add_child(t, p, body, depth, digest, &cap);
}

static struct mime_part *parse_entity(struct mime_tree *t, struct span s, int depth,
                                      bool digest, bool is_message)
{
	struct mime_part *p = mime_alloc(t, sizeof *p);
	bool typed = false;
	struct header_reader r;
	struct header_field f;
	if (p == NULL)
		return NULL;
	t->nparts++;
	if (is_message)
		p->envelope = mime_alloc(t, sizeof *p->envelope);
	p->header_off = s.off;
	p->header_len = header_block_len(s.base + s.off, s.end - s.off, NULL);
	p->body_off = s.off + p->header_len;
	p->body_len = s.end - p->body_off;
	p->lines = count_lines(t, s.base + p->body_off, p->body_len);
	header_reader_init(&r, s.base + s.off, p->header_len);
	while (header_next_field(&r, &f) > 0) {
		content_field(t, p, &f, &typed);
		if (p->envelope != NULL)
			envelope_field(t, p->envelope, &f);
	}
	if (!typed)
		default_type(t, p, digest);
	bool multi = p->type && strcasecmp(p->type, "multipart") == 0;
	bool message = p->type && p->subtype && strcasecmp(p->type, "message") == 0 &&
	               strcasecmp(p->subtype, "rfc822") == 0;
	bool encoded = p->encoding != NULL && strcasecmp(p->encoding, "7bit") != 0 &&
	               strcasecmp(p->encoding, "8bit") != 0 &&
	               strcasecmp(p->encoding, "binary") != 0;
	/* too deep to look inside, or an encoded message/rfc822 (not
	 * allowed, but seen): kept opaque */
	if (((multi || message) && depth >= MIME_DEPTH_MAX) || (message && encoded)) {
		p->type = mime_strndup(t, "application", 11);
		p->subtype = mime_strndup(t, "octet-stream", 12);
		return p;
	}
	struct span body = { s.base, p->body_off, s.end };
	if (multi) {
		char *boundary = mime_param_get(p->params, p->nparams, "boundary");
		split_multipart(t, p, body, boundary, depth + 1);
		free(boundary);
	} else if (message) {
		if ((p->children = mime_alloc(t, sizeof *p->children)) != NULL &&
		    (p->children[0] = parse_entity(t, body, depth + 1, false, true)) != NULL)
			p->nchildren = 1;
	}
	return p;
}

struct mime_tree *mime_parse(const char *data, size_t len)
{
	return mime_parse_passing(data, len, NULL, NULL);
}

struct mime_tree *mime_parse_passing(const char *data, size_t len,
                                     void (*passed)(const char *p, size_t len, void *arg),
                                     void *arg)
{
	struct mime_tree *t = mime_tree_new();
	if (t == NULL)
		return NULL;
	t->passed = passed;
	t->passed_arg = arg;
	t->root = parse_entity(t, (struct span){ data, 0, len }, 0, false, true);
	if (t->oom || t->root == NULL) {
		log_error("mime_parse", "error=\"out of memory\" size=%zu", len);
		mime_free(t);
		return NULL;
	}
	t->passed = NULL;
	return t;
}

/* Moves every offset below the top header by LEN. */
static void shift_part(struct mime_part *p, size_t len)
{
	p->header_off += len;
	p->body_off += len;
	for (size_t i = 0; i < p->nchildren; i++)
		shift_part(p->children[i], len);
}

void mime_shift(struct mime_tree *t, size_t len)
{
	struct mime_part *root = t->root;
	if (len == 0 || root == NULL)
		return;
	root->header_len += len;
	root->body_off += len;
	for (size_t i = 0; i < root->nchildren; i++)
		shift_part(root->children[i], len);
}
