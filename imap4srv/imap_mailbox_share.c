/*
 * imap_mailbox_share.c - one read of a mailbox's changes for all the
 * sessions that have it selected (see imap_mailbox_share.h); imap_view.c
 * applies it to each session's view, imap_idle.c reads one per changed
 * mailbox for its idling sessions.
 */
#include "imap_mailbox_share.h"
#include "imap_view.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

int imap_share_head(struct imap_share *s, struct store *st, int64_t mailbox_id)
{
	struct store_mailbox mb;
	memset(s, 0, sizeof *s);
	s->mailbox_id = mailbox_id;
	s->since = UINT64_MAX;
	s->from_uid = UINT32_MAX;
	s->claim_from = UINT32_MAX;
	if (store_mailbox_get(st, mailbox_id, &mb) < 0)
		return -1;
	s->highest = mb.highest_modseq;
	s->uidnext = mb.uidnext;
	store_mailbox_clear(&mb);
	return 0;
}

void imap_share_seen_of(const struct imap_view *v, struct imap_share_seen *out)
{
	*out = (struct imap_share_seen){ v->modseq, v->mb.uidnext, imap_view_max_uid(v), v->n,
		                         v->limit, v->readonly };
}

void imap_share_want(struct imap_share *s, const struct imap_share_seen *v)
{
	if (s->highest > v->modseq) {
		s->want_changes = true;
		if (v->modseq < s->since)
			s->since = v->modseq;
	}
	/* with Message-Cap, a view below its cap may take older entries that
	 * expunges made room for */
	if (s->uidnext != v->uidnext || (v->limit && v->n < v->limit)) {
		uint32_t from = v->max_uid + 1;
		s->want_fresh = true;
		if (from < s->from_uid)
			s->from_uid = from;
		if (!v->readonly) {
			s->want_claim = true;
			if (from < s->claim_from)
				s->claim_from = from;
		}
	}
}

/* Appends a copy of E to *LIST; -1 when out of memory (logged). */
static int keep(struct store_entry **list, uint32_t *n, uint32_t *cap,
                const struct store_entry *e)
{
	if (*n == *cap) {
		uint32_t c = *cap ? *cap * 2 : 16;
		struct store_entry *l = realloc(*list, c * sizeof *l);
		if (l == NULL) {
			log_error("imap_share", "error=\"out of memory\" entries=%u", *n);
			return -1;
		}
		*list = l;
		*cap = c;
	}
	struct store_entry *d = &(*list)[*n];
	*d = *e;
	d->keywords = NULL;
	if (e->keywords != NULL && *e->keywords != '\0' &&
	    (d->keywords = strdup(e->keywords)) == NULL) {
		log_error("imap_share", "error=\"out of memory\" entries=%u", *n);
		return -1;
	}
	(*n)++;
	return 0;
}

static int keep_changed(const struct store_entry *e, void *arg)
{
	struct imap_share *s = arg;
	s->oom = keep(&s->changed, &s->n_changed, &s->cap_changed, e) < 0;
	return s->oom;
}

static int keep_fresh(const struct store_entry *e, void *arg)
{
	struct imap_share *s = arg;
	s->oom = keep(&s->fresh, &s->n_fresh, &s->cap_fresh, e) < 0;
	return s->oom;
}

static int keep_claimed(uint32_t uid, void *arg)
{
	struct imap_share *s = arg;
	if (s->n_claimed == s->cap_claimed) {
		uint32_t c = s->cap_claimed ? s->cap_claimed * 2 : 16;
		uint32_t *l = realloc(s->claimed, c * sizeof *l);
		if (l == NULL) {
			/* the claim is made in full: this one is \Recent nowhere */
			log_error("imap_share", "error=\"out of memory\" claimed_uid=%u", uid);
			return 0;
		}
		s->claimed = l;
		s->cap_claimed = c;
	}
	s->claimed[s->n_claimed++] = uid;
	return 0;
}

int imap_share_read(struct imap_share *s, struct store *st, struct imap_claims *claims)
{
	if (s->want_changes &&
	    (store_entry_changes(st, s->mailbox_id, s->since, keep_changed, s) < 0 || s->oom))
		return -1;
	if (s->want_fresh &&
	    (store_entry_list(st, s->mailbox_id, s->from_uid, keep_fresh, s) < 0 || s->oom))
		return -1;
	if (!s->want_claim || s->n_fresh == 0 ||
	    s->fresh[s->n_fresh - 1].uid < s->claim_from)
		return 0;
	if (imap_claim_recent(claims, s->mailbox_id, s->claim_from, keep_claimed, s) < 0)
		log_debug("imap_recent", "mailbox=%lld from_uid=%u claimed=no",
		          (long long)s->mailbox_id, s->claim_from);
	return 0;
}

void imap_share_free(struct imap_share *s)
{
	for (uint32_t i = 0; i < s->n_changed; i++)
		store_entry_clear(&s->changed[i]);
	for (uint32_t i = 0; i < s->n_fresh; i++)
		store_entry_clear(&s->fresh[i]);
	free(s->changed);
	free(s->fresh);
	free(s->claimed);
	memset(s, 0, sizeof *s);
}
