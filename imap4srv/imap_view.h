/*
 * imap_view.h - the selected mailbox as one session sees it: the
 * messages in sequence-number order with their uid, flags, keywords and
 * modseq, which may lag behind the store until the protocol allows the
 * session to learn of a change.
 *
 * Other sessions and deliveries change the store at any time; the view
 * catches up in imap_view_sync(), called where RFC 3501 lets a server
 * send untagged EXISTS / RECENT / FETCH / EXPUNGE: at the end of each
 * command, and at once during IDLE.  Expunges by others are held back
 * while the client cannot be told (during FETCH, STORE and SEARCH), so
 * sequence numbers never shift under a command that uses them; an
 * expunged message still held stays readable (its message row outlives
 * the entry until the collector's grace period ends).
 *
 * With Message-Cap set, the view holds at most that many messages, the
 * first ones by uid; more become visible as these are expunged.
 */
#ifndef IMAP_VIEW_H
#define IMAP_VIEW_H

#include "imap_client.h"
#include "imap_seqset.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

struct view_msg {
	uint32_t uid;
	unsigned flags;             /* STORE_FLAG_*; RECENT: this session's \Recent */
	bool expunged;              /* gone from the store, EXPUNGE not sent yet */
	uint16_t prefix_len;        /* the entry's own trace fields (store_mail.h);
	                               in the padding: views are per message */
	uint64_t modseq;
	int64_t message_id;
	int64_t size;               /* prefix included */
	int64_t internal_date;
	char *keywords;             /* NULL when none */
};

_Static_assert(STORE_PREFIX_MAX <= UINT16_MAX, "a prefix length fits a view_msg");

struct imap_view {
	struct store_mailbox mb;    /* id, name, uidvalidity, uidnext ... */
	bool readonly;              /* EXAMINE */
	struct view_msg *msgs;      /* msgs[seq - 1] */
	uint32_t n, cap;
	uint64_t modseq;            /* store changes up to this are in the view */
	uint32_t recent;            /* messages with this session's \Recent */
	uint32_t limit;             /* Message-Cap, 0 = none */
	char *announced;            /* keywords FLAGS listed to the session */
	struct imap_seqset saved;   /* uids SEARCH RETURN (SAVE) kept (RFC 5182) */
};

/*
 * Selects mailbox MB (copied): loads its entries from ST (up to LIMIT,
 * Message-Cap, 0 for all), and unless READONLY takes \Recent of them
 * for this session through CLAIMS (imap_claims.h).  Touches nothing but
 * its arguments, so it runs in a read job (imap_job.h).  Returns the view,
 * or NULL after a store failure or running out of memory (logged).
 */
struct imap_view *imap_view_load(struct store *st, struct imap_claims *claims,
                                 const struct store_mailbox *mb, bool readonly,
                                 uint32_t limit);

/* Frees V (NULL is fine). */
void imap_view_free(struct imap_view *v);

/*
 * Brings the view up to date with the store and tells the client:
 * "* n EXISTS" / "* n RECENT" for new messages, "* n FETCH (FLAGS ...)"
 * for flags others changed, and, when ALLOW_EXPUNGE, "* n EXPUNGE" for
 * messages others expunged (one "* VANISHED uid-set" with QRESYNC).
 * Cheap when nothing changed (one row read).
 * Returns 0, or -1 after logging a store failure (the view stays as it
 * was; the next sync tries again).
 */
int imap_view_sync(struct imap_client *c, bool allow_expunge);

/*
 * The same before a command's tagged answer, as a read job
 * (imap_read_start()): the command is suspended while the changes are
 * read, then the updates go out and imap_command_finish() sends the
 * tagged answer it kept (c->active.synced set).  Returns CMD_SUSPEND,
 * or CMD_DONE when it ran at once (or could not start: the next sync
 * catches up).  A mailbox deleted meanwhile ends the session
 * (imap_view_gone()).
 */
enum cmd_result imap_view_sync_start(struct imap_client *c, bool allow_expunge);

/* The same in the middle of a command (EXPUNGE: the \Deleted others set
 * count too): once the updates went out, THEN(C) continues the command
 * and its result is the command's. */
enum cmd_result imap_view_sync_then(struct imap_client *c, bool allow_expunge,
                                    enum cmd_result (*then)(struct imap_client *c));

/* Ends C's session: its selected mailbox was deleted by another. */
void imap_view_gone(struct imap_client *c);

