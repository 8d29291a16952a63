/*
 * imap_cmd_search.c - SEARCH and UID SEARCH: the criteria are parsed
 * once (imap_search_parse.c) and tried on every message of the view;
 * message text is opened only for messages that the cheaper keys let
 * through (imap_search_eval.c).  With MODSEQ in the criteria the answer
 * ends in "(MODSEQ n)", the highest modseq of the matches (RFC 7162).
 * With RETURN (...) before the criteria the answer is one ESEARCH
 * response (RFC 4731) with what was asked for.
 */
#include "imap_commands.h"
#include "imap_job.h"
#include "imap_message.h"
#include "imap_objectid.h"
#include "imap_search.h"
#include "imap_view.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

/* One message being tried: its text is opened through ST on first need. */
struct search_ctx {
	struct store *st;
	int64_t mailbox_id;
	const struct view_msg *vm;
	struct imap_message *msg;
};

static struct imap_message *msg_of(struct search_ctx *s)
{
	if (s->msg == NULL)
		s->msg = imap_message_open_on(s->st, s->mailbox_id, s->vm);
	return s->msg;
}

static int cb_header(void *ctx, const char *name, bool decode,
                     int (*cb)(const char *value, size_t len, void *arg), void *arg)
{
	struct imap_message *m = msg_of(ctx);
	return m ? imap_message_header(m, name, decode, cb, arg) : -1;
}

static const char *cb_text(void *ctx, size_t *len)
{
	struct imap_message *m = msg_of(ctx);
	return m ? imap_message_text(m, len) : NULL;
}

static const char *cb_body(void *ctx, size_t *len)
{
	struct imap_message *m = msg_of(ctx);
	return m ? imap_message_body(m, len) : NULL;
}

/* "CHARSET x " before the keys: only UTF-8 and its subset US-ASCII. */
static int charset(struct imap_client *c, enum cmd_result *r)
{
	struct imap_parser *p = &c->active.p;
	struct imap_str cs;
	if (!imap_p_word(p, "CHARSET"))
		return 0;
	if (c->enabled & IMAP_ENABLED_UTF8) {   /* strings are UTF-8 already (RFC 6855 3) */
		*r = imap_done(c, "BAD", "no CHARSET after ENABLE UTF8=ACCEPT");
		return -1;
	}
	if (imap_p_sp(p) < 0 || imap_p_astring(p, &cs) < 0 || imap_p_sp(p) < 0) {
		*r = imap_bad_syntax(c);
		return -1;
	}
	if (!imap_str_eq(&cs, "UTF-8") && !imap_str_eq(&cs, "US-ASCII")) {
		*r = imap_done(c, "NO", "[BADCHARSET (UTF-8 US-ASCII)] unsupported charset");
		return -1;
	}
	return 0;
}

static bool matches(struct store *st, int64_t mailbox_id, const struct view_msg *vm,
                    const struct search_key *k, uint32_t seq)
{
	struct search_ctx ctx = { st, mailbox_id, vm, NULL };
	struct search_msg m = {
		.seq = seq, .uid = vm->uid, .flags = vm->flags, .keywords = vm->keywords,
		.size = vm->size, .internal_date = vm->internal_date, .modseq = vm->modseq,
		.message_id = vm->message_id,
		.header = cb_header, .text = cb_text, .body = cb_body, .ctx = &ctx,
	};
	bool hit = imap_search_match(k, &m);
	imap_message_close(ctx.msg);
	return hit;
}

/* RETURN options (RFC 4731); RET_ESEARCH: the client gave RETURN, so
 * the answer is ESEARCH, not SEARCH. */
#define RET_MIN     1u
#define RET_MAX     2u
#define RET_ALL     4u
#define RET_COUNT   8u
#define RET_ESEARCH 16u
#define RET_SAVE    32u     /* SEARCHRES, RFC 5182 */

