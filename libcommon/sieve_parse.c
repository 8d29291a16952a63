/*
 * sieve_parse.c - the grammar of RFC 5228 section 8.2: tokens from
 * sieve_lex.c into a tree of commands and tests (sieve_internal.h), then
 * sieve_check.c resolves it.  Recursion is bounded by SIEVE_DEPTH_MAX, so
 * no script, however nested, exhausts the stack.
 */
#include "sieve_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	struct sv_lexer lx;
	struct sv_token tok;    /* the current token */
	struct sieve_error *err;
	int depth;
};

static void next(struct parser *ps)
{
	free(ps->tok.s);
	sv_lex_next(&ps->lx, &ps->tok);
}

static int fail_at(struct parser *ps, int line, int col, const char *why)
{
	if (ps->tok.type == SV_ERR)
		return -1;      /* the lexer said why */
	ps->err->line = line;
	ps->err->col = col;
	snprintf(ps->err->text, sizeof ps->err->text, "%s", why);
	return -1;
}

static int fail(struct parser *ps, const char *why)
{
	return fail_at(ps, ps->tok.line, ps->tok.col, why);
}

static void arg_free(struct sv_arg *a)
{
	free(a->tag);
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

void sv_node_free(struct sv_node *n)
{
	free(n->name);
	for (size_t i = 0; i < n->nargs; i++)
		arg_free(&n->args[i]);
	free(n->args);
	for (size_t i = 0; i < n->ntests; i++)
		sv_node_free(&n->tests[i]);
	free(n->tests);
	for (size_t i = 0; i < n->nblock; i++)
		sv_node_free(&n->block[i]);
	free(n->block);
}

/* Grows *V (of *N elements of SIZE bytes) by one zeroed element. */
static void *grow(void **v, size_t *n, size_t size)
{
	char *p = realloc(*v, (*n + 1) * size);
	if (p == NULL)
		return NULL;
	*v = p;
	memset(p + *n * size, 0, size);
	return p + (*n)++ * size;
}

static int add_string(struct parser *ps, struct sv_arg *a)
{
	char **v = realloc(a->v, (a->n + 1) * sizeof *v);
	if (v == NULL)
		return fail(ps, "out of memory");
	a->v = v;
	a->v[a->n++] = ps->tok.s;
	ps->tok.s = NULL;
	next(ps);
	return 0;
}

static int string_list(struct parser *ps, struct sv_arg *a)
{
	a->kind = SV_ARG_LIST;
	if (ps->tok.type == SV_STR) {
		a->plain = true;
		return add_string(ps, a);
	}
	next(ps);       /* '[' */
	for (;;) {
		if (ps->tok.type != SV_STR)
			return fail(ps, "a string list holds strings");
		if (add_string(ps, a) < 0)
			return -1;
		if (ps->tok.type == SV_RBRACK)
			break;
		if (ps->tok.type != SV_COMMA)
			return fail(ps, "expected ',' or ']' in a string list");
		next(ps);
	}
	next(ps);
	return 0;
}

static int argument(struct parser *ps, struct sv_arg *a)
{
	a->line = ps->tok.line;
	a->col = ps->tok.col;
	switch (ps->tok.type) {
	case SV_TAG:
		a->kind = SV_ARG_TAG;
		a->tag = ps->tok.s;
		ps->tok.s = NULL;
		next(ps);
		return 0;
	case SV_NUM:
		a->kind = SV_ARG_NUM;
		a->num = ps->tok.num;
		next(ps);
		return 0;
	default:
		return string_list(ps, a);
	}
}

static int test(struct parser *ps, struct sv_node *n);

static int test_list(struct parser *ps, struct sv_node *n)
{
	next(ps);       /* '(' */
	for (;;) {
		struct sv_node *t = grow((void **)&n->tests, &n->ntests, sizeof *t);
		if (t == NULL)
			return fail(ps, "out of memory");
		if (test(ps, t) < 0)
			return -1;
		if (ps->tok.type == SV_RPAREN)
			break;
		if (ps->tok.type != SV_COMMA)
			return fail(ps, "expected ',' or ')' in a test list");
		next(ps);
	}
	next(ps);
	return 0;
}

/* The arguments of N, then its test or test list when one follows. */
static int arguments(struct parser *ps, struct sv_node *n)
{
	while (ps->tok.type == SV_TAG || ps->tok.type == SV_NUM ||
	       ps->tok.type == SV_STR || ps->tok.type == SV_LBRACK) {
		struct sv_arg *a = grow((void **)&n->args, &n->nargs, sizeof *a);
		if (a == NULL)
			return fail(ps, "out of memory");
		if (argument(ps, a) < 0)
			return -1;
	}
	if (ps->tok.type == SV_LPAREN)
		return test_list(ps, n);
	if (ps->tok.type == SV_IDENT) {
		struct sv_node *t = grow((void **)&n->tests, &n->ntests, sizeof *t);
		return t == NULL ? fail(ps, "out of memory") : test(ps, t);
	}
	return 0;
}

/* An identifier starts node N. */
static int node_start(struct parser *ps, struct sv_node *n, const char *what)
{
	if (ps->tok.type != SV_IDENT)
		return fail(ps, what);
	if (++ps->depth > SIEVE_DEPTH_MAX)
		return fail(ps, "nested too deep");
	n->name = ps->tok.s;
	ps->tok.s = NULL;
	n->line = ps->tok.line;
	n->col = ps->tok.col;
	next(ps);
	return 0;
}

static int test(struct parser *ps, struct sv_node *n)
{
	if (node_start(ps, n, "expected a test") < 0 || arguments(ps, n) < 0)
		return -1;
	ps->depth--;
	return 0;
}

static int commands(struct parser *ps, struct sv_node **v, size_t *n, enum sv_tok until);

static int command(struct parser *ps, struct sv_node *n)
{
	if (node_start(ps, n, "expected a command") < 0 || arguments(ps, n) < 0)
		return -1;
	if (ps->tok.type == SV_SEMI) {
		next(ps);
	} else if (ps->tok.type == SV_LBRACE) {
		next(ps);
		if (commands(ps, &n->block, &n->nblock, SV_RBRACE) < 0)
			return -1;
		next(ps);
		n->has_block = true;
	} else {
		return fail(ps, "expected ';' or '{'");
	}
	ps->depth--;
	return 0;
}

static int commands(struct parser *ps, struct sv_node **v, size_t *n, enum sv_tok until)
{
	while (ps->tok.type != until) {
		if (ps->tok.type == SV_EOF)
			return fail(ps, "'}' missing");
		struct sv_node *c = grow((void **)v, n, sizeof *c);
		if (c == NULL)
			return fail(ps, "out of memory");
		if (command(ps, c) < 0)
			return -1;
	}
	return 0;
}

static void program_free_cmds(struct sieve_program *p)
{
	for (size_t i = 0; i < p->ncmds; i++)
		sv_node_free(&p->cmds[i]);
	free(p->cmds);
}

void sieve_free(struct sieve_program *p)
{
	if (p == NULL)
		return;
	program_free_cmds(p);
	free(p);
}

struct sieve_program *sieve_compile(const char *src, size_t len, struct sieve_error *err)
{
	struct parser ps = { .err = err };
	struct sieve_program *p = calloc(1, sizeof *p);

	memset(err, 0, sizeof *err);
	if (p == NULL) {
		snprintf(err->text, sizeof err->text, "out of memory");
		return NULL;
	}
	if (len > SIEVE_SCRIPT_MAX) {
		err->line = 1;
		err->col = 1;
		snprintf(err->text, sizeof err->text, "script larger than %d bytes",
		         SIEVE_SCRIPT_MAX);
		free(p);
		return NULL;
	}
	sv_lex_init(&ps.lx, src, len, err);
	sv_lex_next(&ps.lx, &ps.tok);
	int r = ps.tok.type == SV_ERR ? -1 : commands(&ps, &p->cmds, &p->ncmds, SV_EOF);
	if (r == 0)
		r = sv_check(p, err);
	free(ps.tok.s);
	if (r < 0) {
		sieve_free(p);
		return NULL;
	}
	return p;
}
