/*
 * imap_cmd_copy.c - COPY and MOVE (RFC 6851), plain and UID forms.  The
 * copies of one command are one store transaction; MOVE expunges the
 * originals in that same transaction, so a message is never in both
 * mailboxes nor in neither.  The answer carries UIDPLUS's COPYUID (RFC
 * 4315): untagged before the EXPUNGEs for MOVE, tagged for COPY.
 */
#include "imap_commands.h"
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

struct copy_job {
	struct imap_seqlist l;
	struct store_mailbox dest;
	struct imap_seqset src, dst;    /* uids, for COPYUID */
	bool *copied;                   /* per member of l */
};

static void job_free(struct copy_job *j)
{
	imap_seqlist_free(&j->l);
	store_mailbox_clear(&j->dest);
	imap_seqset_free(&j->src);
	imap_seqset_free(&j->dst);
	free(j->copied);
}

/* Copies (and for MOVE expunges) in one transaction. */
static int copy_all(struct imap_client *c, struct copy_job *j, bool move)
{
	struct store *st = c->srv->store;
	struct imap_view *v = c->view;
	if (store_begin(st) < 0)
		return -1;
	for (size_t i = 0; i < j->l.n; i++) {
		const struct view_msg *m = &v->msgs[j->l.seq[i] - 1];
		uint32_t uid;
		if (m->expunged)
			continue;
		if (store_entry_copy(st, v->mb.id, m->uid, j->dest.id, &uid) < 0 ||
		    (move && store_entry_expunge(st, v->mb.id, m->uid) < 0)) {
			if (store_last_error(st) == STORE_E_NOTFOUND)
				continue;   /* expunged by another session meanwhile */
			store_rollback(st);
			return -1;
		}
		if (imap_seqset_add(&j->src, m->uid) < 0 || imap_seqset_add(&j->dst, uid) < 0) {
			store_rollback(st);
			return -1;
		}
		j->copied[i] = true;
	}
	return store_commit(st);
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
	char name[IMAP_NAME_MAX + 1];
	const char *why = NULL;
	int e;
	if (imap_p_sp(p) < 0 || imap_p_seqset(p, &set) < 0 || imap_p_sp(p) < 0 ||
	    (e = imap_p_mailbox(p, name, &why)) == -1 || imap_p_end(p) < 0) {
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
	if (store_mailbox_find(c->srv->store, c->person_id, name, &j->dest) < 0) {
		*r = store_last_error(c->srv->store) == STORE_E_NOTFOUND
		     ? imap_done(c, "NO", "[TRYCREATE] no such mailbox")
		     : imap_store_failed(c, c->active.name);
		return -1;
	}
	return 0;
}

static enum cmd_result copy_or_move(struct imap_client *c, bool move)
{
	struct copy_job j;
	enum cmd_result r;
	char src[COPYUID_MAX], dst[COPYUID_MAX];
	memset(&j, 0, sizeof j);
	if (prepare(c, &j, &r) < 0) {
		job_free(&j);
		return r;
	}
	if (move && c->view->readonly) {
		job_free(&j);
		return imap_done(c, "NO", "[READ-ONLY] the mailbox is open read-only");
	}
	int q = imap_quota_check(c, total_size(c->view, &j.l), (int64_t)j.l.n);
	if (q != 0) {
		job_free(&j);
		return q > 0 ? imap_done(c, "NO", "[OVERQUOTA] the quota does not allow it")
		             : imap_store_failed(c, c->active.name);
	}
	j.copied = calloc(j.l.n + 1, sizeof *j.copied);
	if (j.copied == NULL || copy_all(c, &j, move) < 0) {
		job_free(&j);
		return imap_store_failed(c, c->active.name);
	}
	imap_server_notify(c->srv, j.dest.id);
	bool uidplus = j.src.n > 0 && imap_seqset_format(&j.src, src, sizeof src) == 0 &&
	               imap_seqset_format(&j.dst, dst, sizeof dst) == 0;
	if (move) {
		if (uidplus)
			imap_untagged(c, "OK [COPYUID %u %s %s] moved", j.dest.uidvalidity, src, dst);
		for (size_t i = j.l.n; i > 0; i--)
			if (j.copied[i - 1])
				imap_view_expunged(c, j.l.seq[i - 1]);
		imap_server_notify(c->srv, c->view->mb.id);
		job_free(&j);
		return imap_done(c, "OK", "MOVE completed");
	}
	uint32_t validity = j.dest.uidvalidity;
	job_free(&j);
	if (uidplus && strlen(src) + strlen(dst) < IMAP_TEXT_MAX - 64)
		return imap_done(c, "OK", "[COPYUID %u %s %s] COPY completed", validity, src, dst);
	return imap_done(c, "OK", "COPY completed");
}

enum cmd_result imap_cmd_copy(struct imap_client *c)
{
	return copy_or_move(c, false);
}

enum cmd_result imap_cmd_move(struct imap_client *c)
{
	return copy_or_move(c, true);
}
