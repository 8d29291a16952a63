/*
 * sieve_check.c - the meaning of a parsed Sieve script: every command
 * and test against the table of what ems knows (name, extension,
 * positional arguments, tags, test and block), `require` first and only
 * of extensions ems has (RFC 5228 3.2), elsif/else after an if.  A node
 * that passes gets its op, its positional and its tagged arguments
 * split, so sieve_eval.c trusts it.
 */
#include "sieve_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Tag groups a command or test takes. */
#define G_CMP      0x001u   /* :comparator */
#define G_MATCH    0x002u   /* :is :contains :matches :value :count */
#define G_ADDR     0x004u   /* :all :localpart :domain :user :detail */
#define G_SIZE     0x008u   /* :over :under */
#define G_COPY     0x010u   /* :copy */
#define G_CREATE   0x020u   /* :create */
#define G_FLAGS    0x040u   /* :flags */
#define G_VACATION 0x080u   /* :days :subject :from :addresses :handle */
#define G_SET      0x100u   /* :lower :upper ... :length */
#define G_BODY     0x200u   /* :raw :content :text */
#define G_ZONE     0x400u   /* :zone */
#define G_ORIGZONE 0x800u   /* :originalzone */
#define G_INDEX    0x1000u  /* :index :last */

struct tag_spec {
	const char *name;
	unsigned group;
	char value;             /* 0: none, 's' string, 'l' list, 'n' number */
	const char *ext;        /* NULL: base language */
	int cls;                /* tags of one class exclude each other (0: none) */
};

static const struct tag_spec tags[] = {
	{ "comparator", G_CMP, 's', NULL, 1 },
	{ "is", G_MATCH, 0, NULL, 2 },
	{ "contains", G_MATCH, 0, NULL, 2 },
	{ "matches", G_MATCH, 0, NULL, 2 },
	{ "value", G_MATCH, 's', "relational", 2 },
	{ "count", G_MATCH, 's', "relational", 2 },
	{ "all", G_ADDR, 0, NULL, 3 },
	{ "localpart", G_ADDR, 0, NULL, 3 },
	{ "domain", G_ADDR, 0, NULL, 3 },
	{ "user", G_ADDR, 0, "subaddress", 3 },
	{ "detail", G_ADDR, 0, "subaddress", 3 },
	{ "over", G_SIZE, 0, NULL, 4 },
	{ "under", G_SIZE, 0, NULL, 4 },
	{ "copy", G_COPY, 0, "copy", 0 },
	{ "create", G_CREATE, 0, "mailbox", 0 },
	{ "flags", G_FLAGS, 'l', "imap4flags", 0 },
	{ "days", G_VACATION, 'n', NULL, 0 },
	{ "subject", G_VACATION, 's', NULL, 0 },
	{ "from", G_VACATION, 's', NULL, 0 },
	{ "addresses", G_VACATION, 'l', NULL, 0 },
	{ "handle", G_VACATION, 's', NULL, 0 },
	{ "mime", G_VACATION, 0, NULL, 0 },
	{ "lower", G_SET, 0, NULL, 5 },
	{ "upper", G_SET, 0, NULL, 5 },
	{ "lowerfirst", G_SET, 0, NULL, 6 },
	{ "upperfirst", G_SET, 0, NULL, 6 },
	{ "quotewildcard", G_SET, 0, NULL, 0 },
	{ "length", G_SET, 0, NULL, 0 },
	{ "raw", G_BODY, 0, NULL, 7 },
	{ "content", G_BODY, 'l', NULL, 7 },
	{ "text", G_BODY, 0, NULL, 7 },
	{ "zone", G_ZONE, 's', NULL, 8 },
	{ "originalzone", G_ORIGZONE, 0, NULL, 8 },
	{ "index", G_INDEX, 'n', "index", 0 },
	{ "last", G_INDEX, 0, "index", 0 },
};

enum { NO_TEST, ONE_TEST, TEST_LIST };

