/*
 * imap_cmd_select.c - SELECT and EXAMINE (with the CONDSTORE and QRESYNC
 * options of RFC 7162), CLOSE, UNSELECT (RFC 3691) and CHECK: entering and leaving
 * the selected state.
 */
#include "imap_commands.h"
#include "imap_expunge.h"
#include "imap_job.h"
#include "imap_flags.h"
#include "imap_names.h"
#include "imap_objectid.h"
#include "imap_vanished.h"
#include "imap_view.h"
#include "log.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

static void deselect(struct imap_client *c)
{
	imap_view_free(c->view);
	c->view = NULL;
	c->state = IMAP_AUTH;
}

/* What a SELECT's parameters ask for: CONDSTORE, and QRESYNC's
 * "(uidvalidity modseq [known-uids [seq-match-data]])". */
struct select_params {
	bool condstore, qresync;
	uint32_t uidvalidity;
	uint64_t modseq;
	struct imap_seqset known;   /* uids; no ranges: all */
	struct imap_seqset seqs, uids;  /* seq-match-data, or empty */
};

static void params_free(struct select_params *sp)
{
	imap_seqset_free(&sp->known);
	imap_seqset_free(&sp->seqs);
	imap_seqset_free(&sp->uids);
}

/* QRESYNC's list after the word.  seq-match-data lets the answer be
 * shorter once expunge marks were purged (RFC 7162 3.2.5.2). */
static int qresync_param(struct imap_parser *p, struct select_params *sp)
{
	if (imap_p_sp(p) < 0 || imap_p_open(p) < 0 || imap_p_nz_number(p, &sp->uidvalidity) < 0 ||
	    imap_p_sp(p) < 0 || imap_p_number64(p, &sp->modseq) < 0)
		return -1;
	if (sp->modseq == 0) {
		p->error = "QRESYNC modseq must not be 0";
		return -1;
	}
	sp->qresync = true;
	if (imap_p_eat(p, ' ')) {
		if (imap_p_peek(p, '(')) {
			p->error = "QRESYNC known-uids missing";
			return -1;
		}
		if (imap_p_seqset(p, &sp->known) < 0)
			return -1;
		if (imap_p_eat(p, ' ') &&
		    (imap_p_open(p) < 0 || imap_p_seqset(p, &sp->seqs) < 0 || imap_p_sp(p) < 0 ||
		     imap_p_seqset(p, &sp->uids) < 0 || imap_p_close(p) < 0))
			return -1;
	}
	return imap_p_close(p);
}

/* "(CONDSTORE)", "(QRESYNC (...))" or both after the mailbox name, or
 * nothing. */
static int select_params(struct imap_parser *p, struct select_params *sp)
{
	if (!imap_p_eat(p, ' '))
		return imap_p_end(p);
	if (imap_p_open(p) < 0)
		return -1;
	do {
		if (imap_p_word(p, "CONDSTORE"))
			sp->condstore = true;
		else if (imap_p_word(p, "QRESYNC") && !sp->qresync) {
			if (qresync_param(p, sp) < 0)
				return -1;
		} else {
			if (p->error == NULL)
				p->error = "unknown SELECT parameter";
			return -1;
		}
	} while (imap_p_eat(p, ' '));
	if (imap_p_close(p) < 0)
		return -1;
	return imap_p_end(p);
}

/* QRESYNC, when the client's uidvalidity is still right: the known uids
 * that vanished since its modseq, read with view V into *VANISHED (in
 * the job), RESYNCED set.  0, or -1 after a store failure. */
static int resync_read(struct store *st, const struct imap_view *v, struct select_params *sp,
                       struct imap_seqset *vanished, bool *resynced)
{
	if (sp->uidvalidity != v->mb.uidvalidity)
		return 0;
	const struct imap_seqset *known = sp->known.n ? &sp->known : NULL;
	uint32_t last_uid = v->mb.uidnext > 1 ? v->mb.uidnext - 1 : 1;
	if (known)
		imap_seqset_resolve(&sp->known, last_uid);
	imap_seqset_resolve(&sp->seqs, v->n ? v->n : 1);
	imap_seqset_resolve(&sp->uids, last_uid);
	uint32_t agreed = imap_vanished_agreed(v, &sp->seqs, &sp->uids);
	if (imap_vanished_find(st, v, known, sp->modseq, agreed, vanished) < 0)
		return -1;
	*resynced = true;
	return 0;
}

