/*
 * imap_seqlist.c - collecting the messages a set names; see
 * imap_seqlist.h.
 */
#include "imap_seqlist.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static int add(uint32_t seq, void *arg)
{
	struct imap_seqlist *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		uint32_t *s = realloc(l->seq, cap * sizeof *s);
		if (s == NULL) {
			log_error("imap_seqlist", "error=\"out of memory\" count=%zu", l->n);
			return -2;
		}
		l->seq = s;
		l->cap = cap;
	}
	l->seq[l->n++] = seq;
	return 0;
}

int imap_seqlist_collect(struct imap_view *v, struct imap_seqset *set, bool uid,
                         struct imap_seqlist *out)
{
	memset(out, 0, sizeof *out);
	int r = imap_view_each(v, set, uid, add, out);
	if (r != 0)
		imap_seqlist_free(out);
	return r;
}

void imap_seqlist_free(struct imap_seqlist *l)
{
	free(l->seq);
	memset(l, 0, sizeof *l);
}
