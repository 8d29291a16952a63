/*
 * sieve_vacation.c - the vacation action (RFC 5230): its parameters
 * into a VACATION action, and whether the message was sent to the
 * person at all (4.5).  Whether a reply is due, and to whom one may go,
 * is postman's (the once-per-sender memory and the RFC 3834 rules).
 */
#include "sieve_internal.h"

#include "address.h"
#include "header.h"
#include "mime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int addressed_each(const char *value, size_t len, void *arg)
{
	const char *const *want = arg;
	struct mime_addresses as = { 0 };
	char *v = strndup(value, len);
	struct mime_tree *t = v ? mime_address_parse(v, &as) : NULL;
	int found = 0;
	for (size_t i = 0; t != NULL && i < as.n && !found; i++) {
		char a[ADDR_MAX + 1];
		if (as.v[i].host == NULL || as.v[i].mailbox == NULL ||
		    snprintf(a, sizeof a, "%s@%s", as.v[i].mailbox, as.v[i].host) >= (int)sizeof a)
			continue;
		for (size_t k = 0; want[k] != NULL && !found; k++)
			found = addr_equal(a, want[k]);
	}
	mime_free(t);
	free(v);
	return found;
}

/* True when one of WANT (NULL-ended) is among the message's recipient
 * fields: a reply only to mail sent to the person (RFC 5230 4.5). */
static bool addressed_to(const struct sv_run *r, const char *const *want)
{
	static const char *const fields[] = { "To", "Cc", "Bcc", "Resent-To", "Resent-Cc",
		                                  "Resent-Bcc" };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		struct header_reader rd;
		struct header_field f;
		header_reader_init(&rd, r->msg->data, r->hlen);
		while (header_find(&rd, fields[i], &f) > 0) {
			char v[HEADER_LINE_MAX + 1];
			size_t len = header_unfold(&f, v, sizeof v);
			if (addressed_each(v, len, (void *)want))
				return true;
		}
	}
	return false;
}

/* The recipient with and without its "+detail", the person's own
 * address, and :addresses. */
static bool for_person(struct sv_run *r, const struct sv_node *n)
{
	const struct sv_arg *extra = sv_tagged(n, "addresses", NULL);
	const char *want[20] = { 0 };
	char bare[ADDR_MAX + 1], local[ADDR_LOCAL_MAX + 1], domain[ADDR_DOMAIN_MAX + 1];
	char *exp[16] = { 0 };
	size_t k = 0;

	want[k++] = r->msg->env_to;
	if (addr_split(r->msg->env_to, local, sizeof local, domain, sizeof domain) == 0 &&
	    snprintf(bare, sizeof bare, "%s@%s", addr_cut_detail(local), domain) <
	        (int)sizeof bare)
		want[k++] = bare;
	if (r->msg->owner != NULL)
		want[k++] = r->msg->owner;
	for (size_t i = 0; extra != NULL && i < extra->n && i < 16; i++)
		if ((exp[i] = sv_str(r, extra->v[i])) != NULL)
			want[k++] = exp[i];
	bool yes = addressed_to(r, want);
	for (size_t i = 0; i < 16; i++)
		free(exp[i]);
	return yes;
}

int sv_vacation(struct sv_run *r, const struct sv_node *n)
{
	const struct sv_arg *days = sv_tagged(n, "days", NULL);
	const struct sv_arg *subject = sv_tagged(n, "subject", NULL);
	const struct sv_arg *from = sv_tagged(n, "from", NULL);

	if (r->rejected || r->vacationed)
		return sv_fail(r, "vacation cannot follow reject or another vacation");
	r->vacationed = true;
	if (!for_person(r, n))
		return 0;
	struct sieve_action *a = sv_add_action(r, SIEVE_VACATION);
	if (a == NULL)
		return -1;
	a->days = SIEVE_VACATION_DAYS_DEFAULT;
	sv_tagged(n, "mime", &a->mime);
	if (days != NULL)
		a->days = days->num < SIEVE_VACATION_DAYS_MIN ? SIEVE_VACATION_DAYS_MIN
		          : days->num > SIEVE_VACATION_DAYS_MAX ? SIEVE_VACATION_DAYS_MAX
		          : (int)days->num;
	if ((a->text = sv_str(r, n->pos[0]->v[0])) == NULL ||
	    (subject && (a->subject = sv_str(r, subject->v[0])) == NULL) ||
	    (from && (a->from = sv_str(r, from->v[0])) == NULL))
		return -1;
	return 0;
}

