/*
 * recipient.c - classifies an envelope recipient (person, alias, list,
 * external, unknown) for smtpgw and postman; see recipient.h.
 */
#include "recipient.h"

#include "log.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fills OUT for LOCAL@DOMAIN when it names a person, alias or list:
 * 1 when found, 0 when not, -1 on a store failure. */
static int find_local(struct store *st, const char *local, const char *domain,
                      struct rcpt_info *out)
{
	struct store_person p = { 0 };
	char *target = NULL;
	int64_t id;

	if (store_person_find(st, local, domain, &p) == 0) {
		out->kind = RCPT_PERSON;
		out->id = p.id;
		out->quota_bytes = p.quota_bytes;
		out->quota_messages = p.quota_messages;
		out->services = p.services;
		store_person_clear(&p);
		return 1;
	}
	if (store_last_error(st) != STORE_E_NOTFOUND)
		return -1;
	if (store_alias_find(st, local, domain, &target) == 0) {
		out->kind = RCPT_ALIAS;
		snprintf(out->target, sizeof out->target, "%s", target);
		free(target);
		return 1;
	}
	if (store_last_error(st) != STORE_E_NOTFOUND)
		return -1;
	if (store_dlist_find(st, local, domain, &id) == 0) {
		out->kind = RCPT_DLIST;
		out->id = id;
		return 1;
	}
	return store_last_error(st) == STORE_E_NOTFOUND ? 0 : -1;
}

/* 1 when DOMAIN is hosted here, 0 when not, -1 on a store failure. */
static int domain_hosted(struct store *st, const char *domain)
{
	struct store_domain d = { 0 };
	if (store_domain_find(st, domain, &d) == 0) {
		store_domain_clear(&d);
		return 1;
	}
	return store_last_error(st) == STORE_E_NOTFOUND ? 0 : -1;
}

int rcpt_lookup(struct store *st, const char *address, struct rcpt_info *out)
{
	char local[ADDR_LOCAL_MAX + 1], domain[ADDR_DOMAIN_MAX + 1];
	int r;

	memset(out, 0, sizeof *out);
	if (addr_normalize(address, out->address, sizeof out->address, false) < 0 ||
	    addr_split(out->address, local, sizeof local, domain, sizeof domain) < 0)
		return 0;
	if ((r = domain_hosted(st, domain)) <= 0) {
		out->kind = RCPT_EXTERNAL;
		return r;
	}
	if ((r = find_local(st, local, domain, out)) != 0)
		return r < 0 ? -1 : 0;
	const char *detail = addr_cut_detail(local);
	if (detail == NULL)
		return 0;
	snprintf(out->detail, sizeof out->detail, "%s", detail);
	if ((r = find_local(st, local, domain, out)) < 0)
		return -1;
	if (r == 0) {
		out->detail[0] = '\0';
		return 0;
	}
	/* Shorter than the address it came from, so it always fits. */
	if (snprintf(out->address, sizeof out->address, "%s@%s", local, domain) < 0)
		return -1;
	return 0;
}

int rcpt_over_quota(struct store *st, const struct rcpt_info *info, int64_t size,
                    bool *over)
{
	int64_t bytes, messages;

	*over = false;
	if (info->kind != RCPT_PERSON ||
	    (info->quota_bytes == 0 && info->quota_messages == 0))
		return 0;
	if (store_person_usage(st, info->id, &bytes, &messages) < 0)
		return -1;
	*over = (info->quota_bytes > 0 && bytes + size > info->quota_bytes) ||
	        (info->quota_messages > 0 && messages + 1 > info->quota_messages);
	return 0;
}
