/*
 * imap_message_mime.c - the parts of imap_message.h that need a
 * message's MIME structure (libcommon/mime.h): BODY[section] with part
 * numbers, BINARY[section] decoded, ENVELOPE and BODYSTRUCTURE / BODY written exactly in RFC
 * 3501's grammar (section 9: envelope, body), and the structure APPEND
 * stores.  The structure is the one parsed at delivery; a message stored
 * without one is parsed on first need and the result written back, so
 * it is parsed once.
 */
#include "cte.h"
#include "imap_message.h"
#include "imap_message_private.h"
#include "log.h"
#include "mime.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longer strings are sent as literals rather than quoted. */
#define QUOTED_MAX 1024

/* ---- the structure ---- */

/* Parses the shared message's raw bytes (without the entry's prefix:
 * the structure is stored for every entry of it) and stores the result
 * for next time. */
static struct mime_tree *parse_now(struct imap_message *m)
{
	size_t len, skip = m->src.prefix_len;
	const char *text = imap_message_text(m, &len);
	if (text == NULL || len < skip)
		return NULL;
	struct mime_tree *t = mime_parse(text + skip, len - skip);
	char *blob;
	size_t blen;
	if (t != NULL && mime_serialize(t, &blob, &blen) == 0) {
		if (m->st == NULL ||
		    store_message_set_structure(m->st, m->src.message_id, blob, blen) < 0)
			log_warn("imap_message", "message=%lld error=\"structure not stored\"",
			         (long long)m->src.message_id);
		free(blob);
	}
	return t;
}

static struct mime_tree *structure(struct imap_message *m)
{
	void *data = NULL;
	size_t len = 0;
	if (m->mime != NULL)
		return m->mime;
	if (m->st != NULL &&
	    store_message_structure(m->st, m->src.message_id, &data, &len) == 0 && data != NULL)
		m->mime = mime_deserialize(data, len);
	free(data);
	if (m->mime == NULL)    /* none stored, or not readable: parse it */
		m->mime = parse_now(m);
	if (m->mime != NULL)    /* the entry's trace fields lengthen the top header */
		mime_shift(m->mime, m->src.prefix_len);
	return m->mime;
}

int imap_message_preload(struct imap_message *m, struct store *st)
{
	size_t len;
	m->st = st;
	int r = imap_message_text(m, &len) != NULL && structure(m) != NULL ? 0 : -1;
	m->st = NULL;
	return r;
}

int imap_message_parse(const char *data, size_t len, void **out, size_t *out_len)
{
	*out_len = 0;
	*out = mime_structure(data, len, out_len);
	return *out != NULL ? 0 : -1;
}

/* ---- sections ---- */

/* The part section S's numbers name (RFC 3501 section 6.4.5): a
 * multipart's parts count from 1; a message that is not multipart has
 * one part, its body; after a message/rfc822 part the numbers go on
 * inside the message it encloses.  NULL when there is no such part. */
static const struct mime_part *find_part(const struct mime_part *root,
                                         const struct fetch_section *s)
{
	const struct mime_part *m = root, *p = NULL;
	bool top = true;    /* M is the top of a message */
	for (int i = 0; i < s->nparts; i++) {
		uint32_t n = s->part[i];
		if (p != NULL) {
			if (mime_is_message(p)) {
				m = p->children[0];
				top = true;
			} else if (mime_is_multipart(p)) {
				m = p;
				top = false;
			} else {
				return NULL;
			}
		}
		if (mime_is_multipart(m)) {
			if (n < 1 || n > m->nchildren)
				return NULL;
			p = m->children[n - 1];
		} else if (top && n == 1) {
			p = m;
		} else {
			return NULL;
		}
	}
	return p;
}

/* *P gets the part S names: 1, 0 when there is none, -1 on failure. */
static int locate(struct imap_message *m, const struct fetch_section *s,
                  const struct mime_part **p)
{
	struct mime_tree *t = structure(m);
	if (t == NULL)
		return -1;
	*p = find_part(t->root, s);
	return *p != NULL;
}

int imap_message_part(struct imap_message *m, const struct fetch_section *s,
                      size_t *off, size_t *len)
{
	const struct mime_part *p;
	int found = locate(m, s, &p);
	if (found <= 0)
		return found;
	switch (s->kind) {
	case SEC_ALL:
		*off = p->body_off;
		*len = p->body_len;
		break;
	case SEC_MIME:
		*off = p->header_off;
		*len = p->header_len;
		break;
	default:    /* HEADER, TEXT, HEADER.FIELDS: of an enclosed message only */
		if (!mime_is_message(p))
			return 0;
		p = p->children[0];
		if (s->kind == SEC_TEXT) {
			*off = p->body_off;
			*len = p->body_len;
		} else {
			*off = p->header_off;
			*len = p->header_len;
		}
		break;
	}
	size_t size = (size_t)m->size;   /* a stale structure never reads past the end */
	if (*off > size)
		*off = size;
	if (*len > size - *off)
		*len = size - *off;
	return 1;
}

