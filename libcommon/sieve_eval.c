/*
 * sieve_eval.c - runs a compiled Sieve program against one message
 * (sieve.h): the control commands, the actions and their rules (RFC 5228
 * 4: implicit keep and what cancels it, one delivery per mailbox; RFC
 * 3894 :copy; RFC 5232 flags; RFC 5429 reject; RFC 5230 vacation) into
 * a list of actions.  No I/O: postman carries the actions out.
 */
#include "sieve_internal.h"

#include "address.h"
#include "header.h"
#include "mime.h"

#include <ctype.h>
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

const char *sv_flags_get(const struct sv_run *r, const char *name)
{
	if (name == NULL)
		return r->flags ? r->flags : "";
	for (size_t i = 0; i < r->vars.n; i++)
		if (strcasecmp(r->vars.v[i].name, name) == 0)
			return r->vars.v[i].value;
	return "";
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

static struct sieve_action *add_action(struct sv_run *r, enum sieve_action_kind kind)
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

/* ---- flags (RFC 5232) ---- */

/* FLAGS with LIST's flags added (ADD) or removed: each kept once, in
 * any case.  A malloc'ed string, NULL when out of memory. */
static char *flags_change(const char *flags, const char *list, bool add)
{
	size_t cap = strlen(flags) + strlen(list) + 2;
	char *out = calloc(1, cap);
	if (out == NULL)
		return NULL;
	for (int pass = 0; pass < 2; pass++) {
		const char *s = pass == 0 ? flags : add ? list : "";
		while (*s) {
			size_t skip = strspn(s, " "), len = strcspn(s + skip, " ");
			const char *f = s + skip;
			s = f + len;
			if (len == 0)
				continue;
			bool dropped = false;
			for (const char *l = list; !add && *l;) {
				size_t ls = strspn(l, " "), ll = strcspn(l + ls, " ");
				dropped |= ll == len && strncasecmp(l + ls, f, len) == 0;
				l += ls + ll;
			}
			bool have = false;
			for (const char *o = out; *o;) {
				size_t ol = strcspn(o, " ");
				have |= ol == len && strncasecmp(o, f, len) == 0;
				o += ol + (o[ol] == ' ');
			}
			if (!dropped && !have)
				snprintf(out + strlen(out), cap - strlen(out), "%s%.*s",
				         out[0] ? " " : "", (int)len, f);
		}
	}
	return out;
}

/* The strings of list A, expanded and joined by spaces. */
static char *join(struct sv_run *r, const struct sv_arg *a)
{
	char *all = strdup("");
	for (size_t i = 0; all != NULL && i < a->n; i++) {
		char *s = sv_str(r, a->v[i]), *both = NULL;
		if (s == NULL || asprintf(&both, "%s%s%s", all, all[0] ? " " : "", s) < 0)
			both = NULL;
		free(s);
		free(all);
		all = both;
	}
	if (all == NULL)
		sv_fail(r, "out of memory");
	return all;
}

static int flag_command(struct sv_run *r, const struct sv_node *n)
{
	char *var = n->npos == 2 ? sv_str(r, n->pos[0]->v[0]) : NULL;
	char *list = join(r, n->pos[n->npos - 1]);
	char *now = NULL;
	int rc = -1;

	if ((n->npos == 2 && var == NULL) || list == NULL)
		goto done;
	if (n->op == SV_OP_SETFLAG)
		now = flags_change("", list, true);
	else
		now = flags_change(sv_flags_get(r, var), list, n->op == SV_OP_ADDFLAG);
	if (now == NULL) {
		sv_fail(r, "out of memory");
	} else if (var == NULL) {
		free(r->flags);
		r->flags = now;
		now = NULL;
		rc = 0;
	} else if (!sv_var_name_ok(var) || sv_var_set(&r->vars, var, now) < 0) {
		sv_fail(r, sv_var_name_ok(var) ? "too many variables" : "bad variable name");
	} else {
		rc = 0;
	}
done:
	free(var);
	free(list);
	free(now);
	return rc;
}

/* The flags an action files with: :flags, else the internal variable. */
static char *action_flags(struct sv_run *r, const struct sv_node *n)
{
	const struct sv_arg *a = sv_tagged(n, "flags", NULL);
	char *f = a ? join(r, a) : strdup(r->flags ? r->flags : "");
	char *clean = f ? flags_change("", f, true) : NULL;
	free(f);
	if (clean == NULL)
		sv_fail(r, "out of memory");
	return clean;
}

/* ---- actions ---- */

/* Files into MAILBOX (NULL: keep), once per mailbox (RFC 5228 4.2). */
static int file(struct sv_run *r, const struct sv_node *n, char *mailbox)
{
	char *flags = action_flags(r, n);
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
	struct sieve_action *a = add_action(r, mailbox ? SIEVE_FILEINTO : SIEVE_KEEP);
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
	struct sieve_action *a = add_action(r, SIEVE_REDIRECT);
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
	struct sieve_action *a = add_action(r, SIEVE_REJECT);
	if (a == NULL || (a->text = sv_str(r, n->pos[0]->v[0])) == NULL)
		return -1;
	r->rejected = true;
	return 0;
}

/* ---- vacation (RFC 5230) ---- */

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

/* The recipient without its "+detail", and :addresses. */
static bool for_person(struct sv_run *r, const struct sv_node *n)
{
	const struct sv_arg *extra = sv_tagged(n, "addresses", NULL);
	const char *want[18] = { 0 };
	char bare[ADDR_MAX + 1], local[ADDR_LOCAL_MAX + 1], domain[ADDR_DOMAIN_MAX + 1];
	char *exp[16] = { 0 };
	size_t k = 0;

	want[k++] = r->msg->env_to;
	if (addr_split(r->msg->env_to, local, sizeof local, domain, sizeof domain) == 0 &&
	    snprintf(bare, sizeof bare, "%s@%s", addr_cut_detail(local), domain) <
	        (int)sizeof bare)
		want[k++] = bare;
	for (size_t i = 0; extra != NULL && i < extra->n && i < 16; i++)
		if ((exp[i] = sv_str(r, extra->v[i])) != NULL)
			want[k++] = exp[i];
	bool yes = addressed_to(r, want);
	for (size_t i = 0; i < 16; i++)
		free(exp[i]);
	return yes;
}

static int vacation(struct sv_run *r, const struct sv_node *n)
{
	const struct sv_arg *days = sv_tagged(n, "days", NULL);
	const struct sv_arg *subject = sv_tagged(n, "subject", NULL);
	const struct sv_arg *from = sv_tagged(n, "from", NULL);

	if (r->rejected || r->vacationed)
		return sv_fail(r, "vacation cannot follow reject or another vacation");
	r->vacationed = true;
	if (!for_person(r, n))
		return 0;
	struct sieve_action *a = add_action(r, SIEVE_VACATION);
	if (a == NULL)
		return -1;
	a->days = SIEVE_VACATION_DAYS_DEFAULT;
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

/* ---- set (RFC 5229 4) ---- */

static void quote_wildcards(char *in, char *out)
{
	for (; *in; in++) {
		if (*in == '*' || *in == '?' || *in == '\\')
			*out++ = '\\';
		*out++ = *in;
	}
	*out = '\0';
}

/* The modifiers, highest precedence first. */
static char *modify(const struct sv_node *n, char *v)
{
	bool lower, upper, lf, uf, qw, len;
	sv_tagged(n, "lower", &lower);
	sv_tagged(n, "upper", &upper);
	sv_tagged(n, "lowerfirst", &lf);
	sv_tagged(n, "upperfirst", &uf);
	sv_tagged(n, "quotewildcard", &qw);
	sv_tagged(n, "length", &len);
	for (char *p = v; (lower || upper) && *p; p++)
		*p = (char)(lower ? tolower((unsigned char)*p) : toupper((unsigned char)*p));
	if ((lf || uf) && v[0] != '\0')
		v[0] = (char)(lf ? tolower((unsigned char)v[0]) : toupper((unsigned char)v[0]));
	if (qw) {
		char *q = malloc(2 * strlen(v) + 1);
		if (q != NULL)
			quote_wildcards(v, q);
		free(v);
		v = q;
	}
	if (len && v != NULL) {
		char *l = NULL;
		size_t chars = 0;
		for (const char *p = v; *p; p++)
			chars += ((unsigned char)*p & 0xC0) != 0x80;
		if (asprintf(&l, "%zu", chars) < 0)
			l = NULL;
		free(v);
		v = l;
	}
	return v;
}

static int set(struct sv_run *r, const struct sv_node *n)
{
	char *v = sv_str(r, n->pos[1]->v[0]);
	if (v == NULL)
		return -1;
	v = modify(n, v);
	int rc = v == NULL ? sv_fail(r, "out of memory")
	         : sv_var_set(&r->vars, n->pos[0]->v[0], v) < 0 ? sv_fail(r, "too many variables")
	         : 0;
	free(v);
	return rc;
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
		return vacation(r, n);
	case SV_OP_SETFLAG:
	case SV_OP_ADDFLAG:
	case SV_OP_REMOVEFLAG:
		return flag_command(r, n);
	case SV_OP_SET:
		return set(r, n);
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
		struct sieve_action *a = add_action(r, SIEVE_KEEP);
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
		struct sieve_action *a = add_action(r, SIEVE_KEEP);
		if (a != NULL)
			a->flags = strdup("");
		rc = -1;
	}
	sv_vars_clear(&r->vars);
	free(r->flags);
	free(r);
	return rc;
}
