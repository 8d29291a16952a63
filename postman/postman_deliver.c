/*
 * postman_deliver.c - delivers one submission queue item: expands its
 * recipients (postman_expand.c), refuses loops (too many Received fields,
 * a Delivered-To naming the recipient already), checks quotas (over
 * quota: retried until postman.quota_grace_s, then bounced), then in ONE
 * transaction points an entry of every mailbox at the queued message
 * (stored once, whatever the number of recipients), each entry with its
 * own trace fields (Return-Path, Delivered-To) as its prefix
 * (store_mail.h), queues forwards, the bounce
 * (RFC 3464) and auto-replies for the outbound side, and finishes or
 * defers the item.  Only after the commit are IMAP sessions and the
 * outbound side woken.  A person with an active Sieve script
 * (postman_sieve.c) gets what the script says instead: the mailboxes it
 * files into with their flags, redirects sent on like forwards, a
 * reject as a failure in the bounce, its vacation instead of the
 * person's auto-reply setting.
 */
#include "postman.h"

#include "address.h"
#include "config.h"
#include "delivery_trace.h"
#include "log.h"
#include "mime.h"
#include "recipient.h"
#include "stats.h"
#include "store.h"
#include "wakeup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TRACE_MAX DELIVERY_TRACE_MAX
_Static_assert(TRACE_MAX <= STORE_PREFIX_MAX, "an entry holds the whole trace");

/* What one item turned into. */
struct delivery {
	struct postman *pm;
	const struct store_queue_item *item;
	const char *data;                /* the queued message */
	size_t len;
	char *structure;                 /* its MIME structure (mime.h) when the */
	size_t structure_len;            /* store has none yet, else NULL */
	int64_t now;
	struct expansion e;
	bool *refused;                   /* per local delivery: failed or deferred */
	bool *scripted;                  /* per local delivery: ran a Sieve script */
	struct sieve_result *sieve;      /* per local delivery: what it said */
	char (*deferred)[ADDR_MAX + 1];  /* over quota, retried later */
	size_t ndeferred;
	int64_t *mailboxes;              /* delivered to, for the wakeups */
	size_t nmailboxes;
	bool outbound;                   /* something was queued to go out */
};

/* The person address with its folder as a "+detail": what a retry needs. */
static void retry_address(const struct local_delivery *l, char *out, size_t len)
{
	const char *at = strrchr(l->address, '@');
	if (l->folder[0] == '\0' || at == NULL)
		snprintf(out, len, "%s", l->address);
	else if (snprintf(out, len, "%.*s%c%s%s", (int)(at - l->address), l->address,
	                  ADDR_DETAIL_SEP, l->folder, at) >= (int)len)
		snprintf(out, len, "%s", l->address);
}

/* Hop count and Delivered-To loops.  Returns 0 or -1 (out of memory). */
static int check_loops(struct delivery *d)
{
	int hops = header_each(d->data, d->len, "Received", NULL, NULL);
	char why[ADDR_MAX + 64];

	for (size_t i = 0; i < d->e.nlocal; i++) {
		const struct local_delivery *l = &d->e.local[i];
		const char *rcpt = d->item->recipients[l->rcpt];
		if (hops > d->pm->set.max_received)
			snprintf(why, sizeof why, "mail loop: %d Received fields", hops);
		else if (header_delivered_to(d->data, d->len, l->address) ||
		         header_delivered_to(d->data, d->len, rcpt))
			snprintf(why, sizeof why, "mail loop: already delivered to %s", l->address);
		else
			continue;
		d->refused[i] = true;
		if (expansion_fail(&d->e, l->address, "5.4.6", why) < 0)
			return -1;
	}
	return 0;
}

/* The trace fields on top of L's copy into OUT (TRACE_MAX bytes), as
 * smtpgw's one-hop delivery writes them too.  Returns their length. */
static size_t trace_fields(const struct delivery *d, const struct local_delivery *l,
                           char *out)
{
	return delivery_trace(out, d->item->sender, d->item->recipients[l->rcpt], l->address);
}