/* QRESYNC's answer after the untagged SELECT data: the vanished uids,
 * then the flags of those that changed (RFC 7162 3.2.5). */
static void resync_send(struct imap_client *c, const struct select_params *sp,
                        const struct imap_seqset *vanished)
{
	imap_vanished_write(c, vanished, true);
	imap_view_send_changed(c, sp->known.n ? &sp->known : NULL, sp->modseq);
}

static void announce(struct imap_client *c, uint32_t total, bool children)
{
	struct imap_view *v = c->view;
	char id[IMAP_OBJECTID_MAX];
	imap_view_flags_send(c);
	imap_untagged(c, "%u EXISTS", v->n);
	if (imap_rev2(c)) {
		/* no RECENT or UNSEEN, but the mailbox's LIST (RFC 9051 6.3.2) */
		imap_list_selected(c, &v->mb, children);
	} else {
		imap_untagged(c, "%u RECENT", v->recent);
		uint32_t unseen = imap_view_first_unseen(v);
		if (unseen)
			imap_untagged(c, "OK [UNSEEN %u] first unseen", unseen);
	}
	imap_untagged(c, "OK [UIDVALIDITY %u] UIDs valid", v->mb.uidvalidity);
	imap_untagged(c, "OK [UIDNEXT %u] predicted next UID", v->mb.uidnext);
	imap_untagged(c, "OK [HIGHESTMODSEQ %llu] highest", (unsigned long long)v->modseq);
	imap_mailboxid(&v->mb, id);
	imap_untagged(c, "OK [MAILBOXID (%s)] mailbox id", id);
	if (v->limit && total > v->n)
		imap_untagged(c, "OK [ALERT] only the first %u of %u messages are shown",
		              v->n, total);
}

/* A SELECT or EXAMINE on its way: what it asks, and what the store
 * gave (a read job, imap_job.h). */
struct select_job {
	char name[IMAP_NAME_MAX + 1];
	bool readonly;
	bool rev2;                   /* an IMAP4rev2 session: its LIST is sent */
	int64_t person_id;
	uint32_t limit;              /* Message-Cap */
	struct imap_claims *claims;  /* the server's, shared with the loop */
	struct select_params sp;
	bool found;                  /* the mailbox exists */
	struct store_mailbox_counts k;
	bool children;               /* the mailbox has some (IMAP4rev2's LIST) */
	struct imap_view *view;
	bool resynced;               /* QRESYNC: VANISHED read into vanished */
	struct imap_seqset vanished;
};

static int select_run(struct store *st, void *ctx)
{
	struct select_job *j = ctx;
	struct store_mailbox mb;
	if (store_mailbox_find(st, j->person_id, j->name, &mb) < 0)
		return store_last_error(st) == STORE_E_NOTFOUND ? 0 : -1;
	j->found = true;
	if (j->limit && store_mailbox_counts(st, mb.id, &j->k) < 0)
		memset(&j->k, 0, sizeof j->k);   /* only the ALERT's total */
	int r = j->rev2 ? imap_list_children(st, j->person_id, mb.name, &j->children) : 0;
	if (r == 0)
		j->view = imap_view_load(st, j->claims, &mb, j->readonly, j->limit);
	store_mailbox_clear(&mb);
	if (j->view == NULL)
		return -1;
	return j->sp.qresync ? resync_read(st, j->view, &j->sp, &j->vanished, &j->resynced) : 0;
}