static const struct imap_word return_words[] = {
	{ "MIN", RET_MIN }, { "MAX", RET_MAX }, { "ALL", RET_ALL }, { "COUNT", RET_COUNT },
	{ "SAVE", RET_SAVE },
};

/* "RETURN (MIN COUNT) " before CHARSET and the keys: 0 or -1 (syntax).
 * *RET gets RET_SAVE even when what follows it is bad, so that a failed
 * SEARCH still empties the saved result. */
static int return_opts(struct imap_parser *p, unsigned *ret)
{
	*ret = 0;
	if (!imap_p_word(p, "RETURN"))
		return 0;
	*ret = RET_ESEARCH;
	if (imap_p_sp(p) < 0 ||
	    imap_p_word_list(p, return_words, sizeof return_words / sizeof return_words[0], ret,
	                     NULL, NULL) < 0)
		return -1;
	if (*ret == RET_ESEARCH)
		*ret |= RET_ALL;   /* RETURN () means ALL */
	return imap_p_sp(p);
}

/* The numbers the client sees for the matches, in ascending order. */
struct hits {
	uint32_t *n;
	uint64_t *modseq;
	size_t len;
};

/* ALL as a compact sequence set: "2,10:11". */
static void out_set(struct imap_client *c, const struct hits *h)
{
	for (size_t i = 0; i < h->len;) {
		size_t j = i;
		while (j + 1 < h->len && h->n[j + 1] == h->n[j] + 1)
			j++;
		if (j == i)
			imap_outf(c, "%s%u", i ? "," : "", h->n[i]);
		else
			imap_outf(c, "%s%u:%u", i ? "," : "", h->n[i], h->n[j]);
		i = j + 1;
	}
}

/* RFC 4731 3.2: with MIN and/or MAX alone, MODSEQ is that of the
 * messages they name; otherwise the highest of all matches. */
static uint64_t returned_modseq(const struct hits *h, unsigned ret)
{
	bool ends_only = !(ret & (RET_ALL | RET_COUNT));
	uint64_t top = 0;
	for (size_t i = 0; i < h->len; i++) {
		bool returned = !ends_only || ((ret & RET_MIN) && i == 0) ||
		                ((ret & RET_MAX) && i == h->len - 1);
		if (returned && h->modseq[i] > top)
			top = h->modseq[i];
	}
	return top;
}

static void answer_esearch(struct imap_client *c, const struct hits *h, unsigned ret,
                           bool modseq)
{
	imap_outf(c, "* ESEARCH (TAG \"%s\")%s", c->active.tag, c->active.uid ? " UID" : "");
	if ((ret & RET_MIN) && h->len)
		imap_outf(c, " MIN %u", h->n[0]);
	if ((ret & RET_MAX) && h->len)
		imap_outf(c, " MAX %u", h->n[h->len - 1]);
	if (ret & RET_COUNT)
		imap_outf(c, " COUNT %zu", h->len);
	if ((ret & RET_ALL) && h->len) {
		imap_outs(c, " ALL ");
		out_set(c, h);
	}
	uint64_t top = modseq ? returned_modseq(h, ret) : 0;
	if (top > 0)
		imap_outf(c, " MODSEQ %llu", (unsigned long long)top);
	imap_outs(c, "\r\n");
}

/* RFC 5182: SAVE keeps what MIN and MAX name when only they are asked
 * for, else every match; as uids.  0, or -1 when out of memory (logged;
 * the saved result is then empty). */
static int save(struct imap_client *c, const struct hits *h, unsigned ret)
{
	struct imap_view *v = c->view;
	bool ends_only = (ret & (RET_MIN | RET_MAX)) && !(ret & (RET_ALL | RET_COUNT));
	uint32_t *uids = malloc((h->len ? h->len : 1) * sizeof *uids);
	size_t n = 0;
	if (uids == NULL) {
		log_error("imap_search", "session=%s error=\"out of memory\"",
		          c->session);
		imap_view_save(v, NULL, 0);
		return -1;
	}
	for (size_t i = 0; i < h->len; i++)
		if (!ends_only || ((ret & RET_MIN) && i == 0) ||
		    ((ret & RET_MAX) && i == h->len - 1))
			uids[n++] = c->active.uid ? h->n[i] : v->msgs[h->n[i] - 1].uid;
	int r = imap_view_save(v, uids, n);
	free(uids);
	return r;
}