struct imap_share;

/*
 * Brings C's view up to date from share S (imap_mailbox_share.h: read
 * once for every session on the mailbox, after imap_share_want() for
 * this view) and tells the client, as imap_view_sync() does.  The first
 * view to hold a uid S claimed \Recent for takes it.  Returns 0, or -1
 * when out of memory or the output failed.
 */
int imap_view_apply(struct imap_client *c, struct imap_share *s, bool allow_expunge);

/* The sequence number of UID in the view, 0 when it is not there. */
uint32_t imap_view_seq(const struct imap_view *v, uint32_t uid);

/* The largest uid in the view (0 when empty). */
uint32_t imap_view_max_uid(const struct imap_view *v);

/*
 * Resolves a sequence set (UID: a uid set) against the view and calls
 * CB with each member's sequence number in ascending order until CB
 * returns non-zero.  Sequence numbers beyond the view are an error:
 * returns -1 then (the caller answers BAD); uids not in the view are
 * skipped, as RFC 3501 says.  "$" is the saved result.  Returns 0,
 * -2 when out of memory, or CB's non-zero value.
 */
int imap_view_each(struct imap_view *v, struct imap_seqset *set, bool uid,
                   int (*cb)(uint32_t seq, void *arg), void *arg);

/*
 * The saved search result of RFC 5182, kept as uids so that it follows
 * expunges.  imap_view_save() replaces it with the N ascending UIDS and
 * returns 0, or -1 when out of memory (logged; the result is then empty).
 */
int imap_view_save(struct imap_view *v, const uint32_t *uids, size_t n);

/* When SET is "$", fills it with the saved result: its uids (UID) or
 * the sequence numbers of those still in the view.  0, or -1 when out
 * of memory (logged).  imap_view_each() does this itself. */
int imap_view_saved_set(struct imap_view *v, struct imap_seqset *set, bool uid);

/* Removes message SEQ after this session expunged it and sends
 * "* SEQ EXPUNGE" (with QRESYNC enabled: "* VANISHED uid"). */
int imap_view_expunged(struct imap_client *c, uint32_t seq);

/* Updates message SEQ after this session changed its flags in the store
 * (so the next sync does not report the change back). */
void imap_view_set_flags(struct imap_view *v, uint32_t seq, unsigned flags,
                         const char *keywords, uint64_t modseq);

/* Sends "* n FETCH (UID FLAGS MODSEQ)" for each message whose modseq is
 * above SINCE and whose uid is in KNOWN (resolved; NULL for all): a
 * QRESYNC client's flag changes (RFC 7162 3.2.5).  Returns 0 or -1 when
 * the output failed. */
int imap_view_send_changed(struct imap_client *c, const struct imap_seqset *known,
                           uint64_t since);

/* The first message without \Seen (0 when none): SELECT's [UNSEEN n]. */
uint32_t imap_view_first_unseen(const struct imap_view *v);

/* ---- imap_view_flags.c ---- */

/* Starts V's announced keywords with those of its messages (at SELECT).
 * Returns 0, or -1 when out of memory (logged). */
int imap_view_flags_init(struct imap_view *v);

/* Sends "* FLAGS (...)" with the system flags and the announced keywords,
 * and "* OK [PERMANENTFLAGS (...)]" (empty when read-only).  Returns what
 * imap_untagged() returns. */
int imap_view_flags_send(struct imap_client *c);

/* Writes message M's flag list "(\\Seen $Kw)" for C: \\Recent only
 * outside IMAP4rev2, which has none (RFC 9051 appendix E).  Returns what
 * the output returns. */
int imap_view_flags_write(struct imap_client *c, const struct view_msg *m);

/* Turns CONDSTORE on for C's session.  A CONDSTORE-enabling command
 * issued while a mailbox is selected is answered with the mailbox's
 * HIGHESTMODSEQ before the tagged reply (RFC 7162 3.1), so the first one
 * sends "* OK [HIGHESTMODSEQ n]"; later calls do nothing. */
void imap_view_condstore_enable(struct imap_client *c);

/*
 * Call before any FETCH that shows KEYWORDS (space-separated; NULL is
 * none): when one of them was not announced to this session yet, adds
 * it and sends FLAGS and PERMANENTFLAGS again (RFC 3501 7.2.6).
 * Returns 0, or -1 when out of memory or the output failed.
 */
int imap_view_flags_announce(struct imap_client *c, const char *keywords);

#endif
