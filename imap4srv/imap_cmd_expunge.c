/*
 * imap_cmd_expunge.c - EXPUNGE and UID EXPUNGE, and the expunging that
 * CLOSE shares with them; see imap_expunge.h.  The store marks each
 * entry expunged with a new modseq, so other sessions learn of it at
 * their next sync; this session tells its client once the commit is
 * done.
 */
#include "imap_commands.h"
#include "imap_expunge.h"
#include "imap_job.h"
#include "imap_seqset.h"
#include "imap_view.h"
#include "log.h"
#include "store.h"

#include <stdlib.h>

void imap_expunge_free(void *arg)
{
	struct imap_expunge *x = arg;
	if (x == NULL)
		return;
	free(x->seqs);
	free(x->uids);
	free(x);
}

struct imap_expunge *imap_expunge_plan(struct imap_client *c, struct imap_seqset *uids)
{
	struct imap_view *v = c->view;
	struct imap_expunge *x = calloc(1, sizeof *x);
	if (x != NULL) {
		x->mailbox = v->mb.id;
		x->seqs = calloc(v->n ? v->n : 1, sizeof *x->seqs);
		x->uids = calloc(v->n ? v->n : 1, sizeof *x->uids);
	}
	if (x == NULL || x->seqs == NULL || x->uids == NULL ||
	    (uids != NULL && imap_view_saved_set(v, uids, true) < 0)) {
		log_error("imap_expunge", "error=\"out of memory\"");
		imap_expunge_free(x);
		return NULL;
	}
	if (uids != NULL)
		imap_seqset_resolve(uids, imap_view_max_uid(v));
	for (uint32_t i = 0; i < v->n; i++)
		if ((v->msgs[i].flags & STORE_FLAG_DELETED) && !v->msgs[i].expunged &&
		    (uids == NULL || imap_seqset_has(uids, v->msgs[i].uid))) {
			x->seqs[x->n] = i + 1;
			x->uids[x->n++] = v->msgs[i].uid;
		}
	return x;
}

int imap_expunge_run(struct store *st, void *arg)
{
	const struct imap_expunge *x = arg;
	for (size_t i = 0; i < x->n; i++)
		if (store_entry_expunge(st, x->mailbox, x->uids[i]) < 0 &&
		    store_last_error(st) != STORE_E_NOTFOUND)
			return -1;
	return 0;
}

void imap_expunge_apply(struct imap_client *c, const struct imap_expunge *x, bool announce)
{
	struct imap_view *v = c->view;
	if (x->n == 0)
		return;
	/* from the highest down, so the numbers still to send do not move */
	for (size_t i = x->n; i > 0; i--) {
		if (announce)
			imap_view_expunged(c, x->seqs[i - 1]);
		else
			v->msgs[x->seqs[i - 1] - 1].expunged = true;
	}
	imap_server_notify(c->srv, x->mailbox);
	log_info("imap_expunge", "session=%s mailbox=%lld count=%zu",
	         c->session, (long long)x->mailbox, x->n);
}

/* ---- EXPUNGE, UID EXPUNGE ---- */

static enum cmd_result apply(struct imap_client *c, void *arg, int rc, enum store_error err)
{
	if (rc < 0)
		return imap_job_failed(c, err);
	imap_expunge_apply(c, arg, true);
	return imap_done(c, "OK", "EXPUNGE completed");
}

static const struct imap_job_ops expunge_ops = { STORE_JOB_WRITE, imap_expunge_run, apply,
	                                         imap_expunge_free };

static void uids_free(void *p)
{
	imap_seqset_free(p);
	free(p);
}

/* After the sync: the messages marked \Deleted now (of the UIDs kept in
 * the command's state, for UID EXPUNGE) are expunged in a write job. */
static enum cmd_result expunge_planned(struct imap_client *c)
{
	struct imap_seqset *uids = c->active.state;
	struct imap_expunge *x = imap_expunge_plan(c, c->active.uid ? uids : NULL);
	if (x == NULL)
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	if (x->n == 0) {
		imap_expunge_free(x);
		return imap_done(c, "OK", "EXPUNGE completed");
	}
	return imap_job_start(c, &expunge_ops, x);
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
	struct imap_seqset *kept = malloc(sizeof *kept);
	if (kept == NULL) {
		imap_seqset_free(&uids);
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	}
	*kept = uids;
	c->active.state = kept;
	c->active.state_free = uids_free;
	/* fresh flags first: a \Deleted set by another session counts too */
	return imap_view_sync_then(c, true, expunge_planned);
}
