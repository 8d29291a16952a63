/*
 * imap_cmd_list.c - LIST (RFC 3501, with LIST-EXTENDED of RFC 5258,
 * CHILDREN of RFC 3348, SPECIAL-USE of RFC 6154 and LIST-STATUS of
 * RFC 5819) and LSUB.  The names come from imap_list_tree.c; here the
 * command's options choose which of them to answer and how.
 *
 * A name is answered when it meets the selection (exists; or is
 * subscribed, for LSUB and LIST (SUBSCRIBED); or has a special use) and
 * matches a pattern.  A name that does not meet it is answered as well
 * when a name below it does but matches no pattern: that is how "%"
 * lets a client walk down a hierarchy.  LSUB marks such a parent
 * \Noselect (RFC 3501 6.3.9), RECURSIVEMATCH gives it CHILDINFO, and
 * plain LIST gives it only when it is no mailbox (\Noselect, or
 * \NonExistent in LIST-EXTENDED syntax and for IMAP4rev2).
 */
#include "imap_commands.h"
#include "imap_job.h"
#include "imap_list_tree.h"
#include "imap_names.h"
#include "imap_status.h"
#include "log.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Patterns in one LIST command. */
#define LIST_PATTERNS_MAX 32

/* LIST options */
#define SEL_SUBSCRIBED     1u
#define SEL_SPECIAL_USE    2u
#define SEL_RECURSIVEMATCH 4u
#define RET_SUBSCRIBED     8u
#define RET_CHILDREN       16u
#define RET_SPECIAL_USE    32u
#define LIST_EXTENDED      64u   /* the client used LIST-EXTENDED syntax */
#define LIST_LSUB          128u
#define RET_STATUS         256u

struct list_args {
	unsigned opt;
	struct imap_status_ask status;   /* with RET_STATUS */
	char ref[IMAP_WIRE_MAX];
	struct imap_str pat[LIST_PATTERNS_MAX];
	int npat;
};

/* ---- choosing ---- */

/* Does E meet the selection itself? */
static bool selected(const struct lentry *e, unsigned opt)
{
	bool by_subscription = opt & (LIST_LSUB | SEL_SUBSCRIBED);
	if (by_subscription ? !e->subscribed : !e->exists)
		return false;
	return !(opt & SEL_SPECIAL_USE) || (e->exists && e->special[0] != '\0');
}

static void mark_sel_below(struct ltree *t, struct lentry *parent, void *arg)
{
	(void)t;
	(void)arg;
	parent->sel_below = true;
}

static void mark_show_parent(struct ltree *t, struct lentry *parent, void *arg)
{
	(void)t;
	(void)arg;
	if (parent->matched)
		parent->show_parent = true;
}

static bool matches(const struct lentry *e, char *const *full, int n)
{
	for (int i = 0; i < n; i++)
		if (imap_list_match(full[i], e->wire))
			return true;
	return false;
}

/* Marks what the command's selection and patterns make of each name. */
static void choose(struct ltree *t, unsigned opt, char *const *full, int n)
{
	for (size_t i = 0; i < t->n; i++)
		t->e[i].matched = matches(&t->e[i], full, n);
	for (size_t i = 0; i < t->n; i++) {
		if (!selected(&t->e[i], opt))
			continue;
		ltree_each_parent(t, t->e[i].name, mark_sel_below, NULL);
		if (!t->e[i].matched)
			ltree_each_parent(t, t->e[i].name, mark_show_parent, NULL);
	}
}

/* ---- answering ---- */

static void attr(struct imap_client *c, bool *first, const char *a)
{
	imap_outf(c, "%s%s", *first ? "" : " ", a);
	*first = false;
}

/* \HasChildren or \HasNoChildren, when the client is to have them: always
 * for plain LIST (RFC 3348), on request in LIST-EXTENDED syntax; and a
 * missing level shown without RECURSIVEMATCH says it has children
 * (RFC 5258 3.5). */
static const char *children_attr(const struct lentry *e, unsigned opt, bool parent)
{
	if ((opt & RET_CHILDREN) || !(opt & (LIST_EXTENDED | LIST_LSUB)))
		return e->has_children ? "\\HasChildren" : "\\HasNoChildren";
	if ((opt & LIST_EXTENDED) && parent && !e->exists && e->has_children &&
	    !(opt & SEL_RECURSIVEMATCH))
		return "\\HasChildren";
	return NULL;
}

static void childinfo(struct imap_client *c, unsigned opt)
{
	bool first = true;
	imap_outs(c, " (\"CHILDINFO\" (");
	if (opt & SEL_SUBSCRIBED)
		attr(c, &first, "\"SUBSCRIBED\"");
	if (opt & SEL_SPECIAL_USE)
		attr(c, &first, "\"SPECIAL-USE\"");
	imap_outs(c, "))");
}

