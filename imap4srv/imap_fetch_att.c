/*
 * imap_fetch_att.c - parsing FETCH attributes, the macros ALL, FAST and
 * FULL, body sections with their partial ranges, and the CHANGEDSINCE
 * modifier; see imap_fetch_att.h.
 */
#include "imap_fetch_att.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void imap_fetch_request_free(struct fetch_request *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct fetch_att *a = &r->att[i];
		for (size_t k = 0; k < a->sec.nfields; k++)
			free(a->sec.fields[k]);
		free(a->sec.fields);
		free(a->label);
	}
	memset(r, 0, sizeof *r);
}

bool imap_fetch_has(const struct fetch_request *r, enum fetch_kind kind)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->att[i].kind == kind)
			return true;
	return false;
}

static struct fetch_att *add(struct imap_parser *p, struct fetch_request *r,
                             enum fetch_kind kind)
{
	if (r->n == FETCH_ATTS_MAX) {
		p->error = "too many FETCH attributes";
		return NULL;
	}
	struct fetch_att *a = &r->att[r->n++];
	memset(a, 0, sizeof *a);
	a->kind = kind;
	return a;
}

/* ---- sections ---- */

static int add_field(struct imap_parser *p, struct fetch_section *s,
                     const struct imap_str *f)
{
	if (s->nfields == FETCH_FIELDS_MAX) {
		p->error = "too many header fields";
		return -1;
	}
	char **fields = realloc(s->fields, (s->nfields + 1) * sizeof *fields);
	if (fields == NULL) {
		log_error("imap_fetch", "error=\"out of memory\"");
		p->error = "out of memory";
		return -1;
	}
	s->fields = fields;
	char *name = imap_str_dup(f);
	if (name == NULL || f->len == 0 || strpbrk(name, ": ") != NULL) {
		free(name);
		p->error = "bad header field name";
		return -1;
	}
	s->fields[s->nfields++] = name;
	return 0;
}

static int header_list(struct imap_parser *p, struct fetch_section *s)
{
	if (imap_p_sp(p) < 0 || imap_p_open(p) < 0)
		return -1;
	do {
		struct imap_str f;
		if (imap_p_astring(p, &f) < 0 || add_field(p, s, &f) < 0)
			return -1;
	} while (imap_p_eat(p, ' '));
	return imap_p_close(p);
}

/* section-msgtext / "MIME" after the part number (AFTER_PART) or alone. */
static int section_text(struct imap_parser *p, struct fetch_section *s, bool after_part)
{
	if (imap_p_word(p, "HEADER.FIELDS.NOT")) {
		s->kind = SEC_HEADER_FIELDS_NOT;
		return header_list(p, s);
	}
	if (imap_p_word(p, "HEADER.FIELDS")) {
		s->kind = SEC_HEADER_FIELDS;
		return header_list(p, s);
	}
	if (imap_p_word(p, "HEADER"))
		s->kind = SEC_HEADER;
	else if (imap_p_word(p, "TEXT"))
		s->kind = SEC_TEXT;
	else if (after_part && imap_p_word(p, "MIME"))
		s->kind = SEC_MIME;
	else {
		p->error = "bad section";
		return -1;
	}
	return 0;
}

/* The atoms above stop at "]", which imap_p_word() does not take as
 * part of a word: "HEADER]" is the word HEADER. */
static int section(struct imap_parser *p, struct fetch_section *s)
{
	if (imap_p_expect(p, '[') < 0)
		return -1;
	if (imap_p_eat(p, ']'))
		return 0;
	if (p->pos < p->len && p->buf[p->pos] >= '0' && p->buf[p->pos] <= '9') {
		do {
			if (s->nparts == FETCH_PART_DEPTH) {
				p->error = "section part too deep";
				return -1;
			}
			if (imap_p_nz_number(p, &s->part[s->nparts++]) < 0)
				return -1;
		} while (imap_p_eat(p, '.') && p->pos < p->len && p->buf[p->pos] >= '0' &&
		         p->buf[p->pos] <= '9');
		/* "1." followed by a text part, or "]" */
		if (p->buf[p->pos - 1] == '.' && section_text(p, s, true) < 0)
			return -1;
	} else if (section_text(p, s, false) < 0) {
		return -1;
	}
	return imap_p_expect(p, ']');
}

static int partial(struct imap_parser *p, struct fetch_section *s)
{
	if (!imap_p_eat(p, '<'))
		return 0;
	s->partial = true;
	if (imap_p_number(p, &s->origin) < 0 || imap_p_expect(p, '.') < 0 ||
	    imap_p_nz_number(p, &s->count) < 0 || imap_p_expect(p, '>') < 0)
		return -1;
	return 0;
}

