/*
 * sieve_eval.c - runs a compiled Sieve program against one message
 * (sieve.h): the control commands, the actions and their rules (RFC 5228
 * 4: implicit keep and what cancels it, one delivery per mailbox; RFC
 * 3894 :copy; RFC 5232 flags; RFC 5429 reject; RFC 5230 vacation) into
 * a list of actions.  No I/O: postman carries the actions out.  Flags
 * are in sieve_flags.c, vacation in sieve_vacation.c, set in
 * sieve_vars.c.
 */
#include "sieve_internal.h"

#include "address.h"
#include "header.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The longest mailbox name fileinto accepts. */
#define MAILBOX_NAME_MAX 255

int sv_fail(struct sv_run *r, const char *why)
{
	if (!r->failed)
		snprintf(r->out->error_text, sizeof r->out->error_text, "%s", why);
	r->failed = true;
	return -1;
}

char *sv_str(struct sv_run *r, const char *s)
{
	char *v = r->p->variables ? sv_expand(&r->vars, s) : strdup(s);
	if (v == NULL)
		sv_fail(r, "out of memory");
	return v;
}

static void action_free(struct sieve_action *a)
{
	free(a->mailbox);
	free(a->flags);
	free(a->address);
	free(a->text);
	free(a->subject);
	free(a->from);
}

void sieve_result_clear(struct sieve_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		action_free(&r->v[i]);
	free(r->v);
	memset(r, 0, sizeof *r);
}

struct sieve_action *sv_add_action(struct sv_run *r, enum sieve_action_kind kind)
{
	if (r->out->n == SIEVE_ACTIONS_MAX) {
		sv_fail(r, "too many actions");
		return NULL;
	}
	struct sieve_action *v = realloc(r->out->v, (r->out->n + 1) * sizeof *v);
	if (v == NULL) {
		sv_fail(r, "out of memory");
		return NULL;
	}
	r->out->v = v;
	memset(&v[r->out->n], 0, sizeof *v);
	v[r->out->n].kind = kind;
	return &v[r->out->n++];
}

/* ---- actions ---- */

/* Files into MAILBOX (NULL: keep), once per mailbox (RFC 5228 4.2). */
static int file(struct sv_run *r, const struct sv_node *n, char *mailbox)
{
	char *flags = sv_action_flags(r, n);
	bool create;
	sv_tagged(n, "create", &create);
	if (flags == NULL) {
		free(mailbox);
		return -1;
	}
	if (mailbox != NULL && strcasecmp(mailbox, "INBOX") == 0 && !create) {
		free(mailbox);
		mailbox = NULL;
	}
	for (size_t i = 0; i < r->out->n; i++) {
		struct sieve_action *a = &r->out->v[i];
		bool same = mailbox == NULL ? a->kind == SIEVE_KEEP
		            : a->kind == SIEVE_FILEINTO && strcmp(a->mailbox, mailbox) == 0;
		if (same) {
			free(a->flags);
			a->flags = flags;
			a->create |= create;
			free(mailbox);
			return 0;
		}
	}
	struct sieve_action *a = sv_add_action(r, mailbox ? SIEVE_FILEINTO : SIEVE_KEEP);
	if (a == NULL) {
		free(flags);
		free(mailbox);
		return -1;
	}
	a->mailbox = mailbox;
	a->create = create;
	a->flags = flags;
	return 0;
}

/* A folder name as the store keeps them: UTF-8, levels split by '/',
 * none of them empty. */
static bool mailbox_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > MAILBOX_NAME_MAX || s[0] == '/' || s[n - 1] == '/' ||
	    strstr(s, "//") != NULL)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int fileinto(struct sv_run *r, const struct sv_node *n)
{
	char *box = sv_str(r, n->pos[0]->v[0]);
	if (box == NULL)
		return -1;
	if (!mailbox_name_ok(box)) {
		free(box);
		return sv_fail(r, "fileinto: bad mailbox name");
	}
	return file(r, n, box);
}

static int redirect(struct sv_run *r, const struct sv_node *n)
{
	char *to = sv_str(r, n->pos[0]->v[0]);
	char addr[ADDR_MAX + 1];
	if (to == NULL)
		return -1;
	int ok = addr_normalize(to, addr, sizeof addr, false);
	free(to);
	if (ok < 0 || strchr(addr, '@') == NULL)
		return sv_fail(r, "redirect: bad address");
	for (size_t i = 0; i < r->out->n; i++)
		if (r->out->v[i].kind == SIEVE_REDIRECT && addr_equal(r->out->v[i].address, addr))
			return 0;
	if (++r->redirects > SIEVE_REDIRECT_MAX)
		return sv_fail(r, "too many redirects");
	struct sieve_action *a = sv_add_action(r, SIEVE_REDIRECT);
	if (a == NULL)
		return -1;
	if ((a->address = strdup(addr)) == NULL)
		return sv_fail(r, "out of memory");
	return 0;
}

