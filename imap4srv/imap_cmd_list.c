/*
 * imap_cmd_list.c - LIST (RFC 3501 with the basic LIST-EXTENDED options
 * of RFC 5258, CHILDREN of RFC 3348 and SPECIAL-USE of RFC 6154) and
 * LSUB.  The person's mailboxes are gathered once per command, levels
 * that exist only as parents of others are added, and each pattern is
 * matched against the wire names.
 *
 * A level that is no mailbox itself ("a" of "a/b") is shown, \Noselect
 * (\NonExistent with LIST-EXTENDED), when a pattern matches it but not
 * the mailbox below it: that is how "%" lets a client walk down a
 * hierarchy.  LSUB does the same with levels that are not subscribed.
 */
#include "imap_commands.h"
#include "imap_names.h"
#include "log.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Patterns in one LIST command. */
#define LIST_PATTERNS_MAX 32

struct lentry {
	char *name;             /* as stored (UTF-8) */
	char *wire;             /* modified UTF-7 */
	char *special;          /* "\\Sent" or "" */
	bool exists, subscribed;
	bool has_children;      /* some mailbox below exists */
	bool sub_children;      /* some mailbox below is subscribed */
	bool shown;             /* already answered in this command */
};

struct ltree {
	struct lentry *e;
	size_t n, cap;
	bool failed;
};

/* LIST options */
#define SEL_SUBSCRIBED     1u
#define SEL_SPECIAL_USE    2u
#define SEL_RECURSIVEMATCH 4u
#define RET_SUBSCRIBED     8u
#define RET_CHILDREN       16u
#define RET_SPECIAL_USE    32u
#define LIST_EXTENDED      64u   /* the client used LIST-EXTENDED syntax */
#define LIST_LSUB          128u

static void tree_free(struct ltree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].name);
		free(t->e[i].wire);
		free(t->e[i].special);
	}
	free(t->e);
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
	if (imap_name_to_wire(name, wire) < 0)
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

static int gather_each(const struct store_mailbox *m, void *arg)
{
	struct lentry *e = add(arg, m->name, m->special_use);
	if (e == NULL)
		return 1;
	e->exists = true;
	e->subscribed = m->subscribed;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct lentry *)a)->name, ((const struct lentry *)b)->name);
}

static struct lentry *lookup(struct ltree *t, const char *name)
{
	struct lentry key = { .name = (char *)name };
	return bsearch(&key, t->e, t->n, sizeof *t->e, by_name);
}

/* Calls CB with each level above NAME ("a", "a/b" for "a/b/c"). */
static void each_parent(struct ltree *t, const char *name,
                        void (*cb)(struct ltree *t, const char *parent, void *arg),
                        void *arg)
{
	char buf[IMAP_NAME_MAX + 1];
	for (const char *p = strchr(name, IMAP_DELIMITER); p; p = strchr(p + 1, IMAP_DELIMITER)) {
		snprintf(buf, sizeof buf, "%.*s", (int)(p - name), name);
		cb(t, buf, arg);
	}
}

static void add_missing(struct ltree *t, const char *parent, void *arg)
{
	size_t *sorted = arg;
	struct lentry key = { .name = (char *)parent };
	if (bsearch(&key, t->e, *sorted, sizeof *t->e, by_name) != NULL)
		return;
	for (size_t i = *sorted; i < t->n; i++)
		if (strcmp(t->e[i].name, parent) == 0)
			return;
	add(t, parent, "");
}

static void mark_parent(struct ltree *t, const char *parent, void *arg)
{
	const struct lentry *child = arg;
	struct lentry *e = lookup(t, parent);
	if (e == NULL)
		return;
	if (child->exists)
		e->has_children = true;
	if (child->subscribed)
		e->sub_children = true;
}

/* The person's mailboxes with the missing levels, sorted, marked. */
static int gather(struct imap_client *c, struct ltree *t)
{
	memset(t, 0, sizeof *t);
	if (store_mailbox_list(c->srv->store, c->person_id, gather_each, t) < 0 || t->failed)
		return -1;
	qsort(t->e, t->n, sizeof *t->e, by_name);
	size_t sorted = t->n;
	for (size_t i = 0; i < sorted; i++)
		each_parent(t, t->e[i].name, add_missing, &sorted);
	if (t->failed)
		return -1;
	qsort(t->e, t->n, sizeof *t->e, by_name);
	for (size_t i = 0; i < t->n; i++) {
		struct lentry copy = t->e[i];
		each_parent(t, copy.name, mark_parent, &copy);
	}
	return 0;
}

