/*
 * imap_seqset.h - sequence sets ("1:4,7,9:*"), of message sequence
 * numbers or of UIDs: parsed from a command, then resolved against the
 * mailbox ("*" becomes the largest number in use) into sorted, merged
 * ranges that answer "is N in the set?" in O(log ranges).
 */
#ifndef IMAP_SEQSET_H
#define IMAP_SEQSET_H

#include "imap_parse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ranges one set may hold (a command line is bounded anyway). */
#define IMAP_SEQSET_MAX_RANGES 65536
/* How "*" is kept until imap_seqset_resolve(): 0 is never a valid member. */
#define IMAP_SEQ_STAR 0u

struct imap_range {
	uint32_t lo, hi;
};

struct imap_seqset {
	struct imap_range *r;  /* malloc'ed */
	size_t n, cap;
	bool resolved;
	bool saved;            /* "$": the saved search result (RFC 5182), no
	                        * ranges until imap_view_saved_set() fills them */
};

/*
 * Parses a sequence-set at the parser's cursor into OUT (which must be
 * zeroed or freed); "$" gives an empty set marked saved.  Returns 0, or -1 with p->error set (bad syntax, 0
 * as a member, too many ranges) or after logging that memory ran out.
 */
int imap_p_seqset(struct imap_parser *p, struct imap_seqset *out);

/* Frees the ranges and zeroes SET. */
void imap_seqset_free(struct imap_seqset *set);

/* Replaces "*" by MAX, puts each range low-to-high, then sorts and
 * merges the ranges. */
void imap_seqset_resolve(struct imap_seqset *set, uint32_t max);

/* True when V is in the resolved SET. */
bool imap_seqset_has(const struct imap_seqset *set, uint32_t v);

/* The largest member of the resolved SET (0 for an empty set). */
uint32_t imap_seqset_max(const struct imap_seqset *set);

/*
 * Writes the resolved SET compactly ("1:3,7") into OUT (OUTLEN bytes).
 * Returns 0, or -1 when it does not fit (OUT then holds a truncated but
 * terminated string).
 */
int imap_seqset_format(const struct imap_seqset *set, char *out, size_t outlen);

/* Appends member V to an unresolved set (for building UIDPLUS answers);
 * consecutive values extend the last range.  0 or -1 (logged). */
int imap_seqset_add(struct imap_seqset *set, uint32_t v);

#endif
