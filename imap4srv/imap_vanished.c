/*
 * imap_vanished.c - VANISHED and VANISHED (EARLIER) for QRESYNC clients;
 * see imap_vanished.h.
 */
#include "imap_vanished.h"
#include "imap_view.h"
#include "log.h"
#include "store.h"

int imap_vanished_write(struct imap_client *c, const struct imap_seqset *uids, bool earlier)
{
	if (uids->n == 0)
		return 0;
	if (imap_outf(c, "* VANISHED %s", earlier ? "(EARLIER) " : "") < 0)
		return -1;
	for (size_t i = 0; i < uids->n; i++) {
		const struct imap_range *r = &uids->r[i];
		const char *sep = i ? "," : "";
		int e = r->lo == r->hi ? imap_outf(c, "%s%u", sep, r->lo)
		                       : imap_outf(c, "%s%u:%u", sep, r->lo, r->hi);
		if (e < 0)
			return -1;
	}
	return imap_out(c, "\r\n", 2);
}

struct gone {
	const struct imap_seqset *known;
	struct imap_seqset out;
	int err;
};

static bool is_known(const struct imap_seqset *known, uint32_t uid)
{
	return known == NULL || imap_seqset_has(known, uid);
}

static int gone_each(const struct store_entry *e, void *arg)
{
	struct gone *g = arg;
	if (e->expunged && is_known(g->known, e->uid) && imap_seqset_add(&g->out, e->uid) < 0) {
		g->err = -1;
		return 1;
	}
	return 0;
}

/* Every uid of KNOWN below uidnext that view V lacks, above AGREED. */
static int absent(const struct imap_view *v, const struct imap_seqset *known, uint32_t agreed,
                  struct gone *g)
{
	struct imap_range all = { 1, v->mb.uidnext - 1 };
	const struct imap_range *r = known ? known->r : &all;
	size_t n = known ? known->n : (v->mb.uidnext > 1);
	for (size_t i = 0; i < n; i++)
		for (uint32_t u = r[i].lo; u <= r[i].hi && u < v->mb.uidnext; u++) {
			if (u > agreed && imap_view_seq(v, u) == 0 && imap_seqset_add(&g->out, u) < 0)
				return -1;
		}
	return 0;
}

int imap_vanished_find(struct store *st, const struct imap_view *v,
                       const struct imap_seqset *known, uint64_t since, uint32_t agreed,
                       struct imap_seqset *out)
{
	struct gone g = { known, { 0 }, 0 };
	uint64_t floor;
	int e;
	if (store_mailbox_vanished_floor(st, v->mb.id, &floor) < 0)
		return -1;
	if (since < floor)
		e = absent(v, known, agreed, &g);
	else
		e = store_entry_changes(st, v->mb.id, since, gone_each, &g) < 0 ? -1 : g.err;
	if (e == 0)
		imap_seqset_resolve(&g.out, 0);
	else
		imap_seqset_free(&g.out);
	*out = g.out;
	return e;
}

static uint64_t members(const struct imap_seqset *set)
{
	uint64_t n = 0;
	for (size_t i = 0; i < set->n; i++)
		n += (uint64_t)set->r[i].hi - set->r[i].lo + 1;
	return n;
}

uint32_t imap_vanished_agreed(const struct imap_view *v, const struct imap_seqset *seqs,
                              const struct imap_seqset *uids)
{
	uint32_t agreed = 0;
	if (seqs->n == 0 || members(seqs) != members(uids))
		return 0;
	/* walk both sets in step, member by member */
	size_t si = 0, ui = 0;
	uint32_t seq = seqs->r[0].lo, uid = uids->r[0].lo;
	for (;;) {
		if (seq > v->n || v->msgs[seq - 1].uid != uid)
			return agreed;
		agreed = uid;
		if (seq++ == seqs->r[si].hi && ++si < seqs->n)
			seq = seqs->r[si].lo;
		if (uid++ == uids->r[ui].hi && ++ui < uids->n)
			uid = uids->r[ui].lo;
		if (si == seqs->n)
			return agreed;
	}
}
