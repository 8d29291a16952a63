/*
 * imap_cmd_expunge.c - EXPUNGE and UID EXPUNGE, and the expunging that
 * CLOSE and MOVE share with them; see imap_expunge.h.  The store marks
 * each entry expunged with a new modseq, so other sessions learn of it
 * at their next sync; this session tells its client at once.
 */
#include "imap_commands.h"
#include "imap_expunge.h"
#include "imap_seqset.h"
#include "imap_view.h"
#include "log.h"
#include "store.h"

#include <stdlib.h>

int imap_expunge_seqs(struct imap_client *c, const uint32_t *seqs, size_t n, bool announce)
{
	struct imap_view *v = c->view;
	struct store *st = c->srv->store;
	if (n == 0)
		return 0;
	if (store_begin(st) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct view_msg *m = &v->msgs[seqs[i] - 1];
		if (m->expunged)
			continue;
		if (store_entry_expunge(st, v->mb.id, m->uid) < 0 &&
		    store_last_error(st) != STORE_E_NOTFOUND) {
			store_rollback(st);
			return -1;
		}
	}
	if (store_commit(st) < 0)
		return -1;
	/* from the highest down, so the numbers still to send do not move */
	for (size_t i = n; i > 0; i--) {
		if (announce)
			imap_view_expunged(c, seqs[i - 1]);
		else
			v->msgs[seqs[i - 1] - 1].expunged = true;
	}
	imap_server_notify(c->srv, v->mb.id);
	return 0;
}

long imap_expunge_deleted(struct imap_client *c, struct imap_seqset *uids, bool announce)
{
	struct imap_view *v = c->view;
	uint32_t *seqs = calloc(v->n ? v->n : 1, sizeof *seqs);
	size_t n = 0;
	if (seqs == NULL) {
		log_error("imap_expunge", "error=\"out of memory\"");
		return -1;
	}
	if (uids != NULL && imap_view_saved_set(v, uids, true) < 0) {
		free(seqs);
		return -1;
	}
	if (uids != NULL)
		imap_seqset_resolve(uids, imap_view_max_uid(v));
	for (uint32_t i = 0; i < v->n; i++)
		if ((v->msgs[i].flags & STORE_FLAG_DELETED) && !v->msgs[i].expunged &&
		    (uids == NULL || imap_seqset_has(uids, v->msgs[i].uid)))
			seqs[n++] = i + 1;
	int r = imap_expunge_seqs(c, seqs, n, announce);
	free(seqs);
	if (r == 0 && n > 0)
		log_info("imap_expunge", "session=%s mailbox=%lld count=%zu",
		         c->session, (long long)v->mb.id, n);
	return r < 0 ? -1 : (long)n;
}

enum cmd_result imap_cmd_expunge(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	struct imap_seqset uids = { 0 };
	if (c->active.uid && (imap_p_sp(p) < 0 || imap_p_seqset(p, &uids) < 0))
		return imap_bad_syntax(c);
	if (imap_p_end(p) < 0) {
		imap_seqset_free(&uids);
		return imap_bad_syntax(c);
	}
	if (c->view->readonly) {
		imap_seqset_free(&uids);
		return imap_done(c, "NO", "[READ-ONLY] the mailbox is open read-only");
	}
	/* fresh flags first: a \Deleted set by another session counts too */
	imap_view_sync(c, true);
	long n = imap_expunge_deleted(c, c->active.uid ? &uids : NULL, true);
	imap_seqset_free(&uids);
	if (n < 0)
		return imap_store_failed(c, "EXPUNGE");
	return imap_done(c, "OK", "EXPUNGE completed");
}
