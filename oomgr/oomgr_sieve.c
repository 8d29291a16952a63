/*
 * oomgr_sieve.c - persons' Sieve scripts (libcommon/sieve.h, kept in the
 * store by store_sieve.h):
 *
 *   sieve list username=NAME;
 *   sieve show username=NAME name=SCRIPT;
 *   sieve install username=NAME name=SCRIPT file=PATH [activate=yes];
 *   sieve activate username=NAME name=SCRIPT;
 *   sieve deactivate username=NAME;
 *   sieve delete username=NAME name=SCRIPT;
 *   check sieve FILE;
 *
 * A script is compiled before it is stored, so only scripts that compile
 * reach postman; `check sieve` compiles a file and prints its errors as
 * FILE:LINE:COL: message, as compilers do.
 */
#include "oomgr_admin.h"

#include "sieve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Reads FILE whole (at most SIEVE_SCRIPT_MAX + 1 bytes, so an oversized
 * one is seen as such).  A malloc'ed buffer, or NULL (said). */
static char *read_script(const char *file, size_t *len)
{
	FILE *f = fopen(file, "rb");
	char *buf = malloc(SIEVE_SCRIPT_MAX + 2);
	if (f == NULL || buf == NULL) {
		oomgr_fail("Cannot read %s: %s.", file, strerror(f ? ENOMEM : errno));
		if (f != NULL)
			fclose(f);
		free(buf);
		return NULL;
	}
	*len = fread(buf, 1, SIEVE_SCRIPT_MAX + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		oomgr_fail("Cannot read %s.", file);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

/* Compiles FILE; errors go to stderr as FILE:LINE:COL: message. */
static char *compile_file(const char *file, size_t *len)
{
	struct sieve_error err;
	char *text = read_script(file, len);
	if (text == NULL)
		return NULL;
	struct sieve_program *p = sieve_compile(text, *len, &err);
	if (p == NULL) {
		fflush(stdout);
		fprintf(stderr, "%s:%d:%d: %s\n", file, err.line, err.col, err.text);
		free(text);
		return NULL;
	}
	sieve_free(p);
	return text;
}

int oomgr_check_sieve(struct oomgr *o, const struct oomgr_stmt *st)
{
	(void)o;
	size_t len;
	const char *file = stmt_word(st, 2);
	if (file == NULL || st->nwords != 3 || st->nparams != 0)
		return oomgr_fail("check sieve FILE;");
	char *text = compile_file(file, &len);
	if (text == NULL)
		return -1;
	printf("%s: no errors.\n", file);
	free(text);
	return 0;
}

static int list_one(const struct store_sieve_script *s, void *arg)
{
	char when[32];
	time_t t = (time_t)s->updated;
	struct tm tm;
	(void)arg;
	strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime_r(&t, &tm));
	printf("%-32s %-8s %s\n", s->name, s->active ? "active" : "", when);
	return 0;
}

static int install(struct oomgr *o, const struct oomgr_stmt *st,
                   const struct store_person *p, const char *name)
{
	const char *file = admin_required(st, "file");
	const char *act = stmt_param(st, "activate");
	bool activate = false;
	size_t len;
	char *text;

	if (file == NULL || (act && admin_parse_bool("activate", act, &activate) < 0) ||
	    (text = compile_file(file, &len)) == NULL)
		return -1;
	struct store *s = admin_store(o);
	int r = store_sieve_put(s, p->id, name, text, len, (int64_t)time(NULL));
	free(text);
	if (r == 0 && activate)
		r = store_sieve_activate(s, p->id, name);
	if (r < 0)
		return admin_failed(s, "Sieve script", name);
	printf("Installed successfully: Sieve script %s of %s@%s%s.\n", name, p->username,
	       p->domain, activate ? ", active" : "");
	return 0;
}

static int show(struct oomgr *o, const struct store_person *p, const char *name)
{
	struct store_sieve_script sc = { 0 };
	if (store_sieve_get(admin_store(o), p->id, name, &sc) < 0)
		return admin_failed(admin_store(o), "Sieve script", name);
	fputs(sc.content, stdout);
	store_sieve_clear(&sc);
	return 0;
}

static int change(struct oomgr *o, const struct store_person *p, const char *verb,
                  const char *name)
{
	struct store *s = admin_store(o);
	bool del = strcasecmp(verb, "delete") == 0;
	int r = del ? store_sieve_delete(s, p->id, name) : store_sieve_activate(s, p->id, name);
	if (r < 0 && del && store_last_error(s) == STORE_E_INVALID)
		return oomgr_fail("Sieve script %s is active: deactivate it first.", name);
	if (r < 0)
		return admin_failed(s, "Sieve script", name ? name : "");
	printf("%s successfully: %s%s of %s@%s.\n", del ? "Deleted" : name ? "Activated"
	       : "Deactivated", name ? "Sieve script " : "Sieve filtering", name ? name : "",
	       p->username, p->domain);
	return 0;
}

int oomgr_sieve(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { "username", "name", "file", "activate", NULL };
	static const char *const verbs[] = { "list", "show", "install", "activate",
		                                 "deactivate", "delete" };
	const char *verb = stmt_word(st, 1), *user, *name = NULL;
	struct store_person p = { 0 };
	size_t v = 0;

	while (verb != NULL && v < sizeof verbs / sizeof verbs[0] &&
	       strcasecmp(verb, verbs[v]) != 0)
		v++;
	if (verb == NULL || v == sizeof verbs / sizeof verbs[0] || st->nwords != 2)
		return oomgr_fail("sieve list | show | install | activate | deactivate | delete"
		                  " username=NAME [name=SCRIPT] [file=FILE];");
	bool needs_name = v != 0 && v != 4;
	if (admin_stmt_person(o, st, known, &user, &p) < 0)
		return -1;
	int r = -1;
	if (needs_name && (name = admin_required(st, "name")) == NULL)
		r = -1;
	else if (v == 0)
		r = store_sieve_list(admin_store(o), p.id, list_one, NULL) < 0
		    ? admin_failed(admin_store(o), "person", user) : 0;
	else if (v == 1)
		r = show(o, &p, name);
	else if (v == 2)
		r = install(o, st, &p, name);
	else
		r = change(o, &p, verb, name);
	store_person_clear(&p);
	return r;
}
