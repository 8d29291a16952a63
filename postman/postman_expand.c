/*
 * postman_expand.c - turns the envelope recipients of a queue item into
 * what postman does with them: mailboxes of persons (with the folder of a
 * "+detail"), addresses outside to forward to, and failures for the
 * bounce.  Aliases, distribution lists (nested) and persons' forward
 * addresses are followed; every address is expanded once per item, so
 * loops among lists, aliases and forwards end by themselves, and nesting
 * is bounded by EXPAND_DEPTH_MAX and the item by postman.max_expansion.
 */
#include "postman.h"

#include "log.h"
#include "recipient.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Grows the array *P of *CAP elements of SIZE to hold N + 1. */
static int grow(void *p, size_t *cap, size_t n, size_t size)
{
	void **arr = p;
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 8;
	void *q = realloc(*arr, c * size);
	if (q == NULL) {
		log_error("expand", "error=\"out of memory\"");
		return -1;
	}
	*arr = q;
	*cap = c;
	return 0;
}

void expansion_init(struct expansion *e, size_t limit, bool autoforward)
{
	memset(e, 0, sizeof *e);
	e->limit = limit;
	e->autoforward = autoforward;
}

void expansion_free(struct expansion *e)
{
	for (size_t i = 0; i < e->nvisited; i++)
		free(e->visited[i]);
	free(e->visited);
	free(e->local);
	free(e->external);
	free(e->failed);
	expansion_init(e, e->limit, e->autoforward);
}

int expansion_fail(struct expansion *e, const char *address, const char *status,
                   const char *text)
{
	if (grow(&e->failed, &e->cap_failed, e->nfailed, sizeof *e->failed) < 0)
		return -1;
	struct delivery_failure *f = &e->failed[e->nfailed++];
	snprintf(f->address, sizeof f->address, "%s", address);
	snprintf(f->status, sizeof f->status, "%s", status);
	snprintf(f->text, sizeof f->text, "%s", text);
	return 0;
}

bool expansion_visited(const struct expansion *e, const char *address)
{
	for (size_t i = 0; i < e->nvisited; i++)
		if (strcasecmp(e->visited[i], address) == 0)
			return true;
	return false;
}

static int visit(struct expansion *e, const char *address)
{
	if (grow(&e->visited, &e->cap_visited, e->nvisited, sizeof *e->visited) < 0 ||
	    (e->visited[e->nvisited] = strdup(address)) == NULL)
		return -1;
	e->nvisited++;
	return 0;
}

static int add_local(struct expansion *e, const struct rcpt_info *info, size_t index,
                     bool via_list)
{
	for (size_t i = 0; i < e->nlocal; i++)
		if (e->local[i].person_id == info->id &&
		    strcmp(e->local[i].folder, info->detail) == 0)
			return 0;   /* reached twice: delivered once */
	if (grow(&e->local, &e->cap_local, e->nlocal, sizeof *e->local) < 0)
		return -1;
	struct local_delivery *d = &e->local[e->nlocal++];
	memset(d, 0, sizeof *d);
	d->person_id = info->id;
	snprintf(d->address, sizeof d->address, "%s", info->address);
	snprintf(d->folder, sizeof d->folder, "%s", info->detail);
	d->quota_bytes = info->quota_bytes;
	d->quota_messages = info->quota_messages;
	d->rcpt = index;
	d->via_list = via_list;
	return 0;
}

static int add_external(struct expansion *e, const char *address, const char *via)
{
	for (size_t i = 0; i < e->nexternal; i++)
		if (strcasecmp(e->external[i].address, address) == 0)
			return 0;
	if (grow(&e->external, &e->cap_external, e->nexternal, sizeof *e->external) < 0)
		return -1;
	struct external_delivery *x = &e->external[e->nexternal++];
	snprintf(x->address, sizeof x->address, "%s", address);
	snprintf(x->via, sizeof x->via, "%s", via);
	return 0;
}

