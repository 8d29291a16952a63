/*
 * imap_claims.h - the claim of \Recent (RFC 3501: the first session to
 * see a new message owns \Recent for it), through the process's one
 * store handle that never waits and never syncs (store_open_nowait()):
 * a claim that meets another writer's lock is given up, and one lost in
 * a crash only shows a message as \Recent again.  The loop and the read
 * jobs of the store pool (imap_job.h) share the handle under a mutex, so
 * a claim made off the loop costs no synced commit either.
 */
#ifndef IMAP_CLAIMS_H
#define IMAP_CLAIMS_H

#include "config.h"
#include "store.h"

#include <pthread.h>
#include <stdint.h>

struct imap_claims {
	pthread_mutex_t mu;
	struct store *st;
};

/* Opens K's handle from CFG: 0, or -1 (logged). */
int imap_claims_open(struct imap_claims *k, const struct ems_config *cfg);

/* Closes K's handle. */
void imap_claims_close(struct imap_claims *k);

/* store_entry_claim_recent() through K's handle, from any thread.
 * Returns 0, or -1 when the claim was given up. */
int imap_claim_recent(struct imap_claims *k, int64_t mailbox_id, uint32_t min_uid,
                      int (*cb)(uint32_t uid, void *arg), void *arg);

#endif