static void answer(struct imap_client *c, const struct lentry *e, unsigned opt, bool parent)
{
	bool first = true;
	const char *kids = children_attr(e, opt, parent);
	imap_outf(c, "* %s (", opt & LIST_LSUB ? "LSUB" : "LIST");
	/* IMAP4rev2's LIST is the extended one (RFC 9051 7.3.1) */
	bool extended = (opt & LIST_EXTENDED) || (imap_rev2(c) && !(opt & LIST_LSUB));
	if (!e->exists)
		attr(c, &first, extended ? "\\NonExistent" : "\\Noselect");
	else if (parent && (opt & LIST_LSUB))
		attr(c, &first, "\\Noselect");
	if (kids != NULL)
		attr(c, &first, kids);
	if (e->subscribed && (opt & (SEL_SUBSCRIBED | RET_SUBSCRIBED)))
		attr(c, &first, "\\Subscribed");
	if (e->exists && e->special[0] && !(opt & LIST_LSUB))
		attr(c, &first, e->special);
	imap_outs(c, ") \"/\" ");
	imap_out_mailbox(c, e->name);
	if ((opt & SEL_RECURSIVEMATCH) && e->sel_below)
		childinfo(c, opt);
	imap_outs(c, "\r\n");
}

struct below {
	const char *name;
	bool found;
};

static int below_each(const struct store_mailbox *m, void *arg)
{
	struct below *b = arg;
	b->found = b->found || imap_name_is_below(m->name, b->name);
	return 0;
}

int imap_list_children(struct store *st, int64_t person_id, const char *name,
                       bool *children)
{
	struct below b = { name, false };
	if (store_mailbox_list(st, person_id, below_each, &b) < 0)
		return -1;
	*children = b.found;
	return 0;
}

int imap_list_selected(struct imap_client *c, const struct store_mailbox *mb, bool children)
{
	imap_outf(c, "* LIST (%s%s%s) \"/\" ", children ? "\\HasChildren" : "\\HasNoChildren",
	          mb->special_use[0] ? " " : "", mb->special_use);
	imap_out_mailbox(c, mb->name);
	return imap_outs(c, "\r\n");
}

/* Whether E is answered: for itself (*SELF), or as the parent of a
 * name below it that is. */
static bool answered(const struct lentry *e, unsigned opt, bool *self)
{
	*self = e->matched && selected(e, opt);
	bool parent = !*self && e->show_parent &&
	              (opt & (LIST_LSUB | SEL_RECURSIVEMATCH) || !e->exists);
	return *self || parent;
}

/* RFC 5819: a STATUS after the LIST of each selectable mailbox chosen
 * for itself, read with the names.  One that vanished meanwhile is
 * skipped (HAVE false). */
struct list_status {
	bool have;
	struct imap_status_of of;
};

static bool wants_status(const struct lentry *e, unsigned opt)
{
	bool self;
	return answered(e, opt, &self) && self && e->exists && (opt & RET_STATUS);
}

static void answer_all(struct imap_client *c, const struct ltree *t, const struct list_args *a,
                       const struct list_status *status)
{
	unsigned opt = a->opt;
	for (size_t i = 0; i < t->n; i++) {
		const struct lentry *e = &t->e[i];
		bool self;
		if (!answered(e, opt, &self))
			continue;
		answer(c, e, opt, !self);
		if (status != NULL && status[i].have)
			imap_status_send(c, &status[i].of, &a->status);
	}
}

/* ---- parsing ---- */

static const struct imap_word select_opts[] = {
	{ "SUBSCRIBED", SEL_SUBSCRIBED }, { "SPECIAL-USE", SEL_SPECIAL_USE },
	{ "RECURSIVEMATCH", SEL_RECURSIVEMATCH }, { "REMOTE", 0 },
};

static const struct imap_word return_opts[] = {
	{ "SUBSCRIBED", RET_SUBSCRIBED }, { "CHILDREN", RET_CHILDREN },
	{ "SPECIAL-USE", RET_SPECIAL_USE }, { "STATUS", RET_STATUS },
};