struct step {
	size_t index;        /* envelope recipient */
	int depth;
	bool via_list;
	const char *parent;  /* the address that led here, NULL at the top */
};

static int expand(struct store *st, struct expansion *e, const char *address,
                  struct step at);

static int collect_member(const char *address, void *arg)
{
	char ***list = arg;
	size_t n = 0;
	while ((*list)[n] != NULL)
		n++;
	char **l = realloc(*list, (n + 2) * sizeof *l);
	if (l == NULL || (l[n] = strdup(address)) == NULL) {
		if (l != NULL)
			*list = l;
		return 1;
	}
	l[n + 1] = NULL;
	*list = l;
	return 0;
}

/* Members are read first: expanding them reads other lists, which a list
 * walk in progress does not allow. */
static int expand_dlist(struct store *st, struct expansion *e,
                        const struct rcpt_info *info, struct step at)
{
	char **members = calloc(1, sizeof *members);
	int r = members != NULL &&
	                store_dlist_members(st, info->id, collect_member, &members) == 0
	            ? 0 : -1;
	struct step next = { at.index, at.depth + 1, true, info->address };

	for (size_t i = 0; r == 0 && members[i] != NULL; i++)
		r = expand(st, e, members[i], next);
	for (size_t i = 0; members != NULL && members[i] != NULL; i++)
		free(members[i]);
	free(members);
	return r;
}

static int expand_person(struct store *st, struct expansion *e,
                         const struct rcpt_info *info, struct step at)
{
	struct store_delivery_prefs prefs = { 0 };
	int r = 0;

	if ((info->services & STORE_SVC_LMTP) == 0)
		return expansion_fail(e, info->address, "5.2.1", "mailbox disabled");
	if (!e->autoforward)
		return add_local(e, info, at.index, at.via_list);
	if (store_person_delivery_prefs(st, info->id, &prefs) < 0)
		return -1;
	/* A forward back to an address already expanded is a loop: the mail
	 * stops here rather than nowhere. */
	bool loop = prefs.forward_to[0] != '\0' && expansion_visited(e, prefs.forward_to);
	if (prefs.forward_to[0] == '\0' || prefs.forward_keep || loop)
		r = add_local(e, info, at.index, at.via_list);
	if (loop)
		log_info("forward_loop", "person=%s forward=%s", log_quote(info->address),
		         log_quote(prefs.forward_to));
	if (r == 0 && prefs.forward_to[0] != '\0') {
		struct step next = { at.index, at.depth + 1, at.via_list, info->address };
		r = expand(st, e, prefs.forward_to, next);
	}
	store_delivery_prefs_clear(&prefs);
	return r;
}

static int expand(struct store *st, struct expansion *e, const char *address,
                  struct step at)
{
	struct rcpt_info info;

	if (expansion_visited(e, address))
		return 0;
	if (e->nvisited >= e->limit)
		return expansion_fail(e, address, "5.4.6", "too many recipients after "
		                      "expanding aliases and lists");
	if (at.depth > EXPAND_DEPTH_MAX)
		return expansion_fail(e, address, "5.4.6", "aliases or lists nested too deep");
	if (visit(e, address) < 0 || rcpt_lookup(st, address, &info) < 0)
		return -1;
	switch (info.kind) {
	case RCPT_PERSON:
		return expand_person(st, e, &info, at);
	case RCPT_ALIAS: {
		struct step next = { at.index, at.depth + 1, at.via_list, info.address };
		return expand(st, e, info.target, next);
	}
	case RCPT_DLIST:
		return expand_dlist(st, e, &info, at);
	case RCPT_EXTERNAL:
		if (at.parent != NULL)
			return add_external(e, info.address, at.parent);
		return expansion_fail(e, address, "5.1.2", "not a domain of this site");
	default:
		return expansion_fail(e, address, "5.1.1", "no such user here");
	}
}

int expand_recipient(struct store *st, struct expansion *e, const char *rcpt,
                     size_t index)
{
	struct step top = { index, 0, false, NULL };
	return expand(st, e, rcpt, top);
}
