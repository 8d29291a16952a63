/*
 * imap_view.c - the selected mailbox of one session and how it catches
 * up with the store: new messages become EXISTS, flag changes by others
 * untagged FETCH, expunges by others EXPUNGE when the protocol allows;
 * see imap_view.h.  Changes are found by modseq (every change in the
 * store takes a new one), so a sync that finds nothing costs one read.
 */
#include "imap_view.h"
#include "imap_flags.h"
#include "imap_mailbox_share.h"
#include "imap_vanished.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static void msg_clear(struct view_msg *m)
{
	free(m->keywords);
	m->keywords = NULL;
}

void imap_view_free(struct imap_view *v)
{
	if (v == NULL)
		return;
	for (uint32_t i = 0; i < v->n; i++)
		msg_clear(&v->msgs[i]);
	free(v->msgs);
	free(v->announced);
	imap_seqset_free(&v->saved);
	store_mailbox_clear(&v->mb);
	free(v);
}

static char *keywords_dup(const char *kw)
{
	if (kw == NULL || *kw == '\0')
		return NULL;
	char *d = strdup(kw);
	if (d == NULL)
		abort();   /* out of memory for a short string */
	return d;
}

static int push(struct imap_view *v, const struct store_entry *e, unsigned flags)
{
	if (v->n == v->cap) {
		uint32_t cap = v->cap ? v->cap * 2 : 64;
		struct view_msg *m = realloc(v->msgs, cap * sizeof *m);
		if (m == NULL) {
			log_error("imap_view", "error=\"out of memory\" messages=%u", v->n);
			return -1;
		}
		v->msgs = m;
		v->cap = cap;
	}
	struct view_msg *m = &v->msgs[v->n++];
	memset(m, 0, sizeof *m);
	m->uid = e->uid;
	m->flags = flags;
	m->modseq = e->modseq;
	m->message_id = e->message_id;
	m->size = e->size;
	m->prefix_len = (uint16_t)e->prefix_len;
	m->internal_date = e->internal_date;
	m->keywords = keywords_dup(e->keywords);
	return 0;
}

uint32_t imap_view_seq(const struct imap_view *v, uint32_t uid)
{
	uint32_t lo = 0, hi = v->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v->msgs[mid].uid < uid)
			lo = mid + 1;
		else if (v->msgs[mid].uid > uid)
			hi = mid;
		else
			return mid + 1;
	}
	return 0;
}

