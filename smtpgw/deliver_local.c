/*
 * deliver_local.c - one-hop delivery: a message whose recipients are all
 * plain local persons goes straight into their INBOXes in the commit
 * that acknowledges it (LMTP 250, mailer exit 0), instead of onto the
 * submission queue for postman to file in a second transaction later.
 * The copies are what postman would have made -- the same stored
 * message, the same trace fields (delivery_trace.h), the same MIME
 * structure, the same quota and loop rules -- so a reader cannot tell
 * the ways apart.  Anything that needs more (aliases, lists, "+detail"
 * folders, forwards, auto-replies, Sieve, a loop, a full mailbox to
 * defer or bounce) leaves the whole message to postman: one recipient
 * filed here and another reaching the same person through an alias
 * would otherwise get two copies where postman makes one.
 */
#include "smtpgw.h"

#include "delivery_trace.h"
#include "header.h"
#include "log.h"
#include "mime.h"
#include "recipient.h"
#include "spool.h"
#include "stats.h"
#include "store.h"
#include "wakeup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How much of a spooled message is read for its header: a header longer
 * than this leaves the message to postman. */
#define HEADER_READ_MAX 65536

int smtpgw_result_new(struct submit_result *r, size_t nrcpt)
{
	memset(r, 0, sizeof *r);
	r->filed = calloc(nrcpt ? nrcpt : 1, sizeof *r->filed);
	if (r->filed != NULL)
		return 0;
	log_error("submit", "error=\"out of memory\"");
	return -1;
}

void smtpgw_result_free(struct submit_result *r)
{
	free(r->filed);
	memset(r, 0, sizeof *r);
}

/* The message's header block: in B's memory, or read from its spool
 * into a buffer *OWNED (caller frees).  NULL when it cannot be had
 * whole. */
static const char *message_header(const struct message_buf *b, char **owned, size_t *len)
{
	bool complete;
	*owned = NULL;
	if (b->spool == NULL) {
		*len = header_block_len(b->data, b->len, NULL);
		return b->data;
	}
	char *buf = malloc(HEADER_READ_MAX);
	ssize_t n = buf != NULL ? spool_read(b->spool, 0, buf, HEADER_READ_MAX) : -1;
	if (n <= 0 || (*len = header_block_len(buf, (size_t)n, &complete), !complete)) {
		free(buf);
		return NULL;
	}
	*owned = buf;
	return buf;
}

/* Whether recipient RCPT of the message of SIZE bytes (header HDR) is a
 * plain person; fills C when it is.  Returns 1 plain, 0 not, -1 store
 * failure. */
static int plain_rcpt(struct store *st, const char *rcpt,
                      const char *sender, const char *hdr, size_t hdr_len, size_t size,
                      struct filed_copy *c)
{
	struct rcpt_info info;
	struct store_mailbox m = { 0 };
	char trace[DELIVERY_TRACE_MAX];
	bool plain, over;

	if (rcpt_lookup(st, rcpt, &info) < 0)
		return -1;
	if (info.kind != RCPT_PERSON || info.detail[0] != '\0' ||
	    (info.services & STORE_SVC_LMTP) == 0)
		return 0;
	if (header_delivered_to(hdr, hdr_len, info.address) ||
	    header_delivered_to(hdr, hdr_len, rcpt))
		return 0;   /* a loop: postman bounces it */
	if (store_person_plain_delivery(st, info.id, &plain) < 0)
		return -1;
	if (!plain)
		return 0;
	/* postman's measure: the copy as the mailbox will hold it */
	size += delivery_trace(trace, sender, rcpt, info.address);
	if (rcpt_over_quota(st, &info, (int64_t)size, &over) < 0)
		return -1;
	if (over)
		return 0;   /* postman defers, then bounces */
	if (store_mailbox_find(st, info.id, "INBOX", &m) < 0)
		return -1;
	c->person_id = info.id;
	snprintf(c->person, sizeof c->person, "%s", info.address);
	c->mailbox = m.id;
	c->size = size;
	store_mailbox_clear(&m);
	return 1;
}

/* A person named twice gets one copy, as postman's expansion gives. */
static bool filed_already(const struct submit_result *res, int64_t person_id)
{
	for (size_t k = 0; k < res->nfiled; k++)
		if (res->filed[k].person_id == person_id)
			return true;
	return false;
}

/* Plans the copies into RES: 1 when every recipient is plain, 0 when
 * not, -1 store failure. */
static int plan(const struct smtpgw *g, struct store *st, const struct message_buf *b,
                const char *sender, const char *const *rcpts, size_t nrcpt,
                struct submit_result *res)
{
	char *owned;
	size_t hdr_len;
	const char *hdr = message_header(b, &owned, &hdr_len);
	int r = 1;

	if (hdr == NULL || (int64_t)nrcpt > g->max_expansion ||
	    header_each(hdr, hdr_len, "Received", NULL, NULL) > g->max_received)
		r = 0;
	for (size_t i = 0; r == 1 && i < nrcpt; i++) {
		struct filed_copy *c = &res->filed[res->nfiled];
		c->rcpt = i;
		r = plain_rcpt(st, rcpts[i], sender, hdr, hdr_len, b->len, c);
		if (r == 1 && !filed_already(res, c->person_id))
			res->nfiled++;
	}
	free(owned);
	if (r != 1)
		res->nfiled = 0;
	return r;
}

/* Stores the message once, with its MIME structure parsed here (as
 * postman would before filing it), so IMAP never parses it. */
static int put_message(struct store *st, struct message_buf *b, int64_t now, int64_t *id)
{
	size_t slen = 0;
	char *structure = b->spool != NULL ? spool_structure(b->spool, &slen)
	                                   : mime_structure(b->data, b->len, &slen);
	int r = b->spool != NULL
	            ? store_message_adopt(st, b->spool, now, structure, slen, id)
	            : store_message_put(st, b->data, b->len, now, structure, slen, id);
	free(structure);
	return r;
}

int deliver_local_store(const struct smtpgw *g, struct store *st, struct message_buf *b,
                        const char *sender, const char *const *rcpts, size_t nrcpt,
                        struct submit_result *res)
{
	int64_t now = (int64_t)time(NULL);
	int r = plan(g, st, b, sender, rcpts, nrcpt, res);

	if (r != 1)
		return r;
	if (put_message(st, b, now, &res->message_id) < 0)
		return -1;
	for (size_t i = 0; i < res->nfiled; i++) {
		struct filed_copy *c = &res->filed[i];
		char trace[DELIVERY_TRACE_MAX];
		size_t tlen = delivery_trace(trace, sender, rcpts[c->rcpt], c->person);
		if (store_entry_deliver(st, c->mailbox, res->message_id, trace, tlen, now,
		                        &c->uid) < 0)
			return -1;
	}
	return 1;
}

void deliver_local_done(struct smtpgw *g, const struct submit_result *res,
                        const char *const *rcpts)
{
	for (size_t i = 0; i < res->nfiled; i++) {
		const struct filed_copy *c = &res->filed[i];
		log_info("delivered", "message=%lld rcpt=%s person=%s mailbox=%lld uid=%u "
		         "size=%zu hop=one", (long long)res->message_id,
		         log_quote(rcpts[c->rcpt]), log_quote(c->person), (long long)c->mailbox,
		         c->uid, c->size);
		wakeup_mailbox(g->run_dir, c->mailbox);
	}
	stats_add(STAT_MAIL_DELIVERED, res->nfiled);
	stats_latency(0);
}