static void answer_search(struct imap_client *c, const struct hits *h, bool modseq)
{
	uint64_t top = 0;
	imap_outs(c, "* SEARCH");
	for (size_t i = 0; i < h->len; i++) {
		imap_outf(c, " %u", h->n[i]);
		if (h->modseq[i] > top)
			top = h->modseq[i];
	}
	if (modseq && top > 0)
		imap_outf(c, " (MODSEQ %llu)", (unsigned long long)top);
	imap_outs(c, "\r\n");
}

/* A SEARCH on its way (a read job, imap_job.h): the keys, the view's
 * messages (the view itself when the job runs at once on the loop, else
 * a copy: a job touches nothing of the loop's), and the hits. */
struct search_job {
	struct search_key *keys;
	int64_t mailbox_id;
	bool uid;                    /* UID SEARCH: hits are uids */
	unsigned ret;                /* RETURN options */
	bool modseq;                 /* MODSEQ among the keys */
	const struct view_msg *msgs;
	struct view_msg *copy;       /* msgs when copied, with its keywords */
	uint32_t n;
	struct hits h;
};

/* EMAILID "E..." becomes the message it names (-1: none). */
static int resolve_emailid(struct search_key *k, void *arg)
{
	if (k->kind != SK_EMAILID)
		return 0;
	int r = imap_emailid_find(arg, k->value, &k->num);
	if (r == 1)
		k->num = -1;
	return r < 0 ? -1 : 0;
}

/* Tries the keys on every message into J's hits: 0, or -1 after a store
 * failure or when out of memory (logged). */
static int search_run(struct store *st, void *arg)
{
	struct search_job *j = arg;
	struct hits *h = &j->h;
	if (imap_search_each_key(j->keys, resolve_emailid, st) != 0)
		return -1;
	h->len = 0;
	h->n = malloc((j->n ? j->n : 1) * sizeof *h->n);
	h->modseq = malloc((j->n ? j->n : 1) * sizeof *h->modseq);
	if (h->n == NULL || h->modseq == NULL) {
		log_error("imap_search", "error=\"out of memory\"");
		return -1;
	}
	for (uint32_t seq = 1; seq <= j->n; seq++) {
		const struct view_msg *vm = &j->msgs[seq - 1];
		if (!matches(st, j->mailbox_id, vm, j->keys, seq))
			continue;
		h->n[h->len] = j->uid ? vm->uid : seq;
		h->modseq[h->len++] = vm->modseq;
	}
	return 0;
}

/* "$" in a set becomes the saved result (EMAILID is resolved in the
 * job).  0, or -1 when out of memory (logged). */
static int prepare_key(struct search_key *k, void *arg)
{
	struct imap_client *c = arg;
	if (k->kind == SK_SEQSET || k->kind == SK_UIDSET)
		return imap_view_saved_set(c->view, &k->set, k->kind == SK_UIDSET);
	return 0;
}

/* The keys, with "$" filled in and resolved, into *KEYS; the answer in
 * *R when that fails. */
static int parse_keys(struct imap_client *c, struct search_key **keys, enum cmd_result *r)
{
	struct imap_parser *p = &c->active.p;
	if (charset(c, r) < 0)
		return -1;
	if (imap_search_parse(p, keys) < 0) {
		*r = imap_bad_syntax(c);
		return -1;
	}
	if (imap_search_each_key(*keys, prepare_key, c) != 0) {
		*r = imap_done(c, "NO", "[SERVERBUG] out of memory");
		return -1;
	}
	imap_search_resolve(*keys, c->view->n, imap_view_max_uid(c->view));
	return 0;
}

