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
 * Sends "* VANISHED (EARLIER) ..." with the uids of KNOWN (a resolved uid
 * set; NULL for all) that were expunged after modseq SINCE.  When the
 * collector has purged expunge marks above SINCE, those uids are no
 * longer known one by one, and the answer is every uid of KNOWN below
 * uidnext that the selected mailbox does not hold, as RFC 7162 3.2.5.2
 * allows.  Returns 0, or -1 after a store failure or out of memory
 * (logged).
 */
int imap_vanished_since(struct imap_client *c, const struct imap_seqset *known,
                        uint64_t since);

#endif
