/*
 * imap_search_parse.c - SEARCH keys into a tree (RFC 3501 section
 * 6.4.4 and RFC 7162's MODSEQ); see imap_search.h.  Operands of an AND
 * are ordered cheapest first so that most messages are decided from
 * the mailbox entry alone.
 */
#include "imap_date.h"
#include "imap_search.h"
#include "log.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sp {
	struct imap_parser *p;
	int nkeys;
};

static struct search_key *new_key(struct sp *s, enum search_kind kind)
{
	if (++s->nkeys > IMAP_SEARCH_MAX_KEYS) {
		s->p->error = "too many search keys";
		return NULL;
	}
	struct search_key *k = calloc(1, sizeof *k);
	if (k == NULL) {
		log_error("imap_search", "error=\"out of memory\"");
		s->p->error = "out of memory";
		return NULL;
	}
	k->kind = kind;
	return k;
}

void imap_search_free(struct search_key *k)
{
	while (k != NULL) {
		struct search_key *next = k->next;
		imap_search_free(k->child);
		free(k->field);
		free(k->value);
		imap_seqset_free(&k->set);
		free(k);
		k = next;
	}
}

/* ---- keys without arguments ---- */

static const struct {
	const char *word;
	enum search_kind kind;
	unsigned flags;
} plain_keys[] = {
	{ "ALL", SK_ALL, 0 },
	{ "ANSWERED", SK_FLAGS_SET, STORE_FLAG_ANSWERED },
	{ "DELETED", SK_FLAGS_SET, STORE_FLAG_DELETED },
	{ "DRAFT", SK_FLAGS_SET, STORE_FLAG_DRAFT },
	{ "FLAGGED", SK_FLAGS_SET, STORE_FLAG_FLAGGED },
	{ "SEEN", SK_FLAGS_SET, STORE_FLAG_SEEN },
	{ "UNANSWERED", SK_FLAGS_UNSET, STORE_FLAG_ANSWERED },
	{ "UNDELETED", SK_FLAGS_UNSET, STORE_FLAG_DELETED },
	{ "UNDRAFT", SK_FLAGS_UNSET, STORE_FLAG_DRAFT },
	{ "UNFLAGGED", SK_FLAGS_UNSET, STORE_FLAG_FLAGGED },
	{ "UNSEEN", SK_FLAGS_UNSET, STORE_FLAG_SEEN },
	{ "RECENT", SK_RECENT, 0 },
	{ "NEW", SK_NEW, 0 },
	{ "OLD", SK_OLD, 0 },
};

/* Keys with one astring: header fields and text. */
static const struct {
	const char *word;
	enum search_kind kind;
	const char *field;
} text_keys[] = {
	{ "BCC", SK_ADDRESS, "Bcc" },
	{ "CC", SK_ADDRESS, "Cc" },
	{ "FROM", SK_ADDRESS, "From" },
	{ "SUBJECT", SK_HEADER, "Subject" },
	{ "TO", SK_ADDRESS, "To" },
	{ "BODY", SK_BODY, NULL },
	{ "TEXT", SK_TEXT, NULL },
};

static const struct {
	const char *word;
	enum search_kind kind;
} date_keys[] = {
	{ "BEFORE", SK_BEFORE }, { "ON", SK_ON }, { "SINCE", SK_SINCE },
	{ "SENTBEFORE", SK_SENTBEFORE }, { "SENTON", SK_SENTON },
	{ "SENTSINCE", SK_SENTSINCE },
};

#define COUNT(a) (sizeof a / sizeof a[0])

static int parse_key(struct sp *s, struct search_key **out);

static char *dup_arg(struct sp *s, const struct imap_str *v)
{
	char *d = imap_str_dup(v);
	if (d == NULL)
		s->p->error = "NUL in a search string";
	return d;
}

static int text_arg(struct sp *s, struct search_key *k)
{
	struct imap_str v;
	if (imap_p_sp(s->p) < 0 || imap_p_astring(s->p, &v) < 0)
		return -1;
	k->value = dup_arg(s, &v);
	return k->value ? 0 : -1;
}

static int header_args(struct sp *s, struct search_key *k)
{
	struct imap_str f;
	if (imap_p_sp(s->p) < 0 || imap_p_astring(s->p, &f) < 0)
		return -1;
	k->field = dup_arg(s, &f);
	return k->field ? text_arg(s, k) : -1;
}

