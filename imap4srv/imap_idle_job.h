/*
 * imap_idle_job.h - idling sessions' updates when reads run off the loop.
 *
 * On PostgreSQL (imap_reads_inline() false) a changed mailbox's share
 * (imap_mailbox_share.h) is read as one STORE_JOB_READ job on the pool
 * for every session idling on it, from copies of what each view had
 * seen.  Back on the loop, a session still idling with its view as it
 * was takes the share and its updates go out at once; one that began
 * idling or changed its view meanwhile waits for the read started for
 * it next.  One read per mailbox is in flight at a time: a change that
 * comes meanwhile marks it to be read again when it ends.
 */
#ifndef IMAP_IDLE_JOB_H
#define IMAP_IDLE_JOB_H

#include "imap_client.h"
#include "imap_server.h"

#include <stddef.h>

/* Starts the read for the N sessions CS idling on one mailbox. */
void imap_idle_group_start(struct imap_server *srv, struct imap_client **cs, size_t n);

/* The clients idling with MAILBOX_ID selected (any mailbox when 0), in
 * *N; NULL when there are none or memory ran out (logged).  Free it. */
struct imap_client **imap_idlers(struct imap_server *srv, int64_t mailbox_id, size_t *n);

#endif