static enum cmd_result search_apply(struct imap_client *c, void *arg, int rc,
                                    enum store_error err)
{
	struct search_job *j = arg;
	unsigned ret = j->ret;
	if (rc < 0) {
		if (ret & RET_SAVE)   /* a failed SAVE leaves nothing saved */
			imap_view_save(c->view, NULL, 0);
		return err == STORE_E_NONE ? imap_done(c, "NO", "[SERVERBUG] out of memory")
		                           : imap_job_failed(c, err);
	}
	int e = 0;
	if (ret & RET_SAVE)
		e = save(c, &j->h, ret);
	/* SAVE alone answers nothing but OK */
	if (e == 0 && (ret & RET_ESEARCH) && ret != (RET_ESEARCH | RET_SAVE))
		answer_esearch(c, &j->h, ret, j->modseq);
	else if (e == 0 && !(ret & RET_ESEARCH))
		answer_search(c, &j->h, j->modseq);
	return e < 0 ? imap_done(c, "NO", "[SERVERBUG] out of memory")
	             : imap_done(c, "OK", "SEARCH completed");
}

static void search_free(void *arg)
{
	struct search_job *j = arg;
	for (uint32_t i = 0; j->copy != NULL && i < j->n; i++)
		free(j->copy[i].keywords);
	free(j->copy);
	free(j->h.n);
	free(j->h.modseq);
	imap_search_free(j->keys);
	free(j);
}

static const struct imap_job_ops search_ops = { STORE_JOB_READ, search_run, search_apply,
	                                        search_free };

/* J's messages: the view's own when the job runs at once, else a copy.
 * 0, or -1 when out of memory. */
static int search_messages(struct imap_client *c, struct search_job *j)
{
	const struct imap_view *v = c->view;
	j->n = v->n;
	j->msgs = v->msgs;
	if (imap_reads_inline(c) || v->n == 0)
		return 0;
	if ((j->copy = calloc(v->n, sizeof *j->copy)) == NULL)
		return -1;
	for (uint32_t i = 0; i < v->n; i++) {
		j->copy[i] = v->msgs[i];
		j->copy[i].keywords = NULL;
		if (v->msgs[i].keywords != NULL &&
		    (j->copy[i].keywords = strdup(v->msgs[i].keywords)) == NULL)
			return -1;
	}
	j->msgs = j->copy;
	return 0;
}

enum cmd_result imap_cmd_search(struct imap_client *c)
{
	struct search_key *keys = NULL;
	enum cmd_result r;
	unsigned ret = 0;
	int e = imap_p_sp(&c->active.p) < 0 || return_opts(&c->active.p, &ret) < 0 ? -1 : 0;
	if (e == 0 && ret == 0 && imap_rev2(c))   /* no SEARCH response in rev2 (RFC 9051 7.3.4) */
		ret = RET_ESEARCH | RET_ALL;
	if (e < 0)
		r = imap_bad_syntax(c);
	else
		e = parse_keys(c, &keys, &r);
	if (e < 0) {
		if (ret & RET_SAVE)   /* a failed SAVE leaves nothing saved */
			imap_view_save(c->view, NULL, 0);
		imap_search_free(keys);
		return r;
	}
	struct search_job *j = calloc(1, sizeof *j);
	if (j == NULL) {
		imap_search_free(keys);
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	}
	j->keys = keys;
	j->mailbox_id = c->view->mb.id;
	j->uid = c->active.uid;
	j->ret = ret;
	j->modseq = imap_search_has_modseq(keys);
	if (j->modseq)
		imap_view_condstore_enable(c);
	if (search_messages(c, j) < 0) {
		search_free(j);
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	}
	return imap_read_start(c, &search_ops, j);
}