static int date_arg(struct sp *s, struct search_key *k)
{
	struct imap_str v;
	if (imap_p_sp(s->p) < 0 || imap_p_astring(s->p, &v) < 0)
		return -1;
	if (imap_date_parse(v.p, v.len, &k->num) < 0) {
		s->p->error = "bad date (want d-Mon-yyyy)";
		return -1;
	}
	return 0;
}

static int number_arg(struct sp *s, struct search_key *k)
{
	uint32_t n;
	if (imap_p_sp(s->p) < 0 || imap_p_number(s->p, &n) < 0)
		return -1;
	k->num = n;
	return 0;
}

static int keyword_arg(struct sp *s, struct search_key *k)
{
	struct imap_str v;
	if (imap_p_sp(s->p) < 0 || imap_p_atom(s->p, &v) < 0)
		return -1;
	k->value = dup_arg(s, &v);
	return k->value ? 0 : -1;
}

/* MODSEQ ["/flags/..." SP ("priv" / "shared" / "all") SP] value */
static int modseq_args(struct sp *s, struct search_key *k)
{
	struct imap_str name, type;
	if (imap_p_sp(s->p) < 0)
		return -1;
	if (imap_p_peek(s->p, '"')) {
		if (imap_p_string(s->p, &name) < 0 || imap_p_sp(s->p) < 0 ||
		    imap_p_atom(s->p, &type) < 0 || imap_p_sp(s->p) < 0)
			return -1;
		if (!imap_str_eq(&type, "priv") && !imap_str_eq(&type, "shared") &&
		    !imap_str_eq(&type, "all")) {
			s->p->error = "bad MODSEQ entry type";
			return -1;
		}
	}
	return imap_p_number64(s->p, &k->modseq);
}

static int set_arg(struct sp *s, struct search_key *k, bool sp_first)
{
	if (sp_first && imap_p_sp(s->p) < 0)
		return -1;
	return imap_p_seqset(s->p, &k->set);
}

/* A parenthesized AND, NOT or OR: their operands are keys again. */
static int operands(struct sp *s, struct search_key *k, int n)
{
	struct search_key **tail = &k->child;
	for (int i = 0; i < n; i++) {
		if (imap_p_sp(s->p) < 0 || parse_key(s, tail) < 0)
			return -1;
		tail = &(*tail)->next;
	}
	return 0;
}

static int group(struct sp *s, struct search_key *k)
{
	struct search_key **tail = &k->child;
	if (imap_p_open(s->p) < 0)
		return -1;
	do {
		if (parse_key(s, tail) < 0)
			return -1;
		tail = &(*tail)->next;
	} while (imap_p_eat(s->p, ' '));
	return imap_p_close(s->p);
}

/* Keys with a special shape; 1 when WORD was none of them. */
static int special_key(struct sp *s, struct search_key **out)
{
	static const struct {
		const char *word;
		enum search_kind kind;
		int (*args)(struct sp *, struct search_key *);
	} table[] = {
		{ "HEADER", SK_HEADER, header_args },
		{ "LARGER", SK_LARGER, number_arg },
		{ "SMALLER", SK_SMALLER, number_arg },
		{ "KEYWORD", SK_KEYWORD, keyword_arg },
		{ "UNKEYWORD", SK_UNKEYWORD, keyword_arg },
		{ "MODSEQ", SK_MODSEQ, modseq_args },
		{ "EMAILID", SK_EMAILID, text_arg },
		{ "THREADID", SK_THREADID, text_arg },
	};
	for (size_t i = 0; i < COUNT(table); i++)
		if (imap_p_word(s->p, table[i].word)) {
			*out = new_key(s, table[i].kind);
			return *out ? table[i].args(s, *out) : -1;
		}
	if (imap_p_word(s->p, "UID")) {
		*out = new_key(s, SK_UIDSET);
		return *out ? set_arg(s, *out, true) : -1;
	}
	if (imap_p_word(s->p, "NOT")) {
		*out = new_key(s, SK_NOT);
		return *out ? operands(s, *out, 1) : -1;
	}
	if (imap_p_word(s->p, "OR")) {
		*out = new_key(s, SK_OR);
		return *out ? operands(s, *out, 2) : -1;
	}
	return 1;
}

