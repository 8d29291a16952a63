/*
 * imap_cmd_copy.c - COPY and MOVE (RFC 6851), plain and UID forms.  The
 * copies of one command are one savepoint of a group commit; MOVE expunges the
 * originals in that same transaction, so a message is never in both
 * mailboxes nor in neither.  The answer carries UIDPLUS's COPYUID (RFC
 * 4315): untagged before the EXPUNGEs for MOVE, tagged for COPY.  The
 * store work runs on a store thread (imap_job.h), the target's lookup
 * and the quota check with it, in its transaction.
 */
#include "imap_commands.h"
#include "imap_job.h"
#include "imap_names.h"
#include "imap_quota.h"
#include "imap_seqlist.h"
#include "imap_view.h"
#include "log.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for the two uid sets of a COPYUID code. */
#define COPYUID_MAX 8192

/* One COPY or MOVE: planned on the loop, run on a store thread. */
struct copy_job {
	bool move;
	int64_t person;
	char name[IMAP_NAME_MAX + 1];   /* the target, found by the job */
	int64_t size;                   /* of the messages copied */
	const char *refused;            /* the job's own NO: no such mailbox, quota */
	int64_t source;                 /* the selected mailbox */
	struct imap_seqlist l;
	uint32_t *uids;                 /* per member of l; 0: expunged already */
	struct store_mailbox dest;
	struct imap_seqset src, dst;    /* uids, for COPYUID */
	bool *copied;                   /* per member of l */
};

static void job_free(void *arg)
{
	struct copy_job *j = arg;
	imap_seqlist_free(&j->l);
	store_mailbox_clear(&j->dest);
	imap_seqset_free(&j->src);
	imap_seqset_free(&j->dst);
	free(j->uids);
	free(j->copied);
	free(j);
}

/* The target and the quota, read inside the write's transaction: 0, or
 * -1 with J->refused set, or after a store failure. */
static int check(struct store *st, struct copy_job *j)
{
	if (store_mailbox_find(st, j->person, j->name, &j->dest) < 0) {
		if (store_last_error(st) == STORE_E_NOTFOUND)
			j->refused = "[TRYCREATE] no such mailbox";
		return -1;
	}
	int q = imap_quota_check(st, j->person, j->size, (int64_t)j->l.n);
	if (q > 0)
		j->refused = "[OVERQUOTA] the quota does not allow it";
	return q == 0 ? 0 : -1;
}

/* On a store thread: copies (and for MOVE expunges) inside the job's
 * savepoint, so all of it or nothing. */
static int copy_all(struct store *st, void *arg)
{
	struct copy_job *j = arg;
	if (check(st, j) < 0)
		return -1;
	for (size_t i = 0; i < j->l.n; i++) {
		uint32_t uid;
		if (j->uids[i] == 0)
			continue;
		if (store_entry_copy(st, j->source, j->uids[i], j->dest.id, &uid) < 0 ||
		    (j->move && store_entry_expunge(st, j->source, j->uids[i]) < 0)) {
			if (store_last_error(st) == STORE_E_NOTFOUND)
				continue;   /* expunged by another session meanwhile */
			return -1;
		}
		if (imap_seqset_add(&j->src, j->uids[i]) < 0 || imap_seqset_add(&j->dst, uid) < 0)
			return -1;
		j->copied[i] = true;
	}
	return 0;
}

static int64_t total_size(const struct imap_view *v, const struct imap_seqlist *l)
{
	int64_t sum = 0;
	for (size_t i = 0; i < l->n; i++)
		sum += v->msgs[l->seq[i] - 1].size;
	return sum;
}

/* Parses the arguments and finds what to copy where; the answer in *R
 * when that fails. */
