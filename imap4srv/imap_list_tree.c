/*
 * imap_list_tree.c - the names LIST and LSUB choose from; see
 * imap_list_tree.h.  Gathered once per command: mailboxes, then
 * subscriptions (a subscribed name whose mailbox is gone is kept, not
 * existing), then the missing levels above both.
 */
#include "imap_list_tree.h"
#include "imap_names.h"
#include "log.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ltree_free(struct ltree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].name);
		free(t->e[i].wire);
		free(t->e[i].special);
	}
	free(t->e);
	memset(t, 0, sizeof *t);
}

static struct lentry *add(struct ltree *t, const char *name, const char *special)
{
	char wire[IMAP_WIRE_MAX];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct lentry *e = realloc(t->e, cap * sizeof *e);
		if (e == NULL) {
			t->failed = true;
			return NULL;
		}
		t->e = e;
		t->cap = cap;
	}
	if (imap_name_to_client(name, t->utf8, wire) < 0)
		snprintf(wire, sizeof wire, "%s", name);
	struct lentry *e = &t->e[t->n];
	memset(e, 0, sizeof *e);
	e->name = strdup(name);
	e->wire = strdup(wire);
	e->special = strdup(special);
	if (e->name == NULL || e->wire == NULL || e->special == NULL) {
		free(e->name);
		free(e->wire);
		free(e->special);
		t->failed = true;
		return NULL;
	}
	t->n++;
	return e;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct lentry *)a)->name, ((const struct lentry *)b)->name);
}

/* NAME among the first N entries, which are sorted. */
static struct lentry *lookup(struct ltree *t, size_t n, const char *name)
{
	struct lentry key = { .name = (char *)name };
	return bsearch(&key, t->e, n, sizeof *t->e, by_name);
}

static int mailbox_each(const struct store_mailbox *m, void *arg)
{
	struct lentry *e = add(arg, m->name, m->special_use);
	if (e == NULL)
		return 1;
	e->exists = true;
	return 0;
}

struct sub_walk {
	struct ltree *t;
	size_t boxes;           /* the mailboxes, sorted, come first */
};

static int subscription_each(const char *name, void *arg)
{
	struct sub_walk *w = arg;
	struct lentry *e = lookup(w->t, w->boxes, name);
	if (e == NULL)
		e = add(w->t, name, "");
	if (e == NULL)
		return 1;
	e->subscribed = true;
	return 0;
}

void ltree_each_parent(struct ltree *t, const char *name,
                       void (*cb)(struct ltree *t, struct lentry *parent, void *arg),
                       void *arg)
{
	char buf[IMAP_NAME_MAX + 1];
	for (const char *p = strchr(name, IMAP_DELIMITER); p; p = strchr(p + 1, IMAP_DELIMITER)) {
		snprintf(buf, sizeof buf, "%.*s", (int)(p - name), name);
		struct lentry *e = lookup(t, t->n, buf);
		if (e != NULL)
			cb(t, e, arg);
	}
}

/* Adds the levels above NAME that are not among the first SORTED
 * entries nor added already. */
static void add_missing(struct ltree *t, size_t sorted, const char *name)
{
	char buf[IMAP_NAME_MAX + 1];
	for (const char *p = strchr(name, IMAP_DELIMITER); p; p = strchr(p + 1, IMAP_DELIMITER)) {
		snprintf(buf, sizeof buf, "%.*s", (int)(p - name), name);
		if (lookup(t, sorted, buf) != NULL)
			continue;
		size_t i;
		for (i = sorted; i < t->n && strcmp(t->e[i].name, buf) != 0; i++)
			;
		if (i == t->n)
			add(t, buf, "");
	}
}

static void mark_has_children(struct ltree *t, struct lentry *parent, void *arg)
{
	(void)t;
	(void)arg;
	parent->has_children = true;
}

int ltree_gather(struct store *st, int64_t person_id, bool utf8, struct ltree *t)
{
	memset(t, 0, sizeof *t);
	t->utf8 = utf8;
	if (store_mailbox_list(st, person_id, mailbox_each, t) < 0 || t->failed)
		return -1;
	qsort(t->e, t->n, sizeof *t->e, by_name);
	struct sub_walk w = { t, t->n };
	if (store_subscription_list(st, person_id, subscription_each, &w) < 0 ||
	    t->failed)
		return -1;
	qsort(t->e, t->n, sizeof *t->e, by_name);
	size_t sorted = t->n;
	for (size_t i = 0; i < sorted; i++) {
		char *name = t->e[i].name;   /* add() may move the array, not the string */
		add_missing(t, sorted, name);
	}
	if (t->failed) {
		log_error("imap_list", "person=%lld error=\"out of memory\"",
		          (long long)person_id);
		return -1;
	}
	qsort(t->e, t->n, sizeof *t->e, by_name);
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].exists)
			ltree_each_parent(t, t->e[i].name, mark_has_children, NULL);
	return 0;
}