int imap_message_binary(struct imap_message *m, const struct fetch_section *s,
                        char **out, size_t *len)
{
	size_t size, off = 0, n;
	const char *text = imap_message_text(m, &size);
	const char *encoding = NULL;    /* the whole message: as it is */
	if (text == NULL)
		return -1;
	n = size;
	if (s->nparts > 0) {
		const struct mime_part *p;
		int found = locate(m, s, &p);
		if (found <= 0)
			return found;
		/* a multipart or message part can only be 7bit, 8bit or binary */
		if (!mime_is_multipart(p) && !mime_is_message(p))
			encoding = p->encoding;
		off = p->body_off < size ? p->body_off : size;
		n = p->body_len < size - off ? p->body_len : size - off;
	}
	int r = cte_decode(encoding, text + off, n, out, len);
	if (r < 0)
		log_error("imap_message", "error=\"out of memory\" what=binary");
	return r < 0 ? -1 : r == 1 ? -2 : 1;
}

/* ---- writing IMAP text ---- */

struct text {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 512;
		while (cap < t->len + n + 1)
			cap *= 2;
		char *b = realloc(t->buf, cap);
		if (b == NULL) {
			t->oom = true;
			return;
		}
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
}

static void puts_(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

/* S as an nstring: NIL, a quoted string, or a literal when S has
 * characters a quoted string cannot carry. */
static void nstring(struct text *t, const char *s)
{
	if (s == NULL) {
		puts_(t, "NIL");
		return;
	}
	size_t n = strlen(s);
	bool quotable = n <= QUOTED_MAX;
	for (size_t i = 0; i < n && quotable; i++)
		quotable = (unsigned char)s[i] < 0x80 && s[i] != '\r' && s[i] != '\n';
	if (!quotable) {
		char head[32];
		snprintf(head, sizeof head, "{%zu}\r\n", n);
		puts_(t, head);
		put(t, s, n);
		return;
	}
	put(t, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			put(t, "\\", 1);
		put(t, s + i, 1);
	}
	put(t, "\"", 1);
}

static void number(struct text *t, size_t v)
{
	char tmp[32];
	snprintf(tmp, sizeof tmp, "%zu", v);
	puts_(t, tmp);
}

/* ---- ENVELOPE ---- */

/* S without the suffix "." GW (any case) of any gateway name, as a
 * string owned by BUF (or S itself when nothing is stripped). */
static const char *strip_gateway(const struct imap_settings *set, const char *s, char *buf,
                                 size_t size)
{
	if (s == NULL)
		return NULL;
	size_t n = strlen(s);
	for (int i = 0; i < set->n_unixgwy; i++) {
		size_t g = strlen(set->unixgwy[i]);
		if (g == 0 || n <= g + 1 || n >= size || s[n - g - 1] != '.' ||
		    strcasecmp(s + n - g, set->unixgwy[i]) != 0)
			continue;
		memcpy(buf, s, n - g - 1);
		buf[n - g - 1] = '\0';
		return buf;
	}
	return s;
}

static void address(struct text *t, const struct imap_settings *set,
                    const struct mime_address *a)
{
	char mbuf[512], hbuf[512];
	puts_(t, "(");
	nstring(t, a->name);
	puts_(t, " ");
	nstring(t, a->adl);
	puts_(t, " ");
	nstring(t, a->host ? strip_gateway(set, a->mailbox, mbuf, sizeof mbuf) : a->mailbox);
	puts_(t, " ");
	nstring(t, strip_gateway(set, a->host, hbuf, sizeof hbuf));
	puts_(t, ")");
}

static void address_list(struct text *t, const struct imap_settings *set,
                         const struct mime_addresses *l)
{
	if (l->n == 0) {
		puts_(t, "NIL");
		return;
	}
	puts_(t, "(");
	for (size_t i = 0; i < l->n; i++)
		address(t, set, &l->v[i]);
	puts_(t, ")");
}

static void envelope(struct text *t, const struct imap_settings *set,
                     const struct mime_envelope *e)
{
	static const struct mime_envelope none;
	if (e == NULL)
		e = &none;
	/* RFC 3501: an absent or empty Sender or Reply-To is From */
	const struct mime_addresses *sender = e->sender.n ? &e->sender : &e->from;
	const struct mime_addresses *reply_to = e->reply_to.n ? &e->reply_to : &e->from;
	puts_(t, "(");
	nstring(t, e->date);
	puts_(t, " ");
	nstring(t, e->subject);
	puts_(t, " ");
	address_list(t, set, &e->from);
	puts_(t, " ");
	address_list(t, set, sender);
	puts_(t, " ");
	address_list(t, set, reply_to);
	puts_(t, " ");
	address_list(t, set, &e->to);
	puts_(t, " ");
	address_list(t, set, &e->cc);
	puts_(t, " ");
	address_list(t, set, &e->bcc);
	puts_(t, " ");
	nstring(t, e->in_reply_to);
	puts_(t, " ");
	nstring(t, e->message_id);
	puts_(t, ")");
}

/* Hands the text over to *OUT / *LEN, or fails when memory ran out. */
static int finish(struct text *t, char **out, size_t *len)
{
	if (t->oom || t->buf == NULL) {
		free(t->buf);
		log_error("imap_message", "error=\"out of memory\"");
		return -1;
	}
	*out = t->buf;
	*len = t->len;
	return 0;
}

int imap_message_envelope(struct imap_message *m, char **out, size_t *len)
{
	struct mime_tree *tree = structure(m);
	struct text t = {0};
	if (tree == NULL)
		return -1;
	envelope(&t, &m->srv->set, tree->root->envelope);
	return finish(&t, out, len);
}

/* ---- BODYSTRUCTURE ---- */

static void params(struct text *t, const struct mime_param *v, size_t n)
{
	if (n == 0) {
		puts_(t, "NIL");
		return;
	}
	puts_(t, "(");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			puts_(t, " ");
		nstring(t, v[i].name ? v[i].name : "");
		puts_(t, " ");
		nstring(t, v[i].value ? v[i].value : "");
	}
	puts_(t, ")");
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc */
static void dsp_lang_loc(struct text *t, const struct mime_part *p)
{
	if (p->disposition == NULL) {
		puts_(t, "NIL");
	} else {
		puts_(t, "(");
		nstring(t, p->disposition);
		puts_(t, " ");
		params(t, p->disp_params, p->ndisp_params);
		puts_(t, ")");
	}
	puts_(t, " ");
	if (p->nlanguages == 0) {
		puts_(t, "NIL");
	} else {
		puts_(t, "(");
		for (size_t i = 0; i < p->nlanguages; i++) {
			if (i > 0)
				puts_(t, " ");
			nstring(t, p->languages[i]);
		}
		puts_(t, ")");
	}
	puts_(t, " ");
	nstring(t, p->location);
}

static void body(struct text *t, const struct imap_settings *set, const struct mime_part *p,
                 bool ext)
{
	puts_(t, "(");
	if (mime_is_multipart(p)) {
		for (size_t i = 0; i < p->nchildren; i++)
			body(t, set, p->children[i], ext);
		puts_(t, " ");
		nstring(t, p->subtype);
		if (ext) {
			puts_(t, " ");
			params(t, p->params, p->nparams);
			puts_(t, " ");
			dsp_lang_loc(t, p);
		}
		puts_(t, ")");
		return;
	}
	nstring(t, p->type);
	puts_(t, " ");
	nstring(t, p->subtype);
	puts_(t, " ");
	params(t, p->params, p->nparams);
	puts_(t, " ");
	nstring(t, p->id);
	puts_(t, " ");
	nstring(t, p->description);
	puts_(t, " ");
	nstring(t, p->encoding ? p->encoding : "7BIT");
	puts_(t, " ");
	number(t, p->body_len);
	if (mime_is_message(p)) {
		puts_(t, " ");
		envelope(t, set, p->children[0]->envelope);
		puts_(t, " ");
		body(t, set, p->children[0], ext);
	}
	if (mime_is_message(p) || strcasecmp(p->type, "text") == 0) {
		puts_(t, " ");
		number(t, p->lines);
	}
	if (ext) {
		puts_(t, " ");
		nstring(t, p->md5);
		puts_(t, " ");
		dsp_lang_loc(t, p);
	}
	puts_(t, ")");
}

int imap_message_bodystructure(struct imap_message *m, bool extensible, char **out,
                               size_t *len)
{
	struct mime_tree *tree = structure(m);
	struct text t = {0};
	if (tree == NULL)
		return -1;
	body(&t, &m->srv->set, tree->root, extensible);
	return finish(&t, out, len);
}
