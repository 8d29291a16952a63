/*
 * imap_cmd_store.c - STORE and UID STORE: setting, adding and removing
 * flags and keywords, with .SILENT, and CONDSTORE's UNCHANGEDSINCE
 * (RFC 7162), which leaves alone what changed since the client looked
 * and names it in [MODIFIED ...].  All changes of one command are one
 * store transaction: one disk sync, and other sessions see all or none.
 */
#include "imap_commands.h"
#include "imap_flags.h"
#include "imap_job.h"
#include "imap_seqlist.h"
#include "imap_view.h"
#include "log.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct store_args {
	enum store_flag_mode mode;
	bool silent;
	bool conditional;
	uint64_t unchangedsince;
	struct imap_flagset flags;
};

/* " (UNCHANGEDSINCE n)" */
static int modifiers(struct imap_parser *p, struct store_args *a)
{
	if (!imap_p_peek(p, '('))
		return 0;
	if (imap_p_open(p) < 0 || !imap_p_word(p, "UNCHANGEDSINCE") || imap_p_sp(p) < 0 ||
	    imap_p_number64(p, &a->unchangedsince) < 0 || imap_p_close(p) < 0 ||
	    imap_p_sp(p) < 0) {
		if (p->error == NULL)
			p->error = "bad STORE modifier";
		return -1;
	}
	a->conditional = true;
	return 0;
}

static int store_args(struct imap_parser *p, struct store_args *a)
{
	memset(a, 0, sizeof *a);
	if (modifiers(p, a) < 0)
		return -1;
	a->mode = imap_p_eat(p, '+') ? STORE_FLAGS_ADD
	        : imap_p_eat(p, '-') ? STORE_FLAGS_REMOVE : STORE_FLAGS_SET;
	a->silent = imap_p_word(p, "FLAGS.SILENT");
	if (!a->silent && !imap_p_word(p, "FLAGS")) {
		p->error = "expected FLAGS, +FLAGS or -FLAGS";
		return -1;
	}
	if (imap_p_sp(p) < 0 || imap_p_flag_list(p, true, &a->flags) < 0)
		return -1;
	return imap_p_end(p);
}

/* What one STORE hands its job: the messages by uid (the view is the
 * loop's), the change, and per message what came of it. */
struct flag_job {
	int64_t mailbox;
	struct store_args a;
	size_t n;
	uint32_t *uids;
	uint32_t *seqs;
	struct result {
		int status;                 /* 0 changed, 1 held back, 2 gone */
		unsigned flags;
		char *keywords;
		uint64_t modseq;
	} *res;
	struct imap_seqset modified;    /* filled on the loop */
};

static void job_free(void *arg)
{
	struct flag_job *j = arg;
	for (size_t i = 0; i < j->n; i++)
		free(j->res[i].keywords);
	free(j->uids);
	free(j->seqs);
	free(j->res);
	imap_seqset_free(&j->modified);
	free(j);
}

/* Changes one message; 1 when UNCHANGEDSINCE held it back. */
static int change(struct store *st, const struct flag_job *j, uint32_t uid,
                  struct store_entry *now)
{
	if (store_entry_get(st, j->mailbox, uid, now) < 0)
		return -1;
	if (j->a.conditional && now->modseq > j->a.unchangedsince)
		return 1;
	store_entry_clear(now);
	if (store_entry_set_flags(st, j->mailbox, uid, j->a.mode, j->a.flags.flags,
	                          j->a.flags.keywords, NULL) < 0 ||
	    store_entry_get(st, j->mailbox, uid, now) < 0)
		return -1;
	return 0;
}

/* On a pool thread, inside the job's savepoint: all or nothing. */
static int run(struct store *st, void *arg)
{
	struct flag_job *j = arg;
	for (size_t i = 0; i < j->n; i++) {
		struct store_entry now = { 0 };
		int r = change(st, j, j->uids[i], &now);
		if (r < 0 && store_last_error(st) == STORE_E_NOTFOUND)
			r = 2;     /* expunged meanwhile: the next sync says so */
		if (r == 0) {
			j->res[i].flags = now.flags;
			j->res[i].keywords = now.keywords;
			j->res[i].modseq = now.modseq;
			now.keywords = NULL;
		}
		j->res[i].status = r;
		store_entry_clear(&now);
		if (r < 0)
			return -1;
	}
	return 0;
}