/* Over quota: deferred within the grace period, failed after it. */
static int check_quotas(struct delivery *d)
{
	char trace[TRACE_MAX];
	int64_t age = d->now - d->item->created;

	for (size_t i = 0; i < d->e.nlocal; i++) {
		const struct local_delivery *l = &d->e.local[i];
		struct rcpt_info info = { .kind = RCPT_PERSON, .id = l->person_id,
		                          .quota_bytes = l->quota_bytes,
		                          .quota_messages = l->quota_messages };
		bool over;
		if (d->refused[i])
			continue;
		int64_t size = (int64_t)(d->len + trace_fields(d, l, trace));
		if (rcpt_over_quota(d->pm->store, &info, size, &over) < 0)
			return -1;
		if (!over)
			continue;
		d->refused[i] = true;
		log_info("over_quota", "id=%lld rcpt=%s age_s=%lld", (long long)d->item->id,
		         log_quote(l->address), (long long)age);
		if (age < d->pm->set.quota_grace_s)
			retry_address(l, d->deferred[d->ndeferred++], ADDR_MAX + 1);
		else if (expansion_fail(&d->e, l->address, "5.2.2", "mailbox full") < 0)
			return -1;
	}
	return 0;
}

/* The mailbox for L: its "+detail" folder when the person has one. */
static int target_mailbox(struct store *st, const struct local_delivery *l, int64_t *id)
{
	struct store_mailbox m = { 0 };
	if (l->folder[0] == '\0' || store_mailbox_find(st, l->person_id, l->folder, &m) < 0) {
		if (l->folder[0] != '\0' && store_last_error(st) != STORE_E_NOTFOUND)
			return -1;
		if (store_mailbox_find(st, l->person_id, "INBOX", &m) < 0)
			return -1;
	}
	*id = m.id;
	store_mailbox_clear(&m);
	return 0;
}

/* One entry of L's copy in MAILBOX with FLAGS (NULL: none), once per
 * mailbox however many actions name it; FIRST is where L's entries
 * start in d->mailboxes. */
static int deliver_one(struct delivery *d, const struct local_delivery *l, size_t first,
                       int64_t mailbox, const char *flags)
{
	char trace[TRACE_MAX];
	uint32_t uid;

	for (size_t k = first; k < d->nmailboxes; k++)
		if (d->mailboxes[k] == mailbox)
			return 0;
	size_t tlen = trace_fields(d, l, trace);
	if (store_entry_deliver(d->pm->store, mailbox, d->item->message_id, trace, tlen,
	                        d->item->created, &uid) < 0 ||
	    sieve_deliver_flags(d->pm->store, mailbox, uid, flags) < 0)
		return -1;
	d->mailboxes[d->nmailboxes++] = mailbox;
	log_info("delivered", "id=%lld rcpt=%s mailbox=%lld uid=%u size=%zu",
	         (long long)d->item->id, log_quote(l->address), (long long)mailbox,
	         uid, tlen + d->len);
	return 0;
}

/* The keeps and fileintos of L's script. */
static int deliver_scripted(struct delivery *d, size_t i)
{
	const struct local_delivery *l = &d->e.local[i];
	size_t first = d->nmailboxes;
	for (size_t k = 0; k < d->sieve[i].n; k++) {
		const struct sieve_action *a = &d->sieve[i].v[k];
		int64_t mailbox;
		int r = 1;
		if (a->kind != SIEVE_KEEP && a->kind != SIEVE_FILEINTO)
			continue;
		if (a->kind == SIEVE_FILEINTO &&
		    (r = sieve_deliver_mailbox(d->pm->store, l, a, d->item->id, &mailbox)) < 0)
			return -1;
		if (r == 1 && target_mailbox(d->pm->store, l, &mailbox) < 0)
			return -1;
		if (deliver_one(d, l, first, mailbox, a->flags) < 0)
			return -1;
	}
	return 0;
}

/* Entries for every local delivery that passed the checks, all pointing
 * at the queued message, each with its own trace fields. */
static int store_entries(struct delivery *d)
{
	int64_t message_id = d->item->message_id;

	if (d->structure != NULL &&
	    store_message_set_structure(d->pm->store, message_id, d->structure,
	                                d->structure_len) < 0)
		return -1;
	for (size_t i = 0; i < d->e.nlocal; i++) {
		const struct local_delivery *l = &d->e.local[i];
		int64_t mailbox;
		if (d->refused[i])
			continue;
		if (d->scripted[i] ? deliver_scripted(d, i) < 0
		    : target_mailbox(d->pm->store, l, &mailbox) < 0 ||
		      deliver_one(d, l, d->nmailboxes, mailbox, NULL) < 0)
			return -1;
	}
	return 0;
}

