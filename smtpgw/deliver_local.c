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

/* A spooled message up to this size is read back whole, once, for its
 * header and its MIME structure: cheaper than mapping the file, whose
 * teardown interrupts every CPU the process's threads ran on (the
 * profile of the 100 KB LMTP load showed it).  A larger one is mapped
 * for its structure (spool_structure()) and only its header read. */
#define SPOOL_READ_MAX (1024 * 1024)
/* The most of a larger message read for its header: a longer header
 * leaves the message to postman. */
#define HEADER_READ_MAX 65536

/* The bytes of the message this module reads. */
struct message_text {
	const char *data;
	size_t len;
	bool whole;             /* DATA is the whole message, else its start */
	char *owned;            /* read from the spool (freed with it) */
};

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

/* Reads COUNT bytes of B's spool into a new buffer of T. */
static int read_spool(const struct message_buf *b, size_t count, struct message_text *t)
{
	size_t got = 0;
	if ((t->owned = malloc(count ? count : 1)) == NULL)
		return -1;
	while (got < count) {
		ssize_t n = spool_read(b->spool, got, t->owned + got, count - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	t->data = t->owned;
	t->len = count;
	return 0;
}

/* The message in B as T: in memory already, or read from its spool
 * (whole up to SPOOL_READ_MAX, else its start).  Returns 0 or -1. */
static int message_text(const struct message_buf *b, struct message_text *t)
{
	*t = (struct message_text){ .data = b->data, .len = b->len, .whole = true };
	if (b->spool == NULL)
		return 0;
	if (b->spool_failed)
		return -1;   /* what it holds is not the message */
	t->whole = b->len <= SPOOL_READ_MAX;
	return read_spool(b, t->whole ? b->len : HEADER_READ_MAX, t);
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
                const struct message_text *t, const char *sender,
                const char *const *rcpts, size_t nrcpt, struct submit_result *res)
{
	bool complete;
	size_t hdr_len = header_block_len(t->data, t->len, &complete);
	const char *hdr = t->data;
	int r = 1;

	if ((!complete && !t->whole) || (int64_t)nrcpt > g->max_expansion ||
	    header_each(hdr, hdr_len, "Received", NULL, NULL) > g->max_received)
		r = 0;
	for (size_t i = 0; r == 1 && i < nrcpt; i++) {
		struct filed_copy *c = &res->filed[res->nfiled];
		c->rcpt = i;
		r = plain_rcpt(st, rcpts[i], sender, hdr, hdr_len, b->len, c);
		if (r == 1 && !filed_already(res, c->person_id))
			res->nfiled++;
	}
	if (r != 1)
		res->nfiled = 0;
	return r;
}

/* Stores the message once, with its MIME structure parsed here (as
 * postman would before filing it), so IMAP never parses it. */
static int put_message(struct store *st, struct message_buf *b,
                       const struct message_text *t, int64_t now, int64_t *id)
{
	size_t slen = 0;
	char *structure = t->whole ? mime_structure(t->data, t->len, &slen)
	                           : spool_structure(b->spool, &slen);
	/* read back whole already: one insert beats copying the spool in again,
	 * and the spool's hash spares hashing it again */
	int r = !t->whole ? store_message_adopt(st, b->spool, now, structure, slen, id)
	        : b->spool != NULL
	            ? store_message_put_spooled(st, b->spool, t->data, t->len, now, structure,
	                                        slen, id)
	            : store_message_put(st, t->data, t->len, now, structure, slen, id);
	free(structure);
	return r;
}

int deliver_local_store(const struct smtpgw *g, struct store *st, struct message_buf *b,
                        const char *sender, const char *const *rcpts, size_t nrcpt,
                        struct submit_result *res)
{
	int64_t now = (int64_t)time(NULL);
	struct message_text t;
	/* a spool that cannot be read back is left to the queue's adoption,
	 * which fails it as transient */
	int r = message_text(b, &t) < 0 ? 0 : plan(g, st, b, &t, sender, rcpts, nrcpt, res);

	if (r == 1 && put_message(st, b, &t, now, &res->message_id) < 0)
		r = -1;
	free(t.owned);
	if (r != 1)
		return r;
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
