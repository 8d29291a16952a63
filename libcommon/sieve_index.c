/*
 * sieve_index.c - the index extension (RFC 5260 6): which occurrence of
 * a header field the header, address and date tests look at.  Without
 * :index a test sees every occurrence; with it, only the Nth from the
 * top, or with :last the Nth from the bottom.
 */
#include "sieve_internal.h"

#include "header.h"

struct nth_field {
	size_t want, seen;
	int (*each)(const char *value, size_t len, void *arg);
	void *arg;
};

static int nth_each(const char *value, size_t len, void *arg)
{
	struct nth_field *f = arg;
	return f->seen++ == f->want ? f->each(value, len, f->arg) : 0;
}

int sv_field_each(const struct sv_run *r, const struct sv_node *n, const char *name,
                  int (*each)(const char *value, size_t len, void *arg), void *arg)
{
	bool last;
	const struct sv_arg *index = sv_tagged(n, "index", NULL);
	sv_tagged(n, "last", &last);
	if (index == NULL)
		return header_each(r->msg->data, r->hlen, name, each, arg);
	size_t count = (size_t)header_each(r->msg->data, r->hlen, name, NULL, NULL);
	if (index->num > count)
		return 0;
	struct nth_field f = { .want = last ? count - index->num : index->num - 1,
		                   .each = each, .arg = arg };
	header_each(r->msg->data, r->hlen, name, nth_each, &f);
	return 1;
}
