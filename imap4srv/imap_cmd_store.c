/*
 * imap_cmd_store.c - STORE and UID STORE: setting, adding and removing
 * flags and keywords, with .SILENT, and CONDSTORE's UNCHANGEDSINCE
 * (RFC 7162), which leaves alone what changed since the client looked
 * and names it in [MODIFIED ...].  All changes of one command are one
 * store transaction: one disk sync, and other sessions see all or none.
 */
#include "imap_commands.h"
#include "imap_flags.h"
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

/* Changes one message inside the transaction; 1 when UNCHANGEDSINCE
 * held it back. */
static int change(struct imap_client *c, uint32_t seq, const struct store_args *a,
                  struct store_entry *now)
{
	struct store *st = c->srv->store;
	const struct view_msg *m = &c->view->msgs[seq - 1];
	if (store_entry_get(st, c->view->mb.id, m->uid, now) < 0)
		return -1;
	if (a->conditional && now->modseq > a->unchangedsince)
		return 1;
	store_entry_clear(now);
	if (store_entry_set_flags(st, c->view->mb.id, m->uid, a->mode, a->flags.flags,
	                          a->flags.keywords, NULL) < 0 ||
	    store_entry_get(st, c->view->mb.id, m->uid, now) < 0)
		return -1;
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

/* Runs the changes; marks in DONE[] which messages changed, adds the
 * held-back ones to MODIFIED.  0, or -1 after a store failure. */
static int apply(struct imap_client *c, const struct imap_seqlist *l,
                 const struct store_args *a, bool *done, struct imap_seqset *modified)
{
	struct store *st = c->srv->store;
	if (store_begin(st) < 0)
		return -1;
	for (size_t i = 0; i < l->n; i++) {
		struct store_entry now = { 0 };
		uint32_t seq = l->seq[i];
		if (c->view->msgs[seq - 1].expunged)
			continue;
		int r = change(c, seq, a, &now);
		if (r < 0 && store_last_error(st) == STORE_E_NOTFOUND)
			r = 2;     /* expunged meanwhile: the next sync says so */
		if (r == 0) {
			imap_view_set_flags(c->view, seq, now.flags, now.keywords, now.modseq);
			done[i] = true;
		} else if (r == 1) {
			imap_seqset_add(modified, c->active.uid ? c->view->msgs[seq - 1].uid : seq);
		}
		store_entry_clear(&now);
		if (r < 0) {
			store_rollback(st);
			return -1;
		}
	}
	return store_commit(st);
}

enum cmd_result imap_cmd_store(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	struct imap_seqset set = { 0 }, modified = { 0 };
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
	bool *done = calloc(l.n + 1, sizeof *done);
	if (done == NULL || apply(c, &l, &a, done, &modified) < 0) {
		free(done);
		imap_seqlist_free(&l);
		imap_seqset_free(&modified);
		return imap_store_failed(c, "STORE");
	}
	if (a.conditional)  /* UNCHANGEDSINCE enables CONDSTORE (RFC 7162 3.1) */
		imap_view_condstore_enable(c);
	bool with_modseq = c->enabled & IMAP_ENABLED_CONDSTORE;
	/* new keywords are announced even when .SILENT hides the FETCHes */
	if (a.mode != STORE_FLAGS_REMOVE)
		imap_view_flags_announce(c, a.flags.keywords);
	for (size_t i = 0; i < l.n; i++)
		if (done[i] && !a.silent)
			answer(c, l.seq[i], with_modseq);
	if (l.n > 0)
		imap_server_notify(c->srv, c->view->mb.id);
	free(done);
	imap_seqlist_free(&l);
	if (modified.n > 0) {
		char list[IMAP_TEXT_MAX - 64];
		imap_seqset_resolve(&modified, 0);
		imap_seqset_format(&modified, list, sizeof list);
		imap_seqset_free(&modified);
		return imap_done(c, "OK", "[MODIFIED %s] conditional STORE failed", list);
	}
	return imap_done(c, "OK", "STORE completed");
}
