/*
 * store_view.c - what an IMAP session reads and claims besides plain
 * entries: \Recent, which belongs to the first session that sees a new
 * message, the counts STATUS reports, and how far back expunges are
 * remembered (QRESYNC); see store_mail.h.
 */
#include "store_internal.h"
#include "log.h"

#include <string.h>

struct claim_walk {
	int (*cb)(uint32_t uid, void *arg);
	void *arg;
};

static int claim_each(struct store_stmt *s, void *ctx)
{
	struct claim_walk *w = ctx;
	return w->cb((uint32_t)store_col_int64(s, 0), w->arg);
}

int store_entry_claim_recent(struct store *st, int64_t mailbox_id, uint32_t min_uid,
                             int (*cb)(uint32_t uid, void *arg), void *arg)
{
	struct claim_walk w = { cb, arg };
	/* One statement: two sessions claiming at once each get a disjoint
	 * part, never the same uid. */
	struct store_stmt *s = store_stmt(st,
	    "UPDATE entries SET flags = flags & ~32 WHERE mailbox_id = ?1 AND uid >= ?2"
	    " AND expunged IS NULL AND (flags & 32) <> 0 RETURNING uid");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, mailbox_id);
	store_bind_int64(s, 2, min_uid);
	return store_each_row(st, s, "claim_recent", claim_each, &w);
}

int store_mailbox_counts(struct store *st, int64_t mailbox_id,
                         struct store_mailbox_counts *out)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT count(*),"
	    " coalesce(sum(CASE WHEN (e.flags & 32) <> 0 THEN 1 ELSE 0 END), 0),"
	    " coalesce(sum(CASE WHEN (e.flags & 1) = 0 THEN 1 ELSE 0 END), 0),"
	    " coalesce(sum(CASE WHEN (e.flags & 8) <> 0 THEN 1 ELSE 0 END), 0),"
	    " coalesce(sum(g.size + coalesce(length(e.prefix), 0)), 0)"
	    " FROM entries e LEFT JOIN messages g ON g.id = e.message_id"
	    " WHERE e.mailbox_id = ?1 AND e.expunged IS NULL");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, mailbox_id);
	if (store_step_row(st, s, "mailbox_counts", "no counts") < 0)
		return -1;
	memset(out, 0, sizeof *out);
	out->messages = store_col_int64(s, 0);
	out->recent = store_col_int64(s, 1);
	out->unseen = store_col_int64(s, 2);
	out->deleted = store_col_int64(s, 3);
	out->bytes = store_col_int64(s, 4);
	store_reset(s);
	return 0;
}

int store_mailbox_vanished_floor(struct store *st, int64_t mailbox_id, uint64_t *floor)
{
	struct store_stmt *s = store_stmt(st, "SELECT vanished_floor FROM mailboxes WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, mailbox_id);
	if (store_step_row(st, s, "vanished_floor", "no such mailbox") < 0)
		return -1;
	*floor = (uint64_t)store_col_int64(s, 0);
	store_reset(s);
	return 0;
}
