/*
 * imap_message.c - a stored message as FETCH and SEARCH need it; see
 * imap_message.h.  The raw bytes stay in the store and are read in
 * pieces; the top-level header is read once on first need; the MIME
 * structure comes from the store (parsed at delivery) or, for a
 * message stored without one, is parsed once and written back
 * (imap_message_mime.c).
 */
#include "imap_message.h"
#include "imap_message_private.h"
#include "imap_view.h"
#include "header.h"
#include "log.h"
#include "mime.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

/* A header longer than this is cut there (and its body starts there). */
#define HEADER_MAX (1024 * 1024)
/* The header is looked for in reads of this size. */
#define HEADER_CHUNK 8192

struct imap_message *imap_message_open(struct imap_server *srv, int64_t mailbox_id,
                                       const struct view_msg *vm)
{
	struct imap_message *m = imap_message_open_on(srv->store, mailbox_id, vm);
	if (m != NULL)
		m->srv = srv;
	return m;
}

struct imap_message *imap_message_open_on(struct store *st, int64_t mailbox_id,
                                          const struct view_msg *vm)
{
	struct imap_message *m = calloc(1, sizeof *m);
	if (m == NULL) {
		log_error("imap_message", "error=\"out of memory\"");
		return NULL;
	}
	m->st = st;
	m->src.mailbox_id = mailbox_id;
	m->src.uid = vm->uid;
	m->src.message_id = vm->message_id;
	m->src.prefix_len = vm->prefix_len;
	m->size = vm->size;
	return m;
}

void imap_message_close(struct imap_message *m)
{
	if (m == NULL)
		return;
	free(m->text);
	free(m->head);
	mime_free(m->mime);
	free(m);
}

ssize_t imap_message_read(struct imap_message *m, size_t off, void *buf, size_t len)
{
	if (m->text != NULL) {
		size_t n = off >= m->text_len ? 0 : m->text_len - off < len ? m->text_len - off : len;
		memcpy(buf, m->text + off, n);
		return (ssize_t)n;
	}
	if (m->st == NULL)
		return -1;
	return store_entry_read(m->st, &m->src, off, buf, len);
}

const char *imap_message_text(struct imap_message *m, size_t *len)
{
	if (m->text == NULL) {
		void *data;
		if (m->st == NULL || store_entry_text(m->st, &m->src, &data, &m->text_len) < 0)
			return NULL;
		m->text = data;
	}
	*len = m->text_len;
	return m->text;
}

/* ---- the top-level header ---- */

static int load_head(struct imap_message *m)
{
	size_t cap = 0, len = 0, end = 0;
	bool complete = false;
	char *buf = NULL;
	if (m->head_loaded)
		return 0;
	while (!complete && len < HEADER_MAX) {
		if (len + HEADER_CHUNK > cap) {
			char *p = realloc(buf, cap + HEADER_CHUNK);
			if (p == NULL) {
				free(buf);
				log_error("imap_message", "error=\"out of memory\"");
				return -1;
			}
			buf = p;
			cap += HEADER_CHUNK;
		}
		ssize_t n = imap_message_read(m, len, buf + len, HEADER_CHUNK);
		if (n < 0) {
			free(buf);
			return -1;
		}
		len += (size_t)n;
		end = header_block_len(buf, len, &complete);
		if (n == 0)
			break;
	}
	/* a message that is all header (no blank line) has an empty body */
	m->head = buf;
	m->head_len = end;
	m->head_loaded = true;
	return 0;
}

const char *imap_message_body(struct imap_message *m, size_t *len)
{
	size_t total;
	const char *text = imap_message_text(m, &total);
	if (text == NULL || load_head(m) < 0)
		return NULL;
	size_t off = m->head_len < total ? m->head_len : total;
	*len = total - off;
	return text + off;
}

/* ---- header fields ---- */

static bool listed(const struct header_field *f, const struct fetch_section *s)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (header_field_is(f, s->fields[i]))
			return true;
	return false;
}

