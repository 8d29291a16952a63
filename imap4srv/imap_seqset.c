/*
 * imap_seqset.c - parsing, resolving and testing sequence sets; see
 * imap_seqset.h.  FETCH, STORE, COPY, MOVE, SEARCH and UID EXPUNGE take
 * their message sets through here; COPYUID and APPENDUID answers are
 * built with imap_seqset_add() and imap_seqset_format().
 */
#include "imap_seqset.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push(struct imap_seqset *set, uint32_t lo, uint32_t hi)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 8;
		struct imap_range *r = realloc(set->r, cap * sizeof *r);
		if (r == NULL) {
			log_error("imap_seqset", "error=\"out of memory\"");
			return -1;
		}
		set->r = r;
		set->cap = cap;
	}
	set->r[set->n].lo = lo;
	set->r[set->n].hi = hi;
	set->n++;
	return 0;
}

static int seq_number(struct imap_parser *p, uint32_t *v)
{
	if (imap_p_eat(p, '*')) {
		*v = IMAP_SEQ_STAR;
		return 0;
	}
	return imap_p_nz_number(p, v);
}

int imap_p_seqset(struct imap_parser *p, struct imap_seqset *out)
{
	memset(out, 0, sizeof *out);
	if (imap_p_eat(p, '$')) {
		out->saved = true;
		return 0;
	}
	do {
		uint32_t lo, hi;
		if (seq_number(p, &lo) < 0)
			goto fail;
		hi = lo;
		if (imap_p_eat(p, ':') && seq_number(p, &hi) < 0)
			goto fail;
		if (out->n >= IMAP_SEQSET_MAX_RANGES) {
			p->error = "sequence set too long";
			goto fail;
		}
		if (push(out, lo, hi) < 0) {
			p->error = "out of memory";
			goto fail;
		}
	} while (imap_p_eat(p, ','));
	return 0;
fail:
	imap_seqset_free(out);
	return -1;
}

void imap_seqset_free(struct imap_seqset *set)
{
	free(set->r);
	memset(set, 0, sizeof *set);
}

static int by_lo(const void *a, const void *b)
{
	const struct imap_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

void imap_seqset_resolve(struct imap_seqset *set, uint32_t max)
{
	for (size_t i = 0; i < set->n; i++) {
		struct imap_range *r = &set->r[i];
		if (r->lo == IMAP_SEQ_STAR)
			r->lo = max;
		if (r->hi == IMAP_SEQ_STAR)
			r->hi = max;
		if (r->lo > r->hi) {
			uint32_t t = r->lo;
			r->lo = r->hi;
			r->hi = t;
		}
	}
	if (set->n > 1)
		qsort(set->r, set->n, sizeof *set->r, by_lo);
	size_t w = 0;
	for (size_t i = 0; i < set->n; i++) {
		if (w > 0 && set->r[i].lo <= (uint64_t)set->r[w - 1].hi + 1) {
			if (set->r[i].hi > set->r[w - 1].hi)
				set->r[w - 1].hi = set->r[i].hi;
		} else {
			set->r[w++] = set->r[i];
		}
	}
	set->n = w;
	set->resolved = true;
}

bool imap_seqset_has(const struct imap_seqset *set, uint32_t v)
{
	size_t lo = 0, hi = set->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v < set->r[mid].lo)
			hi = mid;
		else if (v > set->r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

uint32_t imap_seqset_max(const struct imap_seqset *set)
{
	return set->n ? set->r[set->n - 1].hi : 0;
}

int imap_seqset_format(const struct imap_seqset *set, char *out, size_t outlen)
{
	size_t len = 0;
	if (outlen == 0)
		return -1;
	out[0] = '\0';
	for (size_t i = 0; i < set->n; i++) {
		const struct imap_range *r = &set->r[i];
		int n = r->lo == r->hi
		        ? snprintf(out + len, outlen - len, "%s%u", i ? "," : "", r->lo)
		        : snprintf(out + len, outlen - len, "%s%u:%u", i ? "," : "", r->lo, r->hi);
		if (n < 0 || (size_t)n >= outlen - len)
			return -1;
		len += (size_t)n;
	}
	return 0;
}

int imap_seqset_add(struct imap_seqset *set, uint32_t v)
{
	if (set->n > 0 && set->r[set->n - 1].hi != UINT32_MAX &&
	    set->r[set->n - 1].hi + 1 == v) {
		set->r[set->n - 1].hi = v;
		return 0;
	}
	return push(set, v, v);
}
