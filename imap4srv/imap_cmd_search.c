/*
 * imap_cmd_search.c - SEARCH and UID SEARCH: the criteria are parsed
 * once (imap_search_parse.c) and tried on every message of the view;
 * message text is opened only for messages that the cheaper keys let
 * through (imap_search_eval.c).  With MODSEQ in the criteria the answer
 * ends in "(MODSEQ n)", the highest modseq of the matches (RFC 7162).
 */
#include "imap_commands.h"
#include "imap_message.h"
#include "imap_search.h"
#include "imap_view.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

struct search_ctx {
	struct imap_client *c;
	const struct view_msg *vm;
	struct imap_message *msg;
};

static struct imap_message *msg_of(struct search_ctx *s)
{
	if (s->msg == NULL)
		s->msg = imap_message_open(s->c->srv, s->c->view->mb.id, s->vm);
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

static bool matches(struct imap_client *c, const struct search_key *k, uint32_t seq)
{
	const struct view_msg *vm = &c->view->msgs[seq - 1];
	struct search_ctx ctx = { c, vm, NULL };
	struct search_msg m = {
		.seq = seq, .uid = vm->uid, .flags = vm->flags, .keywords = vm->keywords,
		.size = vm->size, .internal_date = vm->internal_date, .modseq = vm->modseq,
		.header = cb_header, .text = cb_text, .body = cb_body, .ctx = &ctx,
	};
	bool hit = imap_search_match(k, &m);
	imap_message_close(ctx.msg);
	return hit;
}

enum cmd_result imap_cmd_search(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	struct imap_view *v = c->view;
	struct search_key *keys = NULL;
	enum cmd_result r;
	uint64_t top = 0;
	if (imap_p_sp(p) < 0)
		return imap_bad_syntax(c);
	if (charset(c, &r) < 0)
		return r;
	if (imap_search_parse(p, &keys) < 0)
		return imap_bad_syntax(c);
	bool modseq = imap_search_has_modseq(keys);
	if (modseq)
		c->enabled |= IMAP_ENABLED_CONDSTORE;
	imap_search_resolve(keys, v->n, imap_view_max_uid(v));
	imap_outs(c, "* SEARCH");
	for (uint32_t seq = 1; seq <= v->n; seq++) {
		if (!matches(c, keys, seq))
			continue;
		imap_outf(c, " %u", c->active.uid ? v->msgs[seq - 1].uid : seq);
		if (v->msgs[seq - 1].modseq > top)
			top = v->msgs[seq - 1].modseq;
	}
	if (modseq && top > 0)
		imap_outf(c, " (MODSEQ %llu)", (unsigned long long)top);
	imap_outs(c, "\r\n");
	imap_search_free(keys);
	return imap_done(c, "OK", "SEARCH completed");
}
