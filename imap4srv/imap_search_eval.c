/*
 * imap_search_eval.c - deciding whether one message matches a SEARCH
 * tree; see imap_search.h.  Strings match as substrings, ignoring ASCII
 * case (RFC 3501 leaves the rest to the server; UTF-8 beyond ASCII
 * compares exactly).  Header values are matched decoded (RFC 2047), so
 * SUBJECT "café" finds "=?UTF-8?Q?caf=C3=A9?=".  FROM, TO, CC and BCC
 * match the addresses as a client shows them, not the raw field: each
 * display name (decoded), group name and local@domain, so comments and
 * blanks inside an address do not hide it.
 */
#include "imap_date.h"
#include "imap_flags.h"
#include "imap_search.h"
#include "mime.h"
#include "store.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* True when NEEDLE (NLEN bytes) occurs in HAY, ignoring ASCII case. */
static bool contains(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0)
		return true;
	if (hlen < nlen)
		return false;
	unsigned char first = (unsigned char)tolower((unsigned char)needle[0]);
	for (size_t i = 0; i + nlen <= hlen; i++) {
		if ((unsigned char)tolower((unsigned char)hay[i]) != first)
			continue;
		size_t k = 1;
		while (k < nlen && tolower((unsigned char)hay[i + k]) ==
		                   tolower((unsigned char)needle[k]))
			k++;
		if (k == nlen)
			return true;
	}
	return false;
}

struct hmatch {
	const char *value;
	size_t len;
};

static int header_has(const char *value, size_t len, void *arg)
{
	const struct hmatch *h = arg;
	return contains(value, len, h->value, h->len) ? 1 : 0;
}

static bool header_match(const struct search_key *k, struct search_msg *m)
{
	struct hmatch h = { k->value, strlen(k->value) };
	return m->header(m->ctx, k->field, true, header_has, &h) == 1;
}

/* True when display name or group name NAME (encoded words kept)
 * contains the needle once decoded. */
static bool name_has(const char *name, const struct hmatch *h)
{
	size_t len;
	char *d = mime_words_decode(name, strlen(name), &len);
	bool hit = d != NULL && contains(d, len, h->value, h->len);
	free(d);
	return hit;
}

/* True when "local@domain" of A (the local part alone without a domain)
 * contains the needle. */
static bool spec_has(const struct mime_address *a, const struct hmatch *h)
{
	size_t ml = strlen(a->mailbox), hl = a->host ? strlen(a->host) : 0;
	char *spec = malloc(ml + hl + 2);
	if (spec == NULL)
		return false;
	memcpy(spec, a->mailbox, ml);
	if (hl > 0) {
		spec[ml] = '@';
		memcpy(spec + ml + 1, a->host, hl);
	}
	spec[ml + (hl ? hl + 1 : 0)] = '\0';
	bool hit = contains(spec, strlen(spec), h->value, h->len);
	free(spec);
	return hit;
}

/* One raw address field: 1 when an address of it matches. */
static int address_has(const char *value, size_t len, void *arg)
{
	const struct hmatch *h = arg;
	struct mime_addresses l;
	(void)len;
	if (h->len == 0)
		return 1;       /* the field is there: "" matches it */
	struct mime_tree *t = mime_address_parse(value, &l);
	if (t == NULL)
		return 0;
	int hit = 0;
	for (size_t i = 0; i < l.n && !hit; i++) {
		const struct mime_address *a = &l.v[i];
		if (a->mailbox == NULL)
			continue;   /* the end of a group */
		if (a->host == NULL)
			hit = name_has(a->mailbox, h);   /* a group's name */
		else
			hit = (a->name != NULL && name_has(a->name, h)) || spec_has(a, h);
	}
	mime_free(t);
	return hit;
}

static bool address_match(const struct search_key *k, struct search_msg *m)
{
	struct hmatch h = { k->value, strlen(k->value) };
	return m->header(m->ctx, k->field, false, address_has, &h) == 1;
}

struct sent {
	int64_t day;
	bool found;
};

static int date_of(const char *value, size_t len, void *arg)
{
	struct sent *s = arg;
	int64_t t;
	s->found = imap_rfc5322_date(value, len, &s->day, &t) == 0;
	return 1;    /* the first Date: field counts */
}

/* SENT*: the Date: header's day; a message without a usable one matches
 * none of them. */
static bool sent_match(const struct search_key *k, struct search_msg *m)
{
	struct sent s = { 0, false };
	m->header(m->ctx, "Date", true, date_of, &s);
	if (!s.found)
		return false;
	return k->kind == SK_SENTBEFORE ? s.day < k->num
	     : k->kind == SK_SENTON ? s.day == k->num : s.day >= k->num;
}

static bool text_match(const struct search_key *k, struct search_msg *m)
{
	size_t len;
	const char *t = k->kind == SK_BODY ? m->body(m->ctx, &len) : m->text(m->ctx, &len);
	return t != NULL && contains(t, len, k->value, strlen(k->value));
}

static bool all_match(const struct search_key *k, struct search_msg *m)
{
	for (; k != NULL; k = k->next)
		if (!imap_search_match(k, m))
			return false;
	return true;
}

static bool entry_match(const struct search_key *k, const struct search_msg *m)
{
	int64_t day = imap_day_of(m->internal_date);
	switch (k->kind) {
	case SK_ALL:
		return true;
	case SK_FLAGS_SET:
		return (m->flags & k->flags) == k->flags;
	case SK_FLAGS_UNSET:
		return (m->flags & k->flags) == 0;
	case SK_RECENT:
		return (m->flags & STORE_FLAG_RECENT) != 0;
	case SK_NEW:
		return (m->flags & (STORE_FLAG_RECENT | STORE_FLAG_SEEN)) == STORE_FLAG_RECENT;
	case SK_OLD:
		return (m->flags & STORE_FLAG_RECENT) == 0;
	case SK_KEYWORD:
		return m->keywords != NULL && imap_keyword_has(m->keywords, k->value);
	case SK_UNKEYWORD:
		return m->keywords == NULL || !imap_keyword_has(m->keywords, k->value);
	case SK_LARGER:
		return m->size > k->num;
	case SK_SMALLER:
		return m->size < k->num;
	case SK_BEFORE:
		return day < k->num;
	case SK_ON:
		return day == k->num;
	case SK_SINCE:
		return day >= k->num;
	case SK_SEQSET:
		return imap_seqset_has(&k->set, m->seq);
	case SK_UIDSET:
		return imap_seqset_has(&k->set, m->uid);
	case SK_MODSEQ:
		return m->modseq >= k->modseq;
	case SK_EMAILID:
		return m->message_id == k->num;
	default:
		return false;
	}
}

bool imap_search_match(const struct search_key *k, struct search_msg *m)
{
	switch (k->kind) {
	case SK_AND:
		return all_match(k->child, m);
	case SK_OR:
		return imap_search_match(k->child, m) || imap_search_match(k->child->next, m);
	case SK_NOT:
		return !imap_search_match(k->child, m);
	case SK_HEADER:
		return header_match(k, m);
	case SK_ADDRESS:
		return address_match(k, m);
	case SK_SENTBEFORE:
	case SK_SENTON:
	case SK_SENTSINCE:
		return sent_match(k, m);
	case SK_BODY:
	case SK_TEXT:
		return text_match(k, m);
	default:
		return entry_match(k, m);
	}
}