/* STATUS (RFC 5819) carries the items it asks for. */
static int return_arg(struct imap_parser *p, unsigned bit, void *arg)
{
	struct list_args *a = arg;
	if (bit != RET_STATUS)
		return 0;
	return imap_p_sp(p) < 0 || imap_status_parse(p, &a->status) < 0 ? -1 : 0;
}

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
		if (imap_p_word_list(p, select_opts, sizeof select_opts / sizeof select_opts[0],
		                     &a->opt, NULL, NULL) < 0 ||
		    imap_p_sp(p) < 0)
			return -1;
	}
	if (imap_p_astring(p, &ref) < 0 || imap_str_copy(&ref, a->ref, sizeof a->ref) < 0 ||
	    imap_p_sp(p) < 0 || patterns(p, a) < 0)
		return -1;
	if (!lsub && imap_p_eat(p, ' ')) {
		a->opt |= LIST_EXTENDED;
		if (!imap_p_word(p, "RETURN") || imap_p_sp(p) < 0 ||
		    imap_p_word_list(p, return_opts, sizeof return_opts / sizeof return_opts[0],
		                     &a->opt, return_arg, a) < 0)
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

/* The patterns with the reference put before them (unless absolute), as
 * malloc'ed strings in FULL; their number, or -1 when out of memory. */
static int full_patterns(const struct list_args *a, char *full[LIST_PATTERNS_MAX])
{
	int n = 0;
	for (int i = 0; i < a->npat; i++) {
		const struct imap_str *pt = &a->pat[i];
		if (pt->len == 0 || memchr(pt->p, '\0', pt->len))
			continue;
		if (asprintf(&full[n], "%s%.*s", pt->p[0] == '/' ? "" : a->ref, (int)pt->len,
		             pt->p) < 0) {
			while (n > 0)
				free(full[--n]);
			return -1;
		}
		n++;
	}
	return n;
}

/* A LIST or LSUB on its way (a read job, imap_job.h): the names are
 * gathered and chosen, and their STATUS read, in the job. */
struct list_job {
	struct list_args a;          /* its patterns are not used: FULL is */
	char *full[LIST_PATTERNS_MAX];
	int n;
	int64_t person;
	bool utf8;
	struct ltree t;
	struct list_status *status;  /* with RET_STATUS: one per name */
};

static int list_run(struct store *st, void *arg)
{
	struct list_job *j = arg;
	unsigned opt = j->a.opt;
	if (ltree_gather(st, j->person, j->utf8, &j->t) < 0)
		return -1;
	choose(&j->t, opt, j->full, j->n);
	if (!(opt & RET_STATUS) || j->t.n == 0)
		return 0;
	if ((j->status = calloc(j->t.n, sizeof *j->status)) == NULL)
		return -1;
	for (size_t i = 0; i < j->t.n; i++) {
		if (!wants_status(&j->t.e[i], opt))
			continue;
		if (imap_status_read(st, j->person, j->t.e[i].name, &j->status[i].of) == 0)
			j->status[i].have = true;
		else if (store_last_error(st) != STORE_E_NOTFOUND)
			return -1;
	}
	return 0;
}

static const char *list_name(const struct list_job *j)
{
	return j->a.opt & LIST_LSUB ? "LSUB" : "LIST";
}

static enum cmd_result list_apply(struct imap_client *c, void *arg, int rc,
                                  enum store_error err)
{
	struct list_job *j = arg;
	if (rc < 0)
		return imap_job_failed(c, err);
	answer_all(c, &j->t, &j->a, j->status);
	return imap_done(c, "OK", "%s completed", list_name(j));
}

static void list_free(void *arg)
{
	struct list_job *j = arg;
	for (size_t i = 0; j->status != NULL && i < j->t.n; i++)
		if (j->status[i].have)
			imap_status_clear(&j->status[i].of);
	free(j->status);
	ltree_free(&j->t);
	while (j->n > 0)
		free(j->full[--j->n]);
	free(j);
}

static const struct imap_job_ops list_ops = { STORE_JOB_READ, list_run, list_apply,
	                                      list_free };

static enum cmd_result run_list(struct imap_client *c, bool lsub)
{
	struct list_job *j = calloc(1, sizeof *j);
	if (j == NULL)
		return imap_done(c, "NO", "[UNAVAILABLE] out of memory, try again later");
	if (list_args(&c->active.p, &j->a, lsub) < 0) {
		free(j);
		return imap_bad_syntax(c);
	}
	if (j->a.npat == 1 && j->a.pat[0].len == 0) {
		/* LIST "" "": the delimiter and the root */
		const char *cmd = list_name(j);
		free(j);
		imap_untagged(c, "%s (\\Noselect) \"/\" \"\"", cmd);
		return imap_done(c, "OK", "%s completed", cmd);
	}
	if ((j->n = full_patterns(&j->a, j->full)) < 0) {
		free(j);
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	}
	j->person = c->person_id;
	j->utf8 = imap_utf8_names(c);
	return imap_read_start(c, &list_ops, j);
}

enum cmd_result imap_cmd_list(struct imap_client *c)
{
	return run_list(c, false);
}

enum cmd_result imap_cmd_lsub(struct imap_client *c)
{
	return run_list(c, true);
}