static int table_key(struct sp *s, struct search_key **out)
{
	for (size_t i = 0; i < COUNT(plain_keys); i++)
		if (imap_p_word(s->p, plain_keys[i].word)) {
			*out = new_key(s, plain_keys[i].kind);
			if (*out == NULL)
				return -1;
			(*out)->flags = plain_keys[i].flags;
			return 0;
		}
	for (size_t i = 0; i < COUNT(text_keys); i++)
		if (imap_p_word(s->p, text_keys[i].word)) {
			*out = new_key(s, text_keys[i].kind);
			if (*out == NULL)
				return -1;
			if (text_keys[i].field && ((*out)->field = strdup(text_keys[i].field)) == NULL)
				return -1;
			return text_arg(s, *out);
		}
	for (size_t i = 0; i < COUNT(date_keys); i++)
		if (imap_p_word(s->p, date_keys[i].word)) {
			*out = new_key(s, date_keys[i].kind);
			return *out ? date_arg(s, *out) : -1;
		}
	return 1;
}

static int parse_key(struct sp *s, struct search_key **out)
{
	*out = NULL;
	if (imap_p_peek(s->p, '(')) {
		*out = new_key(s, SK_AND);
		return *out ? group(s, *out) : -1;
	}
	if (imap_p_peek(s->p, '*') || imap_p_peek(s->p, '$') ||
	    (s->p->pos < s->p->len && s->p->buf[s->p->pos] >= '0' &&
	     s->p->buf[s->p->pos] <= '9')) {
		*out = new_key(s, SK_SEQSET);
		return *out ? set_arg(s, *out, false) : -1;
	}
	int r = table_key(s, out);
	if (r == 1)
		r = special_key(s, out);
	if (r == 1) {
		s->p->error = "unknown search key";
		return -1;
	}
	return r;
}

/* ---- ordering by cost ---- */

static int leaf_cost(enum search_kind kind)
{
	switch (kind) {
	case SK_SENTBEFORE: case SK_SENTON: case SK_SENTSINCE: case SK_HEADER:
	case SK_ADDRESS:
		return 1;
	case SK_BODY: case SK_TEXT:
		return 2;
	default:
		return 0;
	}
}

/* Sets every node's cost and sorts AND operands by it (stable). */
static int order(struct search_key *k)
{
	if (k->child == NULL)
		return k->cost = leaf_cost(k->kind);
	int max = 0;
	for (struct search_key *c = k->child; c; c = c->next) {
		int cc = order(c);
		if (cc > max)
			max = cc;
	}
	if (k->kind == SK_AND) {
		struct search_key *sorted = NULL, **tail;
		for (int cost = 0; cost <= 2; cost++)
			for (struct search_key **pp = &k->child; *pp;) {
				struct search_key *c = *pp;
				if (c->cost != cost) {
					pp = &c->next;
					continue;
				}
				*pp = c->next;
				c->next = NULL;
				for (tail = &sorted; *tail; tail = &(*tail)->next)
					;
				*tail = c;
			}
		k->child = sorted;
	}
	return k->cost = max;
}

int imap_search_parse(struct imap_parser *p, struct search_key **out)
{
	struct sp s = { p, 0 };
	struct search_key *all = new_key(&s, SK_AND), **tail;
	if (all == NULL)
		return -1;
	tail = &all->child;
	do {
		if (parse_key(&s, tail) < 0) {
			imap_search_free(all);
			return -1;
		}
		tail = &(*tail)->next;
	} while (imap_p_eat(p, ' '));
	if (imap_p_end(p) < 0) {
		imap_search_free(all);
		return -1;
	}
	order(all);
	*out = all;
	return 0;
}

void imap_search_resolve(struct search_key *k, uint32_t max_seq, uint32_t max_uid)
{
	for (; k != NULL; k = k->next) {
		if (k->kind == SK_SEQSET)
			imap_seqset_resolve(&k->set, max_seq);
		else if (k->kind == SK_UIDSET)
			imap_seqset_resolve(&k->set, max_uid);
		imap_search_resolve(k->child, max_seq, max_uid);
	}
}

int imap_search_each_key(struct search_key *k,
                         int (*cb)(struct search_key *k, void *arg), void *arg)
{
	for (; k != NULL; k = k->next) {
		int r = cb(k, arg);
		if (r == 0)
			r = imap_search_each_key(k->child, cb, arg);
		if (r != 0)
			return r;
	}
	return 0;
}

bool imap_search_has_modseq(const struct search_key *k)
{
	for (; k != NULL; k = k->next)
		if (k->kind == SK_MODSEQ || imap_search_has_modseq(k->child))
			return true;
	return false;
}
