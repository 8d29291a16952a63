/*
 * imap_mailbox_share.h - what changed in one mailbox, read from the store
 * once and applied to every session that has it selected.
 *
 * One delivery to a mailbox that N sessions watch used to cost N reads
 * of the same rows on the loop (and N \Recent claims, each a write), so
 * the last idling client heard of it N reads later.  A share is read
 * once for all of them instead: the mailbox's HIGHESTMODSEQ and UIDNEXT,
 * the entries changed since the oldest modseq any of the sessions has
 * seen (flags and expunges), the live entries above the lowest uid any
 * of them lacks, and one \Recent claim.  Each session then applies it to
 * its own view (imap_view_apply() in imap_view.h), keeping its own
 * sequence numbers, \Recent and held-back expunges.  A single session's
 * sync is a share of one.
 *
 * Use: imap_share_head(), imap_share_want() for each view, then
 * imap_share_read(), imap_view_apply() for each view, imap_share_free().
 * The first three are store work only, on the views' imap_share_seen
 * copies: a job may run them (imap_view_sync_start()).
 */
#ifndef IMAP_MAILBOX_SHARE_H
#define IMAP_MAILBOX_SHARE_H

#include "imap_claims.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

struct imap_view;

struct imap_share {
	int64_t mailbox_id;
	uint64_t highest;             /* HIGHESTMODSEQ when the head was read */
	uint32_t uidnext;
	bool want_changes;
	uint64_t since;               /* changed: entries with modseq above it */
	bool want_fresh;
	uint32_t from_uid;            /* fresh: live entries from this uid */
	bool want_claim;              /* some view may take \Recent */
	uint32_t claim_from;
	struct store_entry *changed;  /* live or expunged, uid order */
	uint32_t n_changed, cap_changed;
	struct store_entry *fresh;    /* live, uid order */
	uint32_t n_fresh, cap_fresh;
	uint32_t *claimed;            /* \Recent uids not yet given to a
	                                 session; 0 once one has it */
	uint32_t n_claimed, cap_claimed;
	bool oom;                     /* a list ran out of memory (logged) */
};

/*
 * Starts S for MAILBOX_ID: reads its HIGHESTMODSEQ and UIDNEXT through ST.
 * Returns 0, or -1 after logging a store failure (store_last_error()
 * says STORE_E_NOTFOUND when the mailbox was deleted); S needs
 * imap_share_free() either way.
 */
int imap_share_head(struct imap_share *s, struct store *st, int64_t mailbox_id);

/* What a share needs of one view to know what it has not seen yet:
 * copied on the loop, so that a job can read the share off it. */
struct imap_share_seen {
	uint64_t modseq;
	uint32_t uidnext;
	uint32_t max_uid;
	uint32_t n, limit;
	bool readonly;
};

/* V's part of a share. */
void imap_share_seen_of(const struct imap_view *v, struct imap_share_seen *out);

/* Widens S to what a view that has seen SEEN (of S's mailbox) has not
 * seen yet. */
void imap_share_want(struct imap_share *s, const struct imap_share_seen *seen);

/*
 * Reads what the views given to imap_share_want() need through ST, and
 * when new entries came and a view may take \Recent, claims it once
 * through CLAIMS (imap_claims.h: a claim that meets another writer's
 * lock is given up, and those messages are \Recent nowhere here).  Returns 0, or -1 after logging a store failure or running out
 * of memory.
 */
int imap_share_read(struct imap_share *s, struct store *st, struct imap_claims *claims);

/* Frees what S holds (S itself belongs to the caller). */
void imap_share_free(struct imap_share *s);

#endif