/* The index of the first message with uid >= UID. */
static uint32_t lower_bound(const struct imap_view *v, uint32_t uid)
{
	uint32_t lo = 0, hi = v->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint32_t imap_view_max_uid(const struct imap_view *v)
{
	return v->n ? v->msgs[v->n - 1].uid : 0;
}

/* ---- loading new entries ---- */

struct load {
	struct imap_view *v;
	bool keep_recent;      /* EXAMINE: the store's \Recent shows as is */
	uint32_t added;
	int err;
};

static int load_each(const struct store_entry *e, void *arg)
{
	struct load *l = arg;
	if (l->v->limit && l->v->n >= l->v->limit)
		return 1;
	unsigned flags = e->flags & (l->keep_recent ? ~0u : ~STORE_FLAG_RECENT);
	if (push(l->v, e, flags) < 0) {
		l->err = -1;
		return 1;
	}
	if (flags & STORE_FLAG_RECENT)
		l->v->recent++;
	l->added++;
	return 0;
}

static int claim_each(uint32_t uid, void *arg)
{
	struct imap_view *v = arg;
	uint32_t seq = imap_view_seq(v, uid);
	if (seq && !(v->msgs[seq - 1].flags & STORE_FLAG_RECENT)) {
		v->msgs[seq - 1].flags |= STORE_FLAG_RECENT;
		v->recent++;
	}
	return 0;
}

/* Loads V's entries from ST and claims \Recent of them with CLAIMS. */
static int load_all(struct store *st, struct imap_claims *claims, struct imap_view *v)
{
	struct load l = { v, v->readonly, 0, 0 };
	if (store_entry_list(st, v->mb.id, 1, load_each, &l) < 0 || l.err < 0)
		return -1;
	/* a claim that fails (on the loop's handle: it met another writer's
	 * lock, and that handle never waits) is given up, and those
	 * messages are not \Recent in this session (another one may claim
	 * them) */
	if (l.added > 0 && !v->readonly &&
	    imap_claim_recent(claims, v->mb.id, 1, claim_each, v) < 0)
		log_debug("imap_recent", "mailbox=%lld claimed=no", (long long)v->mb.id);
	return 0;
}

struct imap_view *imap_view_load(struct store *st, struct imap_claims *claims,
                                 const struct store_mailbox *mb, bool readonly, uint32_t limit)
{
	struct imap_view *v = calloc(1, sizeof *v);
	if (v == NULL) {
		log_error("imap_view", "error=\"out of memory\"");
		return NULL;
	}
	v->mb = *mb;
	v->mb.name = strdup(mb->name);
	v->mb.special_use = strdup(mb->special_use ? mb->special_use : "");
	if (v->mb.name == NULL || v->mb.special_use == NULL)
		abort();   /* out of memory for a short string */
	v->readonly = readonly;
	v->limit = limit;
	/* Changes committed while loading have higher modseqs than this, so
	 * the first sync still sees them. */
	v->modseq = mb->highest_modseq;
	if (load_all(st, claims, v) < 0 || imap_view_flags_init(v) < 0) {
		imap_view_free(v);
		return NULL;
	}
	return v;
}

/* ---- telling the client ---- */

static int send_flags(struct imap_client *c, uint32_t seq)
{
	const struct view_msg *m = &c->view->msgs[seq - 1];
	if (imap_view_flags_announce(c, m->keywords) < 0 ||
	    imap_outf(c, "* %u FETCH (UID %u FLAGS ", seq, m->uid) < 0 ||
	    imap_view_flags_write(c, m) < 0)
		return -1;
	if (c->enabled & IMAP_ENABLED_CONDSTORE)
		return imap_outf(c, " MODSEQ (%llu))\r\n", (unsigned long long)m->modseq);
	return imap_out(c, ")\r\n", 3);
}

static bool same_keywords(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Applies change E (from the share) to the view, telling the client
 * about flags others changed; MAX_UID: entries above it are new,
 * applied apart.  -1 when the output failed. */
static int apply_change(struct imap_client *c, uint32_t max_uid, const struct store_entry *e)
{
	struct imap_view *v = c->view;
	uint32_t seq = e->uid <= max_uid && e->modseq > v->modseq ? imap_view_seq(v, e->uid) : 0;
	if (seq == 0)
		return 0;
	struct view_msg *m = &v->msgs[seq - 1];
	if (e->expunged) {
		m->expunged = true;
		return 0;
	}
	if (e->modseq <= m->modseq)
		return 0;      /* this session made the change and knows it */
	unsigned flags = (e->flags & ~STORE_FLAG_RECENT) | (m->flags & STORE_FLAG_RECENT);
	bool differ = flags != m->flags || !same_keywords(e->keywords, m->keywords);
	m->modseq = e->modseq;
	m->flags = flags;
	free(m->keywords);
	m->keywords = keywords_dup(e->keywords);
	if ((differ || (c->enabled & IMAP_ENABLED_CONDSTORE)) && send_flags(c, seq) < 0)
		return -1;
	return 0;
}

/* One "* VANISHED uid-set" for the messages others expunged (QRESYNC). */
static int send_vanished(struct imap_client *c)
{
	struct imap_view *v = c->view;
	struct imap_seqset set = { 0 };
	int e = 0;
	for (uint32_t i = 0; i < v->n && e == 0; i++)
		if (v->msgs[i].expunged)
			e = imap_seqset_add(&set, v->msgs[i].uid);
	if (e == 0) {
		imap_seqset_resolve(&set, 0);
		e = imap_vanished_write(c, &set, false);
	}
	imap_seqset_free(&set);
	return e;
}

/* Sends EXPUNGE for each message others expunged, highest first so the
 * numbers of the ones still to come do not move; or VANISHED. */
static int flush_expunges(struct imap_client *c)
{
	struct imap_view *v = c->view;
	uint32_t w = 0;
	if (c->enabled & IMAP_ENABLED_QRESYNC) {
		if (send_vanished(c) < 0)
			return -1;
	} else {
		for (uint32_t i = v->n; i > 0; i--)
			if (v->msgs[i - 1].expunged && imap_outf(c, "* %u EXPUNGE\r\n", i) < 0)
				return -1;
	}
	for (uint32_t i = 0; i < v->n; i++) {
		if (v->msgs[i].expunged) {
			if (v->msgs[i].flags & STORE_FLAG_RECENT)
				v->recent--;
			msg_clear(&v->msgs[i]);
		} else {
			v->msgs[w++] = v->msgs[i];
		}
	}
	v->n = w;
	return 0;
}

static bool any_expunged(const struct imap_view *v)
{
	for (uint32_t i = 0; i < v->n; i++)
		if (v->msgs[i].expunged)
			return true;
	return false;
}

/* Adds the share's new entries the view lacks (up to Message-Cap);
 * *ADDED gets how many.  The first view to meet a claimed uid takes its
 * \Recent. */
static int apply_fresh(struct imap_view *v, struct imap_share *s, uint32_t *added)
{
	struct load l = { v, v->readonly, 0, 0 };
	uint32_t max_uid = imap_view_max_uid(v);
	*added = 0;
	for (uint32_t i = 0; i < s->n_fresh; i++)
		if (s->fresh[i].uid > max_uid && load_each(&s->fresh[i], &l) != 0)
			break;
	if (l.err < 0)
		return -1;
	*added = l.added;
	for (uint32_t i = 0; i < s->n_claimed && !v->readonly && l.added > 0; i++)
		if (s->claimed[i] != 0 && imap_view_seq(v, s->claimed[i]) != 0) {
			claim_each(s->claimed[i], v);
			s->claimed[i] = 0;
		}
	return 0;
}

int imap_view_apply(struct imap_client *c, struct imap_share *s, bool allow_expunge)
{
	struct imap_view *v = c->view;
	uint32_t added = 0, max_uid = imap_view_max_uid(v);
	for (uint32_t i = 0; i < s->n_changed; i++)
		if (apply_change(c, max_uid, &s->changed[i]) < 0)
			return -1;
	if (allow_expunge && any_expunged(v) && flush_expunges(c) < 0)
		return -1;
	if (apply_fresh(v, s, &added) < 0)
		return -1;
	v->modseq = s->highest > v->modseq ? s->highest : v->modseq;
	v->mb.uidnext = s->uidnext;
	/* keywords of new messages are announced with them, before any
	 * FETCH the client sends for them */
	for (uint32_t i = v->n - added; i < v->n; i++)
		if (imap_view_flags_announce(c, v->msgs[i].keywords) < 0)
			return -1;
	if (added > 0 && (imap_untagged(c, "%u EXISTS", v->n) < 0 ||
	                  (!imap_rev2(c) && imap_untagged(c, "%u RECENT", v->recent) < 0)))
		return -1;
	return 0;
}

int imap_view_sync(struct imap_client *c, bool allow_expunge)
{
	struct imap_share s;
	int rc = -1;
	if (c->view == NULL)
		return 0;
	if (imap_share_head(&s, c->srv->store, c->view->mb.id) == 0) {
		struct imap_share_seen seen;
		imap_share_seen_of(c->view, &seen);
		imap_share_want(&s, &seen);
		if (imap_share_read(&s, c->srv->store, &c->srv->claims) == 0)
			rc = imap_view_apply(c, &s, allow_expunge);
	}
	imap_share_free(&s);
	return rc;
}

/* ---- sets ---- */

int imap_view_save(struct imap_view *v, const uint32_t *uids, size_t n)
{
	imap_seqset_free(&v->saved);
	for (size_t i = 0; i < n; i++)
		if (imap_seqset_add(&v->saved, uids[i]) < 0) {
			imap_seqset_free(&v->saved);
			return -1;
		}
	imap_seqset_resolve(&v->saved, 0);
	return 0;
}

int imap_view_saved_set(struct imap_view *v, struct imap_seqset *set, bool uid)
{
	if (!set->saved)
		return 0;
	imap_seqset_free(set);
	for (uint32_t i = 0; i < v->n; i++) {
		if (!imap_seqset_has(&v->saved, v->msgs[i].uid))
			continue;
		if (imap_seqset_add(set, uid ? v->msgs[i].uid : i + 1) < 0)
			return -1;
	}
	return 0;
}

int imap_view_each(struct imap_view *v, struct imap_seqset *set, bool uid,
                   int (*cb)(uint32_t seq, void *arg), void *arg)
{
	if (imap_view_saved_set(v, set, uid) < 0)
		return -2;
	imap_seqset_resolve(set, uid ? imap_view_max_uid(v) : v->n);
	if (!uid && imap_seqset_max(set) > v->n)
		return -1;
	for (size_t r = 0; r < set->n; r++) {
		uint32_t lo = set->r[r].lo, hi = set->r[r].hi;
		uint32_t i = uid ? lower_bound(v, lo) : lo - 1;
		for (; i < v->n && (uid ? v->msgs[i].uid : i + 1) <= hi; i++) {
			int stop = cb(i + 1, arg);
			if (stop)
				return stop;
		}
	}
	return 0;
}

int imap_view_expunged(struct imap_client *c, uint32_t seq)
{
	struct imap_view *v = c->view;
	uint32_t uid = v->msgs[seq - 1].uid;
	if (v->msgs[seq - 1].flags & STORE_FLAG_RECENT)
		v->recent--;
	msg_clear(&v->msgs[seq - 1]);
	memmove(&v->msgs[seq - 1], &v->msgs[seq], (v->n - seq) * sizeof *v->msgs);
	v->n--;
	if (c->enabled & IMAP_ENABLED_QRESYNC)
		return imap_outf(c, "* VANISHED %u\r\n", uid);
	return imap_outf(c, "* %u EXPUNGE\r\n", seq);
}

void imap_view_set_flags(struct imap_view *v, uint32_t seq, unsigned flags,
                         const char *keywords, uint64_t modseq)
{
	struct view_msg *m = &v->msgs[seq - 1];
	m->flags = (flags & ~STORE_FLAG_RECENT) | (m->flags & STORE_FLAG_RECENT);
	if (keywords != NULL) {
		free(m->keywords);
		m->keywords = keywords_dup(keywords);
	}
	if (modseq > m->modseq)
		m->modseq = modseq;
}

uint32_t imap_view_first_unseen(const struct imap_view *v)
{
	for (uint32_t i = 0; i < v->n; i++)
		if (!(v->msgs[i].flags & STORE_FLAG_SEEN))
			return i + 1;
	return 0;
}

void imap_view_condstore_enable(struct imap_client *c)
{
	if (c->enabled & IMAP_ENABLED_CONDSTORE)
		return;
	c->enabled |= IMAP_ENABLED_CONDSTORE;
	if (c->view != NULL)
		imap_untagged(c, "OK [HIGHESTMODSEQ %llu] highest",
		              (unsigned long long)c->view->modseq);
}

int imap_view_send_changed(struct imap_client *c, const struct imap_seqset *known,
                           uint64_t since)
{
	const struct imap_view *v = c->view;
	for (uint32_t i = 0; i < v->n; i++)
		if (v->msgs[i].modseq > since &&
		    (known == NULL || imap_seqset_has(known, v->msgs[i].uid)) &&
		    send_flags(c, i + 1) < 0)
			return -1;
	return 0;
}