/* The queued message to RCPT with a Delivered-To of VIA, the local
 * address that sends it on, on top, so that it is recognized if it
 * comes back.  EVENT names it in the log (forwarded, redirected). */
static int send_on(struct delivery *d, const char *rcpt, const char *via, const char *event)
{
	struct generated_mail m = { 0 };
	if (header_delivered_to(d->data, d->len, via))
		return expansion_fail(&d->e, rcpt, "5.4.6", "mail loop: forwarded here before");
	int r = genmail_printf(&m, "Delivered-To: %s\r\n", via) < 0 ||
	        genmail_write(&m, d->data, d->len) < 0 ||
	        store_queue_add(d->pm->store, STORE_QUEUE_OUTBOUND, d->item->sender,
	                        &rcpt, 1, m.data, m.len, d->now, NULL) < 0;
	genmail_free(&m);
	if (r)
		return -1;
	log_info(event, "id=%lld to=%s via=%s", (long long)d->item->id, log_quote(rcpt),
	         log_quote(via));
	d->outbound = true;
	return 0;
}

/* Forwards, and the redirects of Sieve scripts. */
static int queue_forwards(struct delivery *d)
{
	for (size_t i = 0; i < d->e.nexternal; i++)
		if (send_on(d, d->e.external[i].address, d->e.external[i].via, "forwarded") < 0)
			return -1;
	for (size_t i = 0; i < d->e.nlocal; i++)
		for (size_t k = 0; d->scripted[i] && !d->refused[i] && k < d->sieve[i].n; k++)
			if (d->sieve[i].v[k].kind == SIEVE_REDIRECT &&
			    send_on(d, d->sieve[i].v[k].address, d->e.local[i].address,
			            "redirected") < 0)
				return -1;
	return 0;
}

static int queue_bounce(struct delivery *d)
{
	struct generated_mail m = { 0 };
	const char *to = d->item->sender;

	if (d->e.nfailed == 0)
		return 0;
	for (size_t i = 0; i < d->e.nfailed; i++)
		log_info("failed", "id=%lld rcpt=%s status=%s text=%s", (long long)d->item->id,
		         log_quote(d->e.failed[i].address), d->e.failed[i].status,
		         log_quote(d->e.failed[i].text));
	if (to[0] == '\0') {
		log_info("no_bounce", "id=%lld reason=\"null sender\"", (long long)d->item->id);
		return 0;
	}
	if (bounce_build(d->pm, to, d->e.failed, d->e.nfailed, d->data, d->len,
	                 d->item->created, &m) < 0)
		return -1;
	int r = store_queue_add(d->pm->store, STORE_QUEUE_OUTBOUND, "", &to, 1, m.data,
	                        m.len, d->now, NULL);
	genmail_free(&m);
	if (r == 0) {
		log_info("bounced", "id=%lld to=%s failed=%zu", (long long)d->item->id,
		         log_quote(to), d->e.nfailed);
		d->outbound = true;
	}
	return r;
}

/* The reply A of L's Sieve script (RFC 5230), if due: the same
 * once-per-sender memory as the person's setting, over :days. */
static int queue_sieve_vacation(struct delivery *d, const struct local_delivery *l,
                                const struct sieve_action *a)
{
	struct generated_mail m = { 0 };
	const char *to = d->item->sender;
	char from[ADDR_MAX + 1];
	bool due = false;

	if (!vacation_allowed(to, d->data, d->len, l->via_list))
		return 0;
	if (a->from == NULL || addr_normalize(a->from, from, sizeof from, false) < 0)
		snprintf(from, sizeof from, "%s", l->address);
	if (store_vacation_due(d->pm->store, l->person_id, to, d->now,
	                       (int64_t)a->days * 86400, &due) < 0)
		return -1;
	if (!due)
		return 0;
	int r = vacation_build(d->pm, from, a->text, a->mime, a->subject, to, d->data, d->len,
	                       &m) < 0 ||
	        store_queue_add(d->pm->store, STORE_QUEUE_OUTBOUND, "", &to, 1, m.data, m.len,
	                        d->now, NULL) < 0 ? -1 : 0;
	genmail_free(&m);
	if (r == 0) {
		log_info("autoreplied", "id=%lld from=%s to=%s sieve=yes", (long long)d->item->id,
		         log_quote(l->address), log_quote(to));
		d->outbound = true;
	}
	return r;
}