static void answer(struct imap_client *c, uint32_t seq, bool with_modseq)
{
	const struct view_msg *m = &c->view->msgs[seq - 1];
	imap_view_flags_announce(c, m->keywords);
	imap_outf(c, "* %u FETCH (", seq);
	/* with QRESYNC or IMAP4rev2 every untagged FETCH carries the UID
	 * (RFC 7162 3.2.4, RFC 9051 7.5.2) */
	if (c->active.uid || (c->enabled & (IMAP_ENABLED_QRESYNC | IMAP_ENABLED_REV2)))
		imap_outf(c, "UID %u ", m->uid);
	imap_outs(c, "FLAGS ");
	imap_view_flags_write(c, m);
	if (with_modseq)
		imap_outf(c, " MODSEQ (%llu)", (unsigned long long)m->modseq);
	imap_outs(c, ")\r\n");
}

/* Back on the loop, after the commit: the view and the answers. */
static enum cmd_result apply(struct imap_client *c, void *arg, int rc, enum store_error err)
{
	struct flag_job *j = arg;
	if (rc < 0)
		return imap_job_failed(c, err);
	for (size_t i = 0; i < j->n; i++) {
		const struct result *r = &j->res[i];
		if (r->status == 0)
			imap_view_set_flags(c->view, j->seqs[i], r->flags, r->keywords, r->modseq);
		else if (r->status == 1)
			imap_seqset_add(&j->modified, c->active.uid ? j->uids[i] : j->seqs[i]);
	}
	if (j->a.conditional)  /* UNCHANGEDSINCE enables CONDSTORE (RFC 7162 3.1) */
		imap_view_condstore_enable(c);
	bool with_modseq = c->enabled & IMAP_ENABLED_CONDSTORE;
	/* new keywords are announced even when .SILENT hides the FETCHes */
	if (j->a.mode != STORE_FLAGS_REMOVE)
		imap_view_flags_announce(c, j->a.flags.keywords);
	for (size_t i = 0; i < j->n; i++)
		if (j->res[i].status == 0 && !j->a.silent)
			answer(c, j->seqs[i], with_modseq);
	if (j->n > 0)
		imap_server_notify(c->srv, c->view->mb.id);
	if (j->modified.n > 0) {
		char list[IMAP_TEXT_MAX - 64];
		imap_seqset_resolve(&j->modified, 0);
		imap_seqset_format(&j->modified, list, sizeof list);
		return imap_done(c, "OK", "[MODIFIED %s] conditional STORE failed", list);
	}
	return imap_done(c, "OK", "STORE completed");
}

static const struct imap_job_ops store_ops = { STORE_JOB_WRITE_LAZY, run, apply, job_free };

/* The job for the messages of L not known expunged; NULL when out of
 * memory. */
static struct flag_job *job_new(struct imap_client *c, const struct imap_seqlist *l,
                                 const struct store_args *a)
{
	struct flag_job *j = calloc(1, sizeof *j);
	if (j == NULL)
		return NULL;
	j->mailbox = c->view->mb.id;
	j->a = *a;
	j->uids = calloc(l->n + 1, sizeof *j->uids);
	j->seqs = calloc(l->n + 1, sizeof *j->seqs);
	j->res = calloc(l->n + 1, sizeof *j->res);
	if (j->uids == NULL || j->seqs == NULL || j->res == NULL) {
		job_free(j);
		return NULL;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct view_msg *m = &c->view->msgs[l->seq[i] - 1];
		if (m->expunged)
			continue;
		j->seqs[j->n] = l->seq[i];
		j->uids[j->n++] = m->uid;
	}
	return j;
}

enum cmd_result imap_cmd_store(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	struct imap_seqset set = { 0 };
	struct imap_seqlist l;
	struct store_args a;
	if (imap_p_sp(p) < 0 || imap_p_seqset(p, &set) < 0 || imap_p_sp(p) < 0 ||
	    store_args(p, &a) < 0) {
		imap_seqset_free(&set);
		return imap_bad_syntax(c);
	}
	int e = imap_seqlist_collect(c->view, &set, c->active.uid, &l);
	imap_seqset_free(&set);
	if (e != 0)
		return e == -1 ? imap_done(c, "BAD", "invalid message sequence number")
		               : imap_done(c, "NO", "[SERVERBUG] out of memory");
	if (c->view->readonly) {
		imap_seqlist_free(&l);
		return imap_done(c, "NO", "[READ-ONLY] the mailbox is open read-only");
	}
	struct flag_job *j = job_new(c, &l, &a);
	imap_seqlist_free(&l);
	if (j == NULL)
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	return imap_job_start(c, &store_ops, j);
}