/* Appends TEXT to the label being built in BUF (LEN used, CAP size). */
static void put(char *buf, size_t *len, size_t cap, const char *text)
{
	int n = snprintf(buf + *len, cap - *len, "%s", text);
	if (n > 0)
		*len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

static int make_label(struct imap_parser *p, struct fetch_att *a, const char *prefix)
{
	static const char *const kinds[] = { "", "HEADER", "HEADER.FIELDS",
	                                     "HEADER.FIELDS.NOT", "TEXT", "MIME" };
	const struct fetch_section *s = &a->sec;
	char buf[4096], num[16];
	size_t len = 0;
	put(buf, &len, sizeof buf, prefix);
	for (int i = 0; i < s->nparts; i++) {
		snprintf(num, sizeof num, "%s%u", i ? "." : "", s->part[i]);
		put(buf, &len, sizeof buf, num);
	}
	if (s->nparts && s->kind != SEC_ALL)
		put(buf, &len, sizeof buf, ".");
	put(buf, &len, sizeof buf, kinds[s->kind]);
	if (s->nfields) {
		put(buf, &len, sizeof buf, " (");
		for (size_t i = 0; i < s->nfields; i++) {
			if (i)
				put(buf, &len, sizeof buf, " ");
			put(buf, &len, sizeof buf, s->fields[i]);
		}
		put(buf, &len, sizeof buf, ")");
	}
	put(buf, &len, sizeof buf, "]");
	a->label = strdup(buf);
	if (a->label == NULL) {
		p->error = "out of memory";
		return -1;
	}
	return 0;
}

/* BODY[...] / BODY.PEEK[...] after the word. */
static int body_section(struct imap_parser *p, struct fetch_request *r, bool peek)
{
	struct fetch_att *a = add(p, r, FA_SECTION);
	if (a == NULL || section(p, &a->sec) < 0 || partial(p, &a->sec) < 0 ||
	    make_label(p, a, "BODY["))
		return -1;
	a->peek = peek;
	r->set_seen |= !peek;
	return 0;
}

/* BINARY[part]<partial>, BINARY.PEEK[...] and BINARY.SIZE[part] after the
 * word: section-binary = "[" [section-part] "]" (RFC 3516 4.2). */
static int binary_section(struct imap_parser *p, struct fetch_request *r,
                          enum fetch_kind kind, bool peek)
{
	struct fetch_att *a = add(p, r, kind);
	if (a == NULL || imap_p_expect(p, '[') < 0)
		return -1;
	while (!imap_p_eat(p, ']')) {
		if (a->sec.nparts == FETCH_PART_DEPTH) {
			p->error = "section part too deep";
			return -1;
		}
		if ((a->sec.nparts && imap_p_expect(p, '.') < 0) ||
		    imap_p_nz_number(p, &a->sec.part[a->sec.nparts++]) < 0)
			return -1;
	}
	if ((kind == FA_BINARY && partial(p, &a->sec) < 0) ||
	    make_label(p, a, kind == FA_BINARY ? "BINARY[" : "BINARY.SIZE["))
		return -1;
	a->peek = peek || kind == FA_BINARY_SIZE;
	r->set_seen |= !a->peek;
	return 0;
}

/* Consumes WORD, which ends in "[" (an atom character, so matched by
 * hand), leaving the "[" for the section parser. */
static bool bracket_word(struct imap_parser *p, const char *word)
{
	size_t n = strlen(word);
	if (p->len - p->pos < n || strncasecmp(p->buf + p->pos, word, n) != 0)
		return false;
	p->pos += n - 1;
	return true;
}

/* RFC822, RFC822.HEADER and RFC822.TEXT are sections with old names. */
static int rfc822(struct imap_parser *p, struct fetch_request *r, enum section_kind kind,
                  bool peek, const char *label)
{
	struct fetch_att *a = add(p, r, FA_SECTION);
	if (a == NULL)
		return -1;
	a->sec.kind = kind;
	a->peek = peek;
	a->label = strdup(label);
	if (a->label == NULL) {
		p->error = "out of memory";
		return -1;
	}
	r->set_seen |= !peek;
	return 0;
}

static const struct {
	const char *word;
	enum fetch_kind kind;
} simple[] = {
	{ "UID", FA_UID }, { "FLAGS", FA_FLAGS }, { "INTERNALDATE", FA_INTERNALDATE },
	{ "RFC822.SIZE", FA_RFC822_SIZE }, { "ENVELOPE", FA_ENVELOPE },
	{ "BODYSTRUCTURE", FA_BODYSTRUCTURE }, { "MODSEQ", FA_MODSEQ },
	{ "EMAILID", FA_EMAILID }, { "THREADID", FA_THREADID },
};

static int macro(struct imap_parser *p, struct fetch_request *r, int level)
{
	static const enum fetch_kind kinds[] = { FA_FLAGS, FA_INTERNALDATE, FA_RFC822_SIZE,
	                                         FA_ENVELOPE, FA_BODY };
	/* FAST: 3 attributes, ALL: 4, FULL: 5 */
	for (int i = 0; i < level; i++)
		if (add(p, r, kinds[i]) == NULL)
			return -1;
	return 0;
}

static int one_att(struct imap_parser *p, struct fetch_request *r)
{
	for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
		if (imap_p_word(p, simple[i].word))
			return add(p, r, simple[i].kind) ? 0 : -1;
	if (imap_p_word(p, "RFC822.HEADER"))
		return rfc822(p, r, SEC_HEADER, true, "RFC822.HEADER");
	if (imap_p_word(p, "RFC822.TEXT"))
		return rfc822(p, r, SEC_TEXT, false, "RFC822.TEXT");
	if (imap_p_word(p, "RFC822"))
		return rfc822(p, r, SEC_ALL, false, "RFC822");
	if (bracket_word(p, "BODY.PEEK["))
		return body_section(p, r, true);
	if (bracket_word(p, "BODY["))
		return body_section(p, r, false);
	if (bracket_word(p, "BINARY.PEEK["))
		return binary_section(p, r, FA_BINARY, true);
	if (bracket_word(p, "BINARY.SIZE["))
		return binary_section(p, r, FA_BINARY_SIZE, true);
	if (bracket_word(p, "BINARY["))
		return binary_section(p, r, FA_BINARY, false);
	if (imap_p_word(p, "BODY"))
		return add(p, r, FA_BODY) ? 0 : -1;
	p->error = "unknown FETCH attribute";
	return -1;
}

static int atts(struct imap_parser *p, struct fetch_request *r)
{
	if (imap_p_word(p, "ALL"))
		return macro(p, r, 4);
	if (imap_p_word(p, "FAST"))
		return macro(p, r, 3);
	if (imap_p_word(p, "FULL"))
		return macro(p, r, 5);
	if (!imap_p_peek(p, '('))
		return one_att(p, r);
	if (imap_p_open(p) < 0)
		return -1;
	do {
		if (one_att(p, r) < 0)
			return -1;
	} while (imap_p_eat(p, ' '));
	return imap_p_close(p);
}

/* " (CHANGEDSINCE n)" or " (CHANGEDSINCE n VANISHED)", in either order
 * (RFC 7162 3.1.4, 3.2.6); whether VANISHED is allowed here is the
 * command's to check. */
static int modifiers(struct imap_parser *p, struct fetch_request *r)
{
	if (!imap_p_eat(p, ' '))
		return 0;
	if (imap_p_open(p) < 0)
		return -1;
	do {
		if (!r->changedsince_set && imap_p_word(p, "CHANGEDSINCE")) {
			if (imap_p_sp(p) < 0 || imap_p_number64(p, &r->changedsince) < 0)
				return -1;
			r->changedsince_set = true;
		} else if (!r->vanished && imap_p_word(p, "VANISHED")) {
			r->vanished = true;
		} else {
			p->error = "bad FETCH modifier";
			return -1;
		}
	} while (imap_p_eat(p, ' '));
	return imap_p_close(p);
}

int imap_fetch_parse(struct imap_parser *p, bool uid, struct fetch_request *out)
{
	memset(out, 0, sizeof *out);
	if (imap_p_sp(p) < 0 || atts(p, out) < 0 || modifiers(p, out) < 0 || imap_p_end(p) < 0)
		goto fail;
	if (uid && !imap_fetch_has(out, FA_UID) && add(p, out, FA_UID) == NULL)
		goto fail;
	/* CHANGEDSINCE answers MODSEQ too (RFC 7162 section 3.1.4.1) */
	if (out->changedsince_set && !imap_fetch_has(out, FA_MODSEQ) &&
	    add(p, out, FA_MODSEQ) == NULL)
		goto fail;
	return 0;
fail:
	imap_fetch_request_free(out);
	return -1;
}