/* The auto-reply of the person of L, if it is on and due.  */
static int queue_vacation(struct delivery *d, const struct local_delivery *l)
{
	struct store_delivery_prefs p = { 0 };
	struct generated_mail m = { 0 };
	const char *to = d->item->sender;
	bool due = false;
	int r = 0;

	if (!vacation_allowed(to, d->data, d->len, l->via_list))
		return 0;
	if (store_person_delivery_prefs(d->pm->store, l->person_id, &p) < 0)
		return -1;
	bool on = p.autoreply[0] != '\0' &&
	          (p.autoreply_from == 0 || d->now >= p.autoreply_from) &&
	          (p.autoreply_until == 0 || d->now < p.autoreply_until);
	if (on && (r = store_vacation_due(d->pm->store, l->person_id, to, d->now,
	                                  d->pm->set.vacation_s, &due)) == 0 && due) {
		r = vacation_build(d->pm, l->address, p.autoreply, false, NULL, to, d->data, d->len,
		                   &m) < 0 ||
		            store_queue_add(d->pm->store, STORE_QUEUE_OUTBOUND, "", &to, 1,
		                            m.data, m.len, d->now, NULL) < 0
		        ? -1 : 0;
		if (r == 0) {
			log_info("autoreplied", "id=%lld from=%s to=%s", (long long)d->item->id,
			         log_quote(l->address), log_quote(to));
			d->outbound = true;
		}
	}
	genmail_free(&m);
	store_delivery_prefs_clear(&p);
	return r;
}

static int queue_vacations(struct delivery *d)
{
	if (!d->pm->set.autoreply)
		return 0;
	for (size_t i = 0; i < d->e.nlocal; i++) {
		if (d->refused[i])
			continue;
		/* a script's vacation takes the place of the setting */
		for (size_t k = 0; d->scripted[i] && k < d->sieve[i].n; k++)
			if (d->sieve[i].v[k].kind == SIEVE_VACATION &&
			    queue_sieve_vacation(d, &d->e.local[i], &d->sieve[i].v[k]) < 0)
				return -1;
		if (!d->scripted[i] && queue_vacation(d, &d->e.local[i]) < 0)
			return -1;
	}
	return 0;
}

/* Finishes the item, or leaves the deferred recipients for later. */
static int settle_item(struct delivery *d)
{
	const struct store_queue_item *item = d->item;
	if (d->ndeferred == 0)
		return store_queue_done(d->pm->store, STORE_QUEUE_SUBMISSION, item->id);
	const char **rest = calloc(d->ndeferred, sizeof *rest);
	if (rest == NULL)
		return -1;
	for (size_t i = 0; i < d->ndeferred; i++)
		rest[i] = d->deferred[i];
	int r = store_queue_retry(d->pm->store, STORE_QUEUE_SUBMISSION, item->id,
	                          d->now + d->pm->set.retry_s, rest, d->ndeferred,
	                          "mailbox full");
	free(rest);
	return r;
}