static int prepare(struct imap_client *c, struct copy_job *j, enum cmd_result *r)
{
	struct imap_parser *p = &c->active.p;
	struct imap_seqset set = { 0 };
	const char *why = NULL;
	int e;
	if (imap_p_sp(p) < 0 || imap_p_seqset(p, &set) < 0 || imap_p_sp(p) < 0 ||
	    (e = imap_p_mailbox(p, j->name, &why)) == -1 || imap_p_end(p) < 0) {
		imap_seqset_free(&set);
		*r = imap_bad_syntax(c);
		return -1;
	}
	if (e == -2) {
		imap_seqset_free(&set);
		*r = imap_done(c, "NO", "[CANNOT] %s", why);
		return -1;
	}
	e = imap_seqlist_collect(c->view, &set, c->active.uid, &j->l);
	imap_seqset_free(&set);
	if (e != 0) {
		*r = e == -1 ? imap_done(c, "BAD", "invalid message sequence number")
		             : imap_done(c, "NO", "[SERVERBUG] out of memory");
		return -1;
	}
	return 0;
}

/* Back on the loop after the commit: COPYUID, MOVE's EXPUNGEs. */
static enum cmd_result apply(struct imap_client *c, void *arg, int rc, enum store_error err)
{
	struct copy_job *j = arg;
	char src[COPYUID_MAX], dst[COPYUID_MAX];
	if (rc < 0 && j->refused != NULL)
		return imap_done(c, "NO", "%s", j->refused);
	if (rc < 0)
		return imap_job_failed(c, err);
	imap_server_notify(c->srv, j->dest.id);
	bool uidplus = j->src.n > 0 && imap_seqset_format(&j->src, src, sizeof src) == 0 &&
	               imap_seqset_format(&j->dst, dst, sizeof dst) == 0;
	if (j->move) {
		if (uidplus)
			imap_untagged(c, "OK [COPYUID %u %s %s] moved", j->dest.uidvalidity, src, dst);
		for (size_t i = j->l.n; i > 0; i--)
			if (j->copied[i - 1])
				imap_view_expunged(c, j->l.seq[i - 1]);
		imap_server_notify(c->srv, c->view->mb.id);
		return imap_done(c, "OK", "MOVE completed");
	}
	if (uidplus && strlen(src) + strlen(dst) < IMAP_TEXT_MAX - 64)
		return imap_done(c, "OK", "[COPYUID %u %s %s] COPY completed", j->dest.uidvalidity,
		                 src, dst);
	return imap_done(c, "OK", "COPY completed");
}

static const struct imap_job_ops copy_ops = { STORE_JOB_WRITE, copy_all, apply, job_free };

/* The uids the job copies, from the view (the thread must not read it). */
static int collect_uids(const struct imap_view *v, struct copy_job *j)
{
	j->uids = calloc(j->l.n + 1, sizeof *j->uids);
	j->copied = calloc(j->l.n + 1, sizeof *j->copied);
	if (j->uids == NULL || j->copied == NULL)
		return -1;
	for (size_t i = 0; i < j->l.n; i++) {
		const struct view_msg *m = &v->msgs[j->l.seq[i] - 1];
		j->uids[i] = m->expunged ? 0 : m->uid;
	}
	return 0;
}

static enum cmd_result copy_or_move(struct imap_client *c, bool move)
{
	enum cmd_result r;
	struct copy_job *j = calloc(1, sizeof *j);
	if (j == NULL)
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	j->move = move;
	j->person = c->person_id;
	j->source = c->view->mb.id;
	if (prepare(c, j, &r) < 0) {
		job_free(j);
		return r;
	}
	if (move && c->view->readonly) {
		job_free(j);
		return imap_done(c, "NO", "[READ-ONLY] the mailbox is open read-only");
	}
	j->size = total_size(c->view, &j->l);
	if (collect_uids(c->view, j) < 0) {
		job_free(j);
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	}
	return imap_job_start(c, &copy_ops, j);
}

enum cmd_result imap_cmd_copy(struct imap_client *c)
{
	return copy_or_move(c, false);
}

enum cmd_result imap_cmd_move(struct imap_client *c)
{
	return copy_or_move(c, true);
}
