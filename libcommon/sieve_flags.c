/*
 * sieve_flags.c - imap4flags (RFC 5232): the internal flag variable and
 * named ones, setflag/addflag/removeflag, and the flags keep and
 * fileinto file with (:flags or the internal variable).  Flags are kept
 * space-separated, each once whatever its case.
 */
#include "sieve_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *sv_flags_get(const struct sv_run *r, const char *name)
{
	if (name == NULL)
		return r->flags ? r->flags : "";
	for (size_t i = 0; i < r->vars.n; i++)
		if (strcasecmp(r->vars.v[i].name, name) == 0)
			return r->vars.v[i].value;
	return "";
}

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

int sv_flag_command(struct sv_run *r, const struct sv_node *n)
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
char *sv_action_flags(struct sv_run *r, const struct sv_node *n)
{
	const struct sv_arg *a = sv_tagged(n, "flags", NULL);
	char *f = a ? join(r, a) : strdup(r->flags ? r->flags : "");
	char *clean = f ? flags_change("", f, true) : NULL;
	free(f);
	if (clean == NULL)
		sv_fail(r, "out of memory");
	return clean;
}

