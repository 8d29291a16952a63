/*
 * imap_vanished.h - QRESYNC's VANISHED responses (RFC 7162 3.2.10):
 * the uids a session learns are gone, instead of "* n EXPUNGE" once the
 * client enabled QRESYNC, and the "(EARLIER)" form that tells a
 * resynchronising client which of the uids it knows vanished since a
 * modseq.
 */
#ifndef IMAP_VANISHED_H
#define IMAP_VANISHED_H

#include "imap_client.h"
#include "imap_seqset.h"

#include <stdbool.h>
#include <stdint.h>

/* Sends "* VANISHED [(EARLIER) ]uid-set" for the resolved set UIDS;
 * nothing when it is empty.  Returns what imap_outf() returns. */
int imap_vanished_write(struct imap_client *c, const struct imap_seqset *uids, bool earlier);

/*
 * The uids of KNOWN (a resolved uid set; NULL for all) that were
 * expunged after modseq SINCE, for "* VANISHED (EARLIER) ...", into *OUT
 * (free it with imap_seqset_free()), read through ST for view V: a read
 * job's part (imap_job.h), V the job's own or a copy.  When the
 * collector has purged expunge marks above SINCE, those uids are no
 * longer known one by one, and the answer is every uid of KNOWN below
 * uidnext that V does not hold, as RFC 7162 3.2.5.2 allows, except those
 * up to AGREED (from imap_vanished_agreed(); 0 for none).  Returns 0, or
 * -1 after a store failure or out of memory (logged; *OUT empty).
 */
int imap_vanished_find(struct store *st, const struct imap_view *v,
                       const struct imap_seqset *known, uint64_t since, uint32_t agreed,
                       struct imap_seqset *out);

/*
 * QRESYNC's seq-match-data (RFC 7162 3.2.5.2): SEQS and UIDS (resolved)
 * pair the client's sequence numbers with the uids it had for them.
 * Returns the uid of the last pair, in order, before the first one the
 * view V disagrees with: no message up to it vanished from the client's
 * view.  0 when the first pair disagrees, the sets are empty or of
 * different sizes.
 */
uint32_t imap_vanished_agreed(const struct imap_view *v, const struct imap_seqset *seqs,
                              const struct imap_seqset *uids);

#endif