/* Everything the item changes, in one transaction. */
static int commit_delivery(struct delivery *d)
{
	struct store *st = d->pm->store;

	if (store_begin(st) < 0)
		return -1;
	if (store_entries(d) < 0 || queue_forwards(d) < 0 ||
	    queue_bounce(d) < 0 || queue_vacations(d) < 0 || settle_item(d) < 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
}

static void wake_readers(const struct delivery *d)
{
	for (size_t i = 0; i < d->nmailboxes; i++)
		wake_mailbox(d->pm, d->mailboxes[i]);
	if (d->outbound)
		wake_outbound(d->pm, d->item->id);
}

/* The counters of a committed delivery (stats.h); the latency counts
 * only once every recipient is done. */
static void count_delivery(const struct delivery *d)
{
	stats_add(STAT_MAIL_DELIVERED, d->nmailboxes);
	stats_add(STAT_MAIL_BOUNCED, d->e.nfailed);
	if (d->ndeferred > 0)
		stats_inc(STAT_MAIL_DEFERRED);
	else if (d->now >= d->item->created)
		stats_latency((uint64_t)(d->now - d->item->created) * 1000);
}

/* Runs each person's Sieve script; a reject is a failure of that
 * recipient, so the bounce (a DSN) carries the reason to the sender. */
static int run_scripts(struct delivery *d)
{
	for (size_t i = 0; i < d->e.nlocal; i++) {
		const struct local_delivery *l = &d->e.local[i];
		if (d->refused[i])
			continue;
		if (sieve_deliver_plan(d->pm->store, l, d->item->recipients[l->rcpt],
		                       d->item->sender, d->data, d->len, d->item->id,
		                       &d->sieve[i], &d->scripted[i]) < 0)
			return -1;
		for (size_t k = 0; k < d->sieve[i].n; k++) {
			char why[160];
			if (d->sieve[i].v[k].kind != SIEVE_REJECT)
				continue;
			snprintf(why, sizeof why, "rejected by the recipient's filter: %s",
			         d->sieve[i].v[k].text);
			for (char *c = why; *c; c++)
				if (*c == '\r' || *c == '\n')
					*c = ' ';
			d->refused[i] = true;
			if (expansion_fail(&d->e, l->address, "5.7.1", why) < 0)
				return -1;
		}
	}
	return 0;
}

static int plan(struct delivery *d)
{
	for (size_t i = 0; i < d->item->nrecipients; i++)
		if (expand_recipient(d->pm->store, &d->e, d->item->recipients[i], i) < 0)
			return -1;
	size_t n = d->e.nlocal ? d->e.nlocal : 1;
	d->refused = calloc(n, sizeof *d->refused);
	d->deferred = calloc(n, sizeof *d->deferred);
	/* a script may file one copy into several mailboxes */
	d->mailboxes = calloc(n * (SIEVE_ACTIONS_MAX + 1), sizeof *d->mailboxes);
	d->scripted = calloc(n, sizeof *d->scripted);
	d->sieve = calloc(n, sizeof *d->sieve);
	if (d->refused == NULL || d->deferred == NULL || d->mailboxes == NULL ||
	    d->scripted == NULL || d->sieve == NULL) {
		log_error("deliver", "error=\"out of memory\"");
		return -1;
	}
	/* parsed once here, so IMAP never parses it; without one (out of
	 * memory) it is parsed when first fetched */
	void *have = NULL;
	size_t have_len = 0;
	if (store_message_structure(d->pm->store, d->item->message_id, &have, &have_len) < 0)
		return -1;
	if (have == NULL)
		d->structure = mime_structure(d->data, d->len, &d->structure_len);
	free(have);
	return check_loops(d) < 0 || check_quotas(d) < 0 || run_scripts(d) < 0 ? -1 : 0;
}

int deliver_item(struct postman *pm, const struct store_queue_item *item)
{
	struct delivery d = { .pm = pm, .item = item, .now = (int64_t)time(NULL) };
	void *data = NULL;
	int r = -1;

	expansion_init(&d.e, (size_t)pm->set.max_expansion, pm->set.autoforward);
	if (store_message_get(pm->store, item->message_id, &data, &d.len) == 0) {
		d.data = data;
		r = plan(&d) == 0 && commit_delivery(&d) == 0 ? 0 : -1;
	}
	if (r == 0) {
		count_delivery(&d);
		wake_readers(&d);
	} else {
		stats_inc(STAT_MAIL_DEFERRED);
		log_warn("deliver_later", "id=%lld attempt=%d transient=%s", (long long)item->id,
		         item->attempts, store_error_transient(pm->store) ? "yes" : "no");
	}
	for (size_t i = 0; d.sieve != NULL && i < d.e.nlocal; i++)
		sieve_result_clear(&d.sieve[i]);
	free(d.sieve);
	free(d.scripted);
	expansion_free(&d.e);
	free(d.refused);
	free(d.deferred);
	free(d.mailboxes);
	free(d.structure);
	free(data);
	return r;
}