struct spec {
	const char *name;
	int op;
	bool is_test;
	const char *ext;
	const char *pos;        /* alternatives split by '|': "l" list, "s" string, "n" */
	unsigned groups;
	int tests;
	bool block;
};

static const struct spec specs[] = {
	{ "require", SV_OP_REQUIRE, false, NULL, "l", 0, NO_TEST, false },
	{ "if", SV_OP_IF, false, NULL, "", 0, ONE_TEST, true },
	{ "elsif", SV_OP_ELSIF, false, NULL, "", 0, ONE_TEST, true },
	{ "else", SV_OP_ELSE, false, NULL, "", 0, NO_TEST, true },
	{ "stop", SV_OP_STOP, false, NULL, "", 0, NO_TEST, false },
	{ "keep", SV_OP_KEEP, false, NULL, "", G_FLAGS, NO_TEST, false },
	{ "discard", SV_OP_DISCARD, false, NULL, "", 0, NO_TEST, false },
	{ "redirect", SV_OP_REDIRECT, false, NULL, "s", G_COPY, NO_TEST, false },
	{ "fileinto", SV_OP_FILEINTO, false, "fileinto", "s", G_COPY | G_CREATE | G_FLAGS,
	  NO_TEST, false },
	{ "reject", SV_OP_REJECT, false, "reject", "s", 0, NO_TEST, false },
	{ "ereject", SV_OP_EREJECT, false, "ereject", "s", 0, NO_TEST, false },
	{ "vacation", SV_OP_VACATION, false, "vacation", "s", G_VACATION, NO_TEST, false },
	{ "setflag", SV_OP_SETFLAG, false, "imap4flags", "l|sl", 0, NO_TEST, false },
	{ "addflag", SV_OP_ADDFLAG, false, "imap4flags", "l|sl", 0, NO_TEST, false },
	{ "removeflag", SV_OP_REMOVEFLAG, false, "imap4flags", "l|sl", 0, NO_TEST, false },
	{ "set", SV_OP_SET, false, "variables", "ss", G_SET, NO_TEST, false },
	{ "address", SV_OP_ADDRESS, true, NULL, "ll", G_CMP | G_MATCH | G_ADDR | G_INDEX,
	  NO_TEST, false },
	{ "envelope", SV_OP_ENVELOPE, true, "envelope", "ll", G_CMP | G_MATCH | G_ADDR,
	  NO_TEST, false },
	{ "header", SV_OP_HEADER, true, NULL, "ll", G_CMP | G_MATCH | G_INDEX, NO_TEST,
	  false },
	{ "exists", SV_OP_EXISTS, true, NULL, "l", 0, NO_TEST, false },
	{ "size", SV_OP_SIZE, true, NULL, "n", G_SIZE, NO_TEST, false },
	{ "allof", SV_OP_ALLOF, true, NULL, "", 0, TEST_LIST, false },
	{ "anyof", SV_OP_ANYOF, true, NULL, "", 0, TEST_LIST, false },
	{ "not", SV_OP_NOT, true, NULL, "", 0, ONE_TEST, false },
	{ "true", SV_OP_TRUE, true, NULL, "", 0, NO_TEST, false },
	{ "false", SV_OP_FALSE, true, NULL, "", 0, NO_TEST, false },
	{ "hasflag", SV_OP_HASFLAG, true, "imap4flags", "l|ll", G_CMP | G_MATCH, NO_TEST,
	  false },
	{ "string", SV_OP_STRING, true, "variables", "ll", G_CMP | G_MATCH, NO_TEST, false },
	{ "mailboxexists", SV_OP_MAILBOXEXISTS, true, "mailbox", "l", 0, NO_TEST, false },
	{ "body", SV_OP_BODY, true, "body", "l", G_CMP | G_MATCH | G_BODY, NO_TEST, false },
	{ "date", SV_OP_DATE, true, "date", "ssl",
	  G_CMP | G_MATCH | G_ZONE | G_ORIGZONE | G_INDEX, NO_TEST, false },
	{ "currentdate", SV_OP_CURRENTDATE, true, "date", "sl", G_CMP | G_MATCH | G_ZONE,
	  NO_TEST, false },
};

