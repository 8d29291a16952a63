/*
 * imap_seqlist.h - the sequence numbers a command's message set names in
 * the selected mailbox, collected once so that the command can work on
 * them in a store transaction and answer afterwards.
 */
#ifndef IMAP_SEQLIST_H
#define IMAP_SEQLIST_H

#include "imap_seqset.h"
#include "imap_view.h"

#include <stddef.h>
#include <stdint.h>

struct imap_seqlist {
	uint32_t *seq;          /* ascending, malloc'ed */
	size_t n, cap;
};

/*
 * Fills OUT with the members of SET (UID: a uid set) present in view V.
 * Returns 0; -1 when a sequence number is beyond the view (answer BAD);
 * -2 when memory ran out (logged).
 */
int imap_seqlist_collect(struct imap_view *v, struct imap_seqset *set, bool uid,
                         struct imap_seqlist *out);

void imap_seqlist_free(struct imap_seqlist *l);

#endif
