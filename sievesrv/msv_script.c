/*
 * msv_script.c - the commands that read a person's scripts (RFC 5804
 * 2.6 HAVESPACE, 2.7 LISTSCRIPTS, 2.9 GETSCRIPT, 2.12 CHECKSCRIPT) and
 * the checks PUTSCRIPT shares with them: a script compiles (sieve.h,
 * its line:col message in the NO), fits SIEVE_SCRIPT_MAX, and a new
 * one stays within sieve.max_scripts.  Reads run on the loop's store
 * handle; the store's readers never wait for its writer.
 */
#include "msv.h"

#include "log.h"
#include "sieve.h"
#include "store.h"
#include "store_sieve.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A store failure as ManageSieve says it. */
static void store_trouble(struct msv_client *c, const char *name)
{
	if (store_last_error(c->srv->store) == STORE_E_NOTFOUND)
		msv_no(c, false, "NONEXISTENT", "there is no script %s", name);
	else if (store_error_transient(c->srv->store))
		msv_reply(c, "NO (TRYLATER) \"the store is busy; try again\"");
	else
		msv_reply(c, "NO \"the store failed\"");
}

bool msv_script_compiles(struct msv_client *c, const char *s, size_t len)
{
	struct sieve_error err = { 0 };
	if (len > SIEVE_SCRIPT_MAX) {
		msv_no(c, false, "QUOTA/MAXSIZE", "a script is limited to %d bytes",
		       SIEVE_SCRIPT_MAX);
		return false;
	}
	struct sieve_program *p = sieve_compile(s, len, &err);
	if (p == NULL) {
		msv_no(c, false, NULL, "line %d:%d: %s", err.line, err.col, err.text);
		return false;
	}
	sieve_free(p);
	return true;
}

struct counting {
	const char *name;
	unsigned n;
	bool exists;
};

static int count_one(const struct store_sieve_script *s, void *arg)
{
	struct counting *k = arg;
	k->n++;
	k->exists = k->exists || strcmp(s->name, k->name) == 0;
	return 0;
}

bool msv_script_fits(struct msv_client *c, const char *name, uint64_t size)
{
	struct counting k = { name, 0, false };
	if (size > SIEVE_SCRIPT_MAX) {
		msv_no(c, false, "QUOTA/MAXSIZE", "a script is limited to %d bytes",
		       SIEVE_SCRIPT_MAX);
		return false;
	}
	if (store_sieve_list(c->srv->store, c->who.person_id, count_one, &k) < 0) {
		store_trouble(c, name);
		return false;
	}
	if (!k.exists && k.n >= c->srv->set.max_scripts) {
		msv_no(c, false, "QUOTA/MAXSCRIPTS", "at most %u scripts", c->srv->set.max_scripts);
		return false;
	}
	return true;
}

static int list_one(const struct store_sieve_script *s, void *arg)
{
	struct msv_client *c = arg;
	msv_write_string(c, s->name, strlen(s->name));
	if (s->active)
		msv_write(c, " ACTIVE", 7);
	msv_write(c, "\r\n", 2);
	return 0;
}

void msv_cmd_listscripts(struct msv_client *c)
{
	if (store_sieve_list(c->srv->store, c->who.person_id, list_one, c) < 0)
		store_trouble(c, "");
	else
		msv_reply(c, "OK \"listscripts completed\"");
}

void msv_cmd_getscript(struct msv_client *c)
{
	struct store_sieve_script s = { 0 };
	const char *name = c->args.v[1].s;
	if (store_sieve_get(c->srv->store, c->who.person_id, name, &s) < 0) {
		store_trouble(c, name);
		return;
	}
	size_t len = strlen(s.content);
	char head[32];
	int n = snprintf(head, sizeof head, "{%zu}\r\n", len);
	msv_write(c, head, (size_t)n);
	msv_write(c, s.content, len);
	msv_reply(c, "\r\nOK \"getscript completed\"");
	store_sieve_clear(&s);
}

void msv_cmd_checkscript(struct msv_client *c)
{
	if (msv_script_compiles(c, c->args.v[1].s, c->args.v[1].len))
		msv_reply(c, "OK \"the script is valid\"");
}

void msv_cmd_havespace(struct msv_client *c)
{
	const char *size = c->args.v[2].s;
	char *end;
	if (!c->args.v[2].atom || size[0] < '0' || size[0] > '9') {
		msv_no(c, true, NULL, "HAVESPACE wants a name and a number");
		return;
	}
	unsigned long long n = strtoull(size, &end, 10);
	if (*end != '\0') {
		msv_no(c, true, NULL, "HAVESPACE wants a name and a number");
		return;
	}
	if (msv_script_fits(c, c->args.v[1].s, n))
		msv_reply(c, "OK \"putscript would succeed\"");
}