/* Extensions `require` accepts besides SIEVE_EXTENSIONS: the two
 * comparators every implementation has (RFC 5228 2.7.3). */
#define IMPLICIT_EXTENSIONS "comparator-i;octet comparator-i;ascii-casemap"

struct checker {
	struct sieve_error *err;
	char required[512];     /* " ext ext ... " */
	bool commands_seen;     /* anything but require so far */
	bool encoded;           /* encoded-character required */
};

static int fail(struct checker *c, int line, int col, const char *fmt, const char *a,
                const char *b)
{
	c->err->line = line;
	c->err->col = col;
	snprintf(c->err->text, sizeof c->err->text, fmt, a, b ? b : "");
	return -1;
}

/* True when word W is in the space-separated LIST. */
static bool in_list(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = list; (p = strstr(p, w)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static bool have(const struct checker *c, const char *ext)
{
	return ext == NULL || in_list(c->required, ext);
}

static int require(struct checker *c, const struct sv_node *n)
{
	const struct sv_arg *a = n->pos[0];
	if (c->commands_seen)
		return fail(c, n->line, n->col, "require must come before other commands%s%s",
		            "", NULL);
	for (size_t i = 0; i < a->n; i++) {
		const char *e = a->v[i];
		if (e[0] == '\0' || strchr(e, ' ') != NULL ||
		    (!in_list(SIEVE_EXTENSIONS, e) && !in_list(IMPLICIT_EXTENSIONS, e)))
			return fail(c, a->line, a->col, "unsupported extension \"%s\"%s", e, NULL);
		size_t used = strlen(c->required);
		if (used + strlen(e) + 2 >= sizeof c->required)
			return fail(c, a->line, a->col, "too many extensions%s%s", "", NULL);
		snprintf(c->required + used, sizeof c->required - used, " %s", e);
	}
	c->encoded = have(c, "encoded-character");
	return 0;
}

static const struct spec *find_spec(const char *name)
{
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
		if (strcmp(specs[i].name, name) == 0)
			return &specs[i];
	return NULL;
}

static const struct tag_spec *find_tag(const char *name, unsigned groups)
{
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
		if ((tags[i].group & groups) && strcmp(tags[i].name, name) == 0)
			return &tags[i];
	return NULL;
}

static bool value_fits(char want, const struct sv_arg *a)
{
	switch (want) {
	case 'n': return a->kind == SV_ARG_NUM;
	case 's': return a->kind == SV_ARG_LIST && a->plain;
	case 'l': return a->kind == SV_ARG_LIST;
	default: return false;
	}
}

static int check_tag_value(struct checker *c, const char *tag, const struct sv_arg *v)
{
	static const char *const rels[] = { "gt", "ge", "lt", "le", "eq", "ne" };
	if (strcmp(tag, "comparator") == 0) {
		const char *cmp = v->v[0];
		if (strcmp(cmp, "i;ascii-numeric") == 0 && !have(c, "comparator-i;ascii-numeric"))
			return fail(c, v->line, v->col,
			            "comparator \"%s\" needs require \"comparator-%s\"", cmp, cmp);
		if (strcmp(cmp, "i;octet") != 0 && strcmp(cmp, "i;ascii-casemap") != 0 &&
		    strcmp(cmp, "i;ascii-numeric") != 0)
			return fail(c, v->line, v->col, "unknown comparator \"%s\"%s", cmp, NULL);
	}
	if (strcmp(tag, "value") == 0 || strcmp(tag, "count") == 0) {
		for (size_t i = 0; i < sizeof rels / sizeof rels[0]; i++)
			if (strcasecmp(v->v[0], rels[i]) == 0)
				return 0;
		return fail(c, v->line, v->col, "unknown relation \"%s\"%s", v->v[0], NULL);
	}
	/* occurrences count from 1 (RFC 5260 6) */
	if (strcmp(tag, "index") == 0 && v->num == 0)
		return fail(c, v->line, v->col, ":index needs a number from 1%s%s", "", NULL);
	return 0;
}

/* One tagged argument at ARGS[*I]: known, required, not doubled, with
 * its value when it takes one. */
static int take_tag(struct checker *c, struct sv_node *n, const struct spec *sp,
                    size_t *i, int *classes)
{
	const struct sv_arg *a = &n->args[*i];
	const struct tag_spec *t = find_tag(a->tag, sp->groups);
	if (t == NULL)
		return fail(c, a->line, a->col, "%s does not take :%s", n->name, a->tag);
	if (!have(c, t->ext))
		return fail(c, a->line, a->col, ":%s needs require \"%s\"", t->name, t->ext);
	if ((t->cls && (*classes & (1 << t->cls))) || n->ntagged == SV_TAGGED_MAX)
		return fail(c, a->line, a->col, ":%s conflicts with an earlier tag%s", a->tag,
		            NULL);
	for (size_t k = 0; k < n->ntagged; k++)
		if (strcmp(n->tagged[k].name, t->name) == 0)
			return fail(c, a->line, a->col, ":%s given twice%s", a->tag, NULL);
	if (t->cls)
		*classes |= 1 << t->cls;
	struct sv_tagged *tg = &n->tagged[n->ntagged++];
	tg->name = t->name;
	tg->value = NULL;
	if (t->value == 0)
		return 0;
	if (*i + 1 >= n->nargs || !value_fits(t->value, &n->args[*i + 1]))
		return fail(c, a->line, a->col, ":%s needs a %s after it", a->tag,
		            t->value == 'n' ? "number" : t->value == 's' ? "string" : "string list");
	tg->value = &n->args[++*i];
	return check_tag_value(c, t->name, tg->value);
}

/* The positional arguments of N against the alternatives of SP->pos. */
static int check_positional(struct checker *c, const struct sv_node *n, const struct spec *sp)
{
	const char *alt = sp->pos;
	for (;;) {
		size_t len = strcspn(alt, "|");
		bool ok = len == n->npos;
		for (size_t k = 0; ok && k < len; k++)
			ok = value_fits(alt[k], n->pos[k]);
		if (ok)
			return 0;
		if (alt[len] == '\0')
			break;
		alt += len + 1;
	}
	return fail(c, n->line, n->col, "wrong arguments for %s%s", n->name, NULL);
}

static int split_args(struct checker *c, struct sv_node *n, const struct spec *sp)
{
	int classes = 0;
	for (size_t i = 0; i < n->nargs; i++) {
		if (n->args[i].kind == SV_ARG_TAG) {
			if (take_tag(c, n, sp, &i, &classes) < 0)
				return -1;
		} else if (n->npos == SV_POS_MAX) {
			return fail(c, n->args[i].line, n->args[i].col, "too many arguments for %s%s",
			            n->name, NULL);
		} else {
			n->pos[n->npos++] = &n->args[i];
		}
	}
	if ((sp->groups & G_SIZE) && !(classes & (1 << 4)))
		return fail(c, n->line, n->col, "%s needs :over or :under%s", n->name, NULL);
	bool last, index;
	sv_tagged(n, "last", &last);
	sv_tagged(n, "index", &index);
	if (last && !index)     /* RFC 5260 6 */
		return fail(c, n->line, n->col, "%s: :last needs :index%s", n->name, NULL);
	return check_positional(c, n, sp);
}

static int decode_strings(struct checker *c, struct sv_node *n)
{
	char why[120];
	for (size_t i = 0; i < n->nargs; i++)
		for (size_t k = 0; k < n->args[i].n; k++)
			if (sv_decode_encoded(&n->args[i].v[k], why, sizeof why) < 0)
				return fail(c, n->args[i].line, n->args[i].col, "%s%s", why, NULL);
	return 0;
}

static int check_nodes(struct checker *c, struct sv_node *v, size_t nv, bool tests);

static int check_shape(struct checker *c, struct sv_node *n, const struct spec *sp)
{
	if (sp->tests == NO_TEST && n->ntests > 0)
		return fail(c, n->line, n->col, "%s takes no test%s", n->name, NULL);
	if (sp->tests == ONE_TEST && n->ntests != 1)
		return fail(c, n->line, n->col, "%s takes one test%s", n->name, NULL);
	if (sp->tests == TEST_LIST && n->ntests == 0)
		return fail(c, n->line, n->col, "%s takes a list of tests%s", n->name, NULL);
	if (sp->block != n->has_block)
		return fail(c, n->line, n->col, sp->block ? "%s needs a block%s" :
		            "%s takes no block%s", n->name, NULL);
	if (sp->op == SV_OP_DATE || sp->op == SV_OP_CURRENTDATE) {
		const struct sv_arg *part = n->pos[sp->op == SV_OP_DATE ? 1 : 0];
		if (strstr(part->v[0], "${") == NULL && !sv_date_part_ok(part->v[0]))
			return fail(c, part->line, part->col, "unknown date part \"%s\"%s",
			            part->v[0], NULL);
	}
	if (sp->op == SV_OP_SET && !sv_var_name_ok(n->pos[0]->v[0]))
		return fail(c, n->pos[0]->line, n->pos[0]->col, "bad variable name \"%s\"%s",
		            n->pos[0]->v[0], NULL);
	return check_nodes(c, n->tests, n->ntests, true) < 0 ||
	       check_nodes(c, n->block, n->nblock, false) < 0 ? -1 : 0;
}

static int check_node(struct checker *c, struct sv_node *n, bool is_test, int prev_op)
{
	const struct spec *sp = find_spec(n->name);
	if (sp == NULL || sp->is_test != is_test)
		return fail(c, n->line, n->col, is_test ? "unknown test \"%s\"%s" :
		            "unknown command \"%s\"%s", n->name, NULL);
	if (!have(c, sp->ext))
		return fail(c, n->line, n->col, "%s needs require \"%s\"", n->name, sp->ext);
	if ((sp->op == SV_OP_ELSIF || sp->op == SV_OP_ELSE) &&
	    prev_op != SV_OP_IF && prev_op != SV_OP_ELSIF)
		return fail(c, n->line, n->col, "%s without an if before it%s", n->name, NULL);
	n->op = sp->op;
	if (c->encoded && decode_strings(c, n) < 0)
		return -1;
	if (split_args(c, n, sp) < 0)
		return -1;
	if (sp->op == SV_OP_REQUIRE)
		return require(c, n);
	c->commands_seen = true;
	return check_shape(c, n, sp);
}

static int check_nodes(struct checker *c, struct sv_node *v, size_t nv, bool tests)
{
	int prev = 0;
	for (size_t i = 0; i < nv; i++) {
		if (check_node(c, &v[i], tests, prev) < 0)
			return -1;
		prev = v[i].op;
	}
	return 0;
}

int sv_check(struct sieve_program *p, struct sieve_error *err)
{
	struct checker c = { .err = err };
	if (check_nodes(&c, p->cmds, p->ncmds, false) < 0)
		return -1;
	p->variables = have(&c, "variables");
	return 0;
}

const struct sv_arg *sv_tagged(const struct sv_node *n, const char *name, bool *present)
{
	for (size_t i = 0; i < n->ntagged; i++)
		if (strcmp(n->tagged[i].name, name) == 0) {
			if (present != NULL)
				*present = true;
			return n->tagged[i].value;
		}
	if (present != NULL)
		*present = false;
	return NULL;
}
