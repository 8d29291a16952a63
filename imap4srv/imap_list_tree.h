/*
 * imap_list_tree.h - what LIST and LSUB answer from: the person's
 * mailboxes, the names they are subscribed to (which need not exist),
 * and the levels that exist only as parents of those ("a" of "a/b"),
 * sorted by name, each marked with what is below it.
 */
#ifndef IMAP_LIST_TREE_H
#define IMAP_LIST_TREE_H

#include "imap_client.h"

#include <stdbool.h>
#include <stddef.h>

struct lentry {
	char *name;             /* as stored (UTF-8) */
	char *wire;             /* as the client names it: modified UTF-7 or UTF-8 */
	char *special;          /* "\\Sent" or "" */
	bool exists;            /* a mailbox, not just a name */
	bool subscribed;
	bool has_children;      /* some existing mailbox below */
	bool sel_below;         /* some name below meets the command's selection */
	bool matched;           /* the name matches one of the command's patterns */
	bool show_parent;       /* answered for a selected name below it */
};

struct ltree {
	struct lentry *e;
	size_t n, cap;
	bool failed;
	bool utf8;              /* the client names mailboxes in UTF-8 */
};

/* Fills T with PERSON_ID's names from ST, as the client names them
 * (UTF8: in UTF-8, else modified UTF-7): a read, for a job.  0, or -1
 * after a store failure or when out of memory (logged).  Free T with
 * ltree_free() either way. */
int ltree_gather(struct store *st, int64_t person_id, bool utf8, struct ltree *t);

/* Frees what T holds. */
void ltree_free(struct ltree *t);

/* Calls CB with each level above NAME ("a", then "a/b" for "a/b/c"). */
void ltree_each_parent(struct ltree *t, const char *name,
                       void (*cb)(struct ltree *t, struct lentry *parent, void *arg),
                       void *arg);

#endif
