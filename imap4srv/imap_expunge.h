/*
 * imap_expunge.h - removing the \Deleted messages of the selected
 * mailbox, shared by EXPUNGE, UID EXPUNGE (RFC 4315) and CLOSE.  The
 * store work runs on a store thread (imap_job.h): planned on the loop,
 * run on the thread, applied to the view on the loop after the commit.
 */
#ifndef IMAP_EXPUNGE_H
#define IMAP_EXPUNGE_H

#include "imap_client.h"
#include "imap_seqset.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A planned expunge: the messages by sequence number and uid. */
struct imap_expunge {
	int64_t mailbox;
	size_t n;
	uint32_t *seqs;     /* ascending */
	uint32_t *uids;
};

/*
 * Plans the expunge of every message of the view with \Deleted (only
 * those whose uid is in UIDS when UIDS is not NULL).  Returns the plan
 * (free it with imap_expunge_free()), or NULL when out of memory
 * (logged).
 */
struct imap_expunge *imap_expunge_plan(struct imap_client *c, struct imap_seqset *uids);

/* On a store thread, inside the job's transaction: marks the entries of
 * plan X expunged (one another session expunged first is skipped).
 * Returns 0, or -1 after a store failure.  An imap_job_ops run. */
int imap_expunge_run(struct store *st, void *x);

/* On the loop, after the commit: drops X's messages from the view,
 * sending "* n EXPUNGE" (or VANISHED) for each when ANNOUNCE (not for
 * CLOSE), and tells the other sessions. */
void imap_expunge_apply(struct imap_client *c, const struct imap_expunge *x, bool announce);

/* Frees plan X (NULL is fine).  An imap_job_ops free. */
void imap_expunge_free(void *x);

#endif
