/*
 * imap_expunge.h - removing messages from the selected mailbox, shared
 * by EXPUNGE, UID EXPUNGE (RFC 4315), CLOSE and MOVE (RFC 6851).
 */
#ifndef IMAP_EXPUNGE_H
#define IMAP_EXPUNGE_H

#include "imap_client.h"
#include "imap_seqset.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * Expunges the view's messages at sequence numbers SEQS (N of them,
 * ascending) in one store transaction, then drops them from the view,
 * sending "* n EXPUNGE" for each when ANNOUNCE (not for CLOSE).  A
 * message another session expunged first is skipped.  Returns 0, or -1
 * after a store failure (logged; nothing was expunged).
 */
int imap_expunge_seqs(struct imap_client *c, const uint32_t *seqs, size_t n, bool announce);

/*
 * Expunges every message with \Deleted (only those whose uid is in UIDS
 * when UIDS is not NULL).  Returns the number expunged, or -1 after a
 * store failure.
 */
long imap_expunge_deleted(struct imap_client *c, struct imap_seqset *uids, bool announce);

#endif