/* The fields of the header block HEAD (LEN bytes, blank line included)
 * that S's list selects, then a blank line, into *OUT. */
static int filter_fields(const char *head, size_t len, const struct fetch_section *s,
                         char **out, size_t *out_len)
{
	struct header_reader r;
	struct header_field f;
	bool not = s->kind == SEC_HEADER_FIELDS_NOT;
	size_t n = 0;
	char *buf = malloc(len + 3);
	if (buf == NULL) {
		log_error("imap_message", "error=\"out of memory\"");
		return -1;
	}
	/* a line that is no field is not listed: HEADER.FIELDS.NOT keeps it */
	header_reader_init(&r, head, len);
	while (header_next(&r, &f) > 0) {
		if (listed(&f, s) != not) {
			memcpy(buf + n, f.raw, f.raw_len);
			n += f.raw_len;
			if (buf[n - 1] != '\n') {   /* a header cut without its line end */
				buf[n++] = '\r';
				buf[n++] = '\n';
			}
		}
	}
	buf[n++] = '\r';
	buf[n++] = '\n';
	*out = buf;
	*out_len = n;
	return 0;
}

/* ---- sections of the top level ---- */

/* Whole, HEADER or TEXT of the message itself (no part number). */
static int top_section(struct imap_message *m, enum section_kind kind, size_t *off,
                       size_t *len)
{
	size_t size = (size_t)m->size;
	if (load_head(m) < 0)
		return -1;
	size_t head = m->head_len < size ? m->head_len : size;
	switch (kind) {
	case SEC_HEADER:
		*off = 0;
		*len = head;
		return 1;
	case SEC_TEXT:
		*off = head;
		*len = size - head;
		return 1;
	case SEC_ALL:
		*off = 0;
		*len = size;
		return 1;
	default:
		return 0;     /* MIME needs a part number */
	}
}

int imap_message_header(struct imap_message *m, const char *name, bool decode,
                        int (*cb)(const char *value, size_t len, void *arg), void *arg)
{
	struct header_reader r;
	struct header_field f;
	if (load_head(m) < 0)
		return -1;
	header_reader_init(&r, m->head, m->head_len);
	while (header_find(&r, name, &f) > 0) {
		/* SEARCH wants the whole value, however long: not cut */
		char *raw = malloc(f.value_len + 1), *value = raw;
		size_t vlen = 0;
		if (raw == NULL)
			return -1;
		vlen = header_unfold(&f, raw, f.value_len + 1);
		if (decode) {
			value = mime_words_decode(raw, vlen, &vlen);
			free(raw);
		}
		if (value == NULL)
			return -1;
		int r = cb(value, vlen, arg);
		free(value);
		if (r != 0)
			return r;
	}
	return 0;
}

int imap_message_section(struct imap_message *m, const struct fetch_section *s,
                         size_t *off, size_t *len)
{
	if (s->nparts == 0)
		return top_section(m, s->kind, off, len);
	return imap_message_part(m, s, off, len);
}

int imap_message_fields(struct imap_message *m, const struct fetch_section *s,
                        char **out, size_t *len)
{
	struct fetch_section head = *s;
	size_t off, hlen;
	head.kind = SEC_HEADER;
	int r = imap_message_section(m, &head, &off, &hlen);
	if (r <= 0)
		return r;
	if (s->nparts == 0)    /* the top-level header is loaded already */
		return filter_fields(m->head, hlen, s, out, len) < 0 ? -1 : 1;
	char *buf = malloc(hlen ? hlen : 1);
	if (buf == NULL) {
		log_error("imap_message", "error=\"out of memory\"");
		return -1;
	}
	ssize_t n = imap_message_read(m, off, buf, hlen);
	r = n < 0 ? -1 : filter_fields(buf, (size_t)n, s, out, len) < 0 ? -1 : 1;
	free(buf);
	return r;
}