static int reject(struct sv_run *r, const struct sv_node *n)
{
	if (r->rejected || r->vacationed || r->kept || r->filed)
		return sv_fail(r, "reject cannot be combined with keep, fileinto, vacation or"
		                  " another reject");
	struct sieve_action *a = sv_add_action(r, SIEVE_REJECT);
	if (a == NULL || (a->text = sv_str(r, n->pos[0]->v[0])) == NULL)
		return -1;
	r->rejected = true;
	return 0;
}

/* ---- commands ---- */

static int run_block(struct sv_run *r, const struct sv_node *v, size_t n);

static int command(struct sv_run *r, const struct sv_node *n, bool copy)
{
	switch (n->op) {
	case SV_OP_STOP:
		r->stopped = true;
		return 0;
	case SV_OP_KEEP:
		r->kept = true;
		r->implicit_keep = false;
		return file(r, n, NULL);
	case SV_OP_DISCARD:
		r->implicit_keep = false;
		return 0;
	case SV_OP_FILEINTO:
		r->filed = true;
		r->implicit_keep &= copy;
		return fileinto(r, n);
	case SV_OP_REDIRECT:
		r->implicit_keep &= copy;
		return redirect(r, n);
	case SV_OP_REJECT:
	case SV_OP_EREJECT:
		r->implicit_keep = false;
		return reject(r, n);
	case SV_OP_VACATION:
		return sv_vacation(r, n);
	case SV_OP_SETFLAG:
	case SV_OP_ADDFLAG:
	case SV_OP_REMOVEFLAG:
		return sv_flag_command(r, n);
	case SV_OP_SET:
		return sv_set(r, n);
	default:    /* require */
		return 0;
	}
}

static int run_block(struct sv_run *r, const struct sv_node *v, size_t n)
{
	bool taken = false;   /* an if/elsif of this chain ran its block */
	for (size_t i = 0; i < n && !r->stopped; i++) {
		const struct sv_node *c = &v[i];
		bool copy;
		if (++r->steps > SIEVE_STEPS_MAX)
			return sv_fail(r, "too many steps");
		if (c->op == SV_OP_IF || c->op == SV_OP_ELSIF || c->op == SV_OP_ELSE) {
			if (c->op == SV_OP_IF)
				taken = false;
			if (taken)
				continue;
			int t = c->op == SV_OP_ELSE ? 1 : sv_test(r, &c->tests[0]);
			if (t < 0)
				return -1;
			if (t) {
				taken = true;
				if (run_block(r, c->block, c->nblock) < 0)
					return -1;
			}
			continue;
		}
		sv_tagged(c, "copy", &copy);
		if (command(r, c, copy) < 0)
			return -1;
	}
	return 0;
}

int sieve_run(const struct sieve_program *p, const struct sieve_message *msg,
              struct sieve_result *out)
{
	bool complete;
	struct sv_run *r = calloc(1, sizeof *r);
	int rc = 0;

	if (r == NULL)
		return -1;
	r->p = p;
	r->msg = msg;
	r->out = out;
	r->implicit_keep = true;
	r->hlen = header_block_len(msg->data, msg->len, &complete);
	if (run_block(r, p->cmds, p->ncmds) == 0 && r->implicit_keep) {
		struct sieve_action *a = sv_add_action(r, SIEVE_KEEP);
		if (a != NULL && (a->flags = strdup(r->flags ? r->flags : "")) == NULL)
			sv_fail(r, "out of memory");
	}
	if (r->failed) {
		/* RFC 5228 2.10.6: a failed script keeps the message */
		char why[sizeof out->error_text];
		memcpy(why, out->error_text, sizeof why);
		sieve_result_clear(out);
		memcpy(out->error_text, why, sizeof why);
		out->error = true;
		struct sieve_action *a = sv_add_action(r, SIEVE_KEEP);
		if (a != NULL)
			a->flags = strdup("");
		rc = -1;
	}
	sv_vars_clear(&r->vars);
	free(r->flags);
	free(r);
	return rc;
}