static enum cmd_result select_apply(struct imap_client *c, void *ctx, int rc,
                                    enum store_error err)
{
	struct select_job *j = ctx;
	const char *what = j->readonly ? "EXAMINE" : "SELECT";
	if (rc < 0)
		return imap_job_failed(c, err);
	if (!j->found)
		return imap_done(c, "NO", "[NONEXISTENT] no such mailbox");
	c->view = j->view;
	j->view = NULL;
	c->state = IMAP_SELECTED;
	/* the view was just read: no sync before the tagged answer (what
	 * came since goes out with the next command's) */
	c->active.synced = true;
	if (j->sp.condstore)
		c->enabled |= IMAP_ENABLED_CONDSTORE;
	announce(c, (uint32_t)j->k.messages, j->children);
	if (j->resynced)
		resync_send(c, &j->sp, &j->vanished);
	log_info("imap_select", "session=%s mailbox=%s messages=%u readonly=%s",
	         c->session, log_quote(j->name), c->view->n,
	         j->readonly ? "yes" : "no");
	return imap_done(c, "OK", "[%s] %s completed", j->readonly ? "READ-ONLY" : "READ-WRITE",
	                 what);
}

static void select_free(void *ctx)
{
	struct select_job *j = ctx;
	imap_view_free(j->view);
	params_free(&j->sp);
	imap_seqset_free(&j->vanished);
	free(j);
}

static const struct imap_job_ops select_ops = { STORE_JOB_READ, select_run, select_apply,
	                                        select_free };

/* SELECT/EXAMINE after its arguments were read (J's); WHY is set when
 * the name was refused. */
static enum cmd_result select_open(struct imap_client *c, struct select_job *j,
                                   const char *why)
{
	/* a failed SELECT leaves no mailbox selected (RFC 3501) */
	if (c->view != NULL) {
		deselect(c);
		imap_untagged(c, "OK [CLOSED] previous mailbox closed");
	}
	if (why != NULL) {
		select_free(j);
		return imap_done(c, "NO", "[CANNOT] %s", why);
	}
	j->person_id = c->person_id;
	j->rev2 = imap_rev2(c);
	j->limit = c->srv->set.message_cap;
	j->claims = &c->srv->claims;
	return imap_read_start(c, &select_ops, j);
}

static enum cmd_result do_select(struct imap_client *c, bool readonly)
{
	struct imap_parser *p = &c->active.p;
	const char *why = NULL;
	struct select_job *j = calloc(1, sizeof *j);
	if (j == NULL)
		return imap_done(c, "NO", "[UNAVAILABLE] out of memory, try again later");
	j->readonly = readonly;
	int e = imap_p_sp(p) < 0 ? -1 : imap_p_mailbox(p, j->name, &why);
	if (e == -1 || (e == 0 && select_params(p, &j->sp) < 0)) {
		select_free(j);
		return imap_bad_syntax(c);
	}
	if (j->sp.qresync && !(c->enabled & IMAP_ENABLED_QRESYNC)) {
		select_free(j);
		return imap_done(c, "BAD", "QRESYNC needs ENABLE QRESYNC first");
	}
	return select_open(c, j, e == -2 ? why : NULL);
}

enum cmd_result imap_cmd_select(struct imap_client *c)
{
	return do_select(c, false);
}

enum cmd_result imap_cmd_examine(struct imap_client *c)
{
	return do_select(c, true);
}

/* CLOSE expunges silently; a failure still closes (RFC 3501). */
static enum cmd_result close_apply(struct imap_client *c, void *arg, int rc,
                                   enum store_error err)
{
	if (rc == 0)
		imap_expunge_apply(c, arg, false);
	else
		log_warn("imap_close", "session=%s error=\"expunge failed\" kind=%s",
		         c->session, err == STORE_E_TRANSIENT ? "transient" : "failed");
	deselect(c);
	return imap_done(c, "OK", "CLOSE completed");
}

static const struct imap_job_ops close_ops = { STORE_JOB_WRITE, imap_expunge_run,
	                                       close_apply, imap_expunge_free };

enum cmd_result imap_cmd_close(struct imap_client *c)
{
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	struct imap_expunge *x = c->view->readonly ? NULL : imap_expunge_plan(c, NULL);
	if (x != NULL && x->n > 0)
		return imap_job_start(c, &close_ops, x);
	imap_expunge_free(x);
	deselect(c);
	return imap_done(c, "OK", "CLOSE completed");
}

enum cmd_result imap_cmd_unselect(struct imap_client *c)
{
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	deselect(c);
	return imap_done(c, "OK", "UNSELECT completed");
}

enum cmd_result imap_cmd_check(struct imap_client *c)
{
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	return imap_done(c, "OK", "CHECK completed");
}