/* ---- answering ---- */

/* Does E qualify for the selection itself (not just as a parent)? */
static bool selected(const struct lentry *e, unsigned opt)
{
	if (opt & (LIST_LSUB | SEL_SUBSCRIBED))
		return e->subscribed;
	if (opt & SEL_SPECIAL_USE)
		return e->exists && e->special[0] != '\0';
	return e->exists;
}

static void attr(struct imap_client *c, bool *first, const char *a)
{
	imap_outf(c, "%s%s", *first ? "" : " ", a);
	*first = false;
}

static void answer(struct imap_client *c, const struct lentry *e, unsigned opt, bool parent)
{
	bool first = true;
	imap_outf(c, "* %s (", opt & LIST_LSUB ? "LSUB" : "LIST");
	if (!e->exists)
		attr(c, &first, opt & LIST_EXTENDED ? "\\NonExistent" : "\\Noselect");
	else if (parent && (opt & LIST_LSUB))
		attr(c, &first, "\\Noselect");
	if (!(opt & LIST_LSUB) || (opt & RET_CHILDREN))
		attr(c, &first, e->has_children ? "\\HasChildren" : "\\HasNoChildren");
	if (e->subscribed && (opt & (SEL_SUBSCRIBED | RET_SUBSCRIBED)))
		attr(c, &first, "\\Subscribed");
	if (e->special[0] && !(opt & LIST_LSUB))
		attr(c, &first, e->special);
	imap_outs(c, ") \"/\" ");
	imap_out_mailbox(c, e->name);
	if ((opt & SEL_RECURSIVEMATCH) && parent && e->sub_children)
		imap_outs(c, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	imap_outs(c, "\r\n");
}

struct parent_mark {
	const char *pattern;
	bool *show;             /* per entry: show as a parent */
	struct ltree *t;
};

static void show_parent(struct ltree *t, const char *parent, void *arg)
{
	struct parent_mark *m = arg;
	struct lentry *e = lookup(t, parent);
	if (e != NULL && imap_list_match(m->pattern, e->wire))
		m->show[e - t->e] = true;
}

static int list_pattern(struct imap_client *c, struct ltree *t, const char *pattern,
                        unsigned opt)
{
	bool *show = calloc(t->n + 1, sizeof *show);
	struct parent_mark m = { pattern, show, t };
	if (show == NULL)
		return -1;
	for (size_t i = 0; i < t->n; i++)
		if (selected(&t->e[i], opt) && !imap_list_match(pattern, t->e[i].wire))
			each_parent(t, t->e[i].name, show_parent, &m);
	for (size_t i = 0; i < t->n; i++) {
		struct lentry *e = &t->e[i];
		if (e->shown)
			continue;
		bool self = selected(e, opt) && imap_list_match(pattern, e->wire);
		if (self || show[i]) {
			answer(c, e, opt, !self);
			e->shown = true;
		}
	}
	free(show);
	return 0;
}

/* ---- parsing ---- */

struct opt_word {
	const char *word;
	unsigned bit;
};

static const struct opt_word select_opts[] = {
	{ "SUBSCRIBED", SEL_SUBSCRIBED }, { "SPECIAL-USE", SEL_SPECIAL_USE },
	{ "RECURSIVEMATCH", SEL_RECURSIVEMATCH }, { "REMOTE", 0 },
};

static const struct opt_word return_opts[] = {
	{ "SUBSCRIBED", RET_SUBSCRIBED }, { "CHILDREN", RET_CHILDREN },
	{ "SPECIAL-USE", RET_SPECIAL_USE },
};

static int options(struct imap_parser *p, const struct opt_word *t, size_t n,
                   unsigned *opt)
{
	if (imap_p_open(p) < 0)
		return -1;
	for (bool first = true; !imap_p_peek(p, ')'); first = false) {
		size_t i;
		if (!first && imap_p_sp(p) < 0)
			return -1;
		for (i = 0; i < n && !imap_p_word(p, t[i].word); i++)
			;
		if (i == n) {
			p->error = "unknown LIST option";
			return -1;
		}
		*opt |= t[i].bit;
	}
	return imap_p_close(p);
}

struct list_args {
	unsigned opt;
	char ref[IMAP_WIRE_MAX];
	struct imap_str pat[LIST_PATTERNS_MAX];
	int npat;
};

static int patterns(struct imap_parser *p, struct list_args *a)
{
	if (!imap_p_peek(p, '('))
		return imap_p_list_mailbox(p, &a->pat[a->npat++]);
	a->opt |= LIST_EXTENDED;
	if (imap_p_open(p) < 0)
		return -1;
	do {
		if (a->npat == LIST_PATTERNS_MAX) {
			p->error = "too many patterns";
			return -1;
		}
		if (imap_p_list_mailbox(p, &a->pat[a->npat++]) < 0)
			return -1;
	} while (imap_p_eat(p, ' '));
	return imap_p_close(p);
}

static int list_args(struct imap_parser *p, struct list_args *a, bool lsub)
{
	struct imap_str ref;
	memset(a, 0, sizeof *a);
	if (imap_p_sp(p) < 0)
		return -1;
	if (!lsub && imap_p_peek(p, '(')) {
		a->opt |= LIST_EXTENDED;
		if (options(p, select_opts, sizeof select_opts / sizeof select_opts[0],
		            &a->opt) < 0 || imap_p_sp(p) < 0)
			return -1;
	}
	if (imap_p_astring(p, &ref) < 0 || imap_str_copy(&ref, a->ref, sizeof a->ref) < 0 ||
	    imap_p_sp(p) < 0 || patterns(p, a) < 0)
		return -1;
	if (!lsub && imap_p_eat(p, ' ')) {
		a->opt |= LIST_EXTENDED;
		if (!imap_p_word(p, "RETURN") || imap_p_sp(p) < 0 ||
		    options(p, return_opts, sizeof return_opts / sizeof return_opts[0], &a->opt) < 0)
			return -1;
	}
	if (lsub)
		a->opt |= LIST_LSUB;
	/* RECURSIVEMATCH only refines another selection option (RFC 5258) */
	if ((a->opt & SEL_RECURSIVEMATCH) && !(a->opt & (SEL_SUBSCRIBED | SEL_SPECIAL_USE))) {
		p->error = "RECURSIVEMATCH needs another selection option";
		return -1;
	}
	return imap_p_end(p);
}

static enum cmd_result run_list(struct imap_client *c, bool lsub)
{
	struct list_args a;
	struct ltree t;
	char full[2 * IMAP_WIRE_MAX];
	const char *cmd = lsub ? "LSUB" : "LIST";
	if (list_args(&c->active.p, &a, lsub) < 0)
		return imap_bad_syntax(c);
	if (a.npat == 1 && a.pat[0].len == 0) {
		/* LIST "" "": the delimiter and the root */
		imap_untagged(c, "%s (\\Noselect) \"/\" \"\"", cmd);
		return imap_done(c, "OK", "%s completed", cmd);
	}
	if (gather(c, &t) < 0) {
		tree_free(&t);
		return imap_store_failed(c, cmd);
	}
	for (int i = 0; i < a.npat; i++) {
		if (a.pat[i].len == 0 || memchr(a.pat[i].p, '\0', a.pat[i].len))
			continue;
		/* the reference is a prefix, unless the pattern is absolute */
		snprintf(full, sizeof full, "%s%.*s", a.pat[i].p[0] == '/' ? "" : a.ref,
		         (int)a.pat[i].len, a.pat[i].p);
		if (list_pattern(c, &t, full, a.opt) < 0) {
			tree_free(&t);
			log_error("imap_list", "session=%llu error=\"out of memory\"",
			          (unsigned long long)c->id);
			return imap_done(c, "NO", "[SERVERBUG] out of memory");
		}
	}
	tree_free(&t);
	return imap_done(c, "OK", "%s completed", cmd);
}

enum cmd_result imap_cmd_list(struct imap_client *c)
{
	return run_list(c, false);
}

enum cmd_result imap_cmd_lsub(struct imap_client *c)
{
	return run_list(c, true);
}
