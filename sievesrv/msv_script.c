/*
 * msv_script.c - the commands that read a person's scripts (RFC 5804
 * 2.6 HAVESPACE, 2.7 LISTSCRIPTS, 2.9 GETSCRIPT, 2.12 CHECKSCRIPT) and
 * the checks PUTSCRIPT shares with them: a script compiles (sieve.h,
 * its line:col message in the NO), fits SIEVE_SCRIPT_MAX, and a new
 * one stays within sieve.max_scripts.  Reads run as libcommon's
 * store_read.h says: at once on SQLite, on the pool on a database
 * server; the session takes no input until its answer.
 */
#include "msv.h"

#include "log.h"
#include "sieve.h"
#include "store.h"
#include "store_read.h"
#include "store_sieve.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A store failure (RC < 0 with ERR) as ManageSieve says it. */
static void store_trouble(struct msv_client *c, enum store_error err, const char *name)
{
	if (err == STORE_E_NOTFOUND)
		msv_no(c, false, "NONEXISTENT", "there is no script %s", name);
	else if (err == STORE_E_TRANSIENT)
		msv_reply(c, "NO (TRYLATER) \"the store is busy; try again\"");
	else
		msv_reply(c, "NO \"the store failed\"");
}

bool msv_script_compiles(struct msv_client *c, const char *s, size_t len)
{
	struct sieve_error err = { 0 };
	if (!msv_script_size_ok(c, len))
		return false;
	struct sieve_program *p = sieve_compile(s, len, &err);
	if (p == NULL) {
		msv_no(c, false, NULL, "line %d:%d: %s", err.line, err.col, err.text);
		return false;
	}
	sieve_free(p);
	return true;
}

bool msv_script_size_ok(struct msv_client *c, uint64_t size)
{
	if (size <= SIEVE_SCRIPT_MAX)
		return true;
	msv_no(c, false, "QUOTA/MAXSIZE", "a script is limited to %d bytes", SIEVE_SCRIPT_MAX);
	return false;
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

int msv_script_room(struct store *st, int64_t person_id, const char *name, unsigned max,
                    bool *room)
{
	struct counting k = { name, 0, false };
	if (store_sieve_list(st, person_id, count_one, &k) < 0)
		return -1;
	*room = k.exists || k.n < max;
	return 0;
}

void msv_script_no_room(struct msv_client *c)
{
	msv_no(c, false, "QUOTA/MAXSCRIPTS", "at most %u scripts", c->srv->set.max_scripts);
}

/* ---- the reads, each a store_read.h job ---- */

/* What a read job asks and brings back. */
struct script_read {
	struct msv_client *c;
	int64_t person_id;
	char *name;                  /* GETSCRIPT, HAVESPACE: the script's */
	unsigned max;                /* HAVESPACE: sieve.max_scripts */
	bool room;                   /* HAVESPACE: the answer */
	struct store_sieve_script script;   /* GETSCRIPT: the answer */
	char *list;                  /* LISTSCRIPTS: the answer's lines */
	size_t list_len, list_cap;
	bool oom;
};

static void read_free(void *ctx)
{
	struct script_read *r = ctx;
	store_sieve_clear(&r->script);
	free(r->name);
	free(r->list);
	free(r);
}

/* Starts read OPS for C's person (NAME: copied, may be NULL). */
static void read_start(struct msv_client *c, const struct store_read_ops *ops,
                       const char *name)
{
	struct script_read *r = calloc(1, sizeof *r);
	if (r != NULL && name != NULL && (r->name = strdup(name)) == NULL) {
		free(r);
		r = NULL;
	}
	if (r == NULL) {
		msv_reply(c, "NO (TRYLATER) \"out of memory; try again\"");
		return;
	}
	r->c = c;
	r->person_id = c->who.person_id;
	r->max = c->srv->set.max_scripts;
	if (store_read_start(c->srv->w.pool, c->srv->store, ops, r, &c->job) < 0)
		msv_reply(c, "NO (TRYLATER) \"the store is busy; try again\"");
}

/* Ends a read's APPLY: a job that ran on the pool resumes the session. */
static void read_applied(struct msv_client *c, bool later)
{
	if (later)
		msv_pump(c);
}

/* LISTSCRIPTS: the scripts, gathered on the job. */
static bool list_add(struct script_read *r, const char *s, size_t len)
{
	if (r->list_len + len > r->list_cap) {
		size_t cap = r->list_cap ? r->list_cap * 2 : 256;
		while (cap < r->list_len + len)
			cap *= 2;
		char *p = realloc(r->list, cap);
		if (p == NULL)
			return false;
		r->list = p;
		r->list_cap = cap;
	}
	memcpy(r->list + r->list_len, s, len);
	r->list_len += len;
	return true;
}

/* Each script as its name, a NUL, and '1' when it is the active one. */
static int list_one(const struct store_sieve_script *s, void *arg)
{
	struct script_read *r = arg;
	if (!list_add(r, s->name, strlen(s->name) + 1) || !list_add(r, s->active ? "1" : "0", 1)) {
		r->oom = true;
		return 1;
	}
	return 0;
}

static void list_write(struct msv_client *c, const char *list, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = strlen(list + i);
		msv_write_string(c, list + i, n);
		if (list[i + n + 1] == '1')
			msv_write(c, " ACTIVE", 7);
		msv_write(c, "\r\n", 2);
		i += n + 2;
	}
}

static int list_run(struct store *st, void *ctx)
{
	struct script_read *r = ctx;
	return store_sieve_list(st, r->person_id, list_one, r);
}

static void list_apply(void *ctx, int rc, enum store_error err, bool later)
{
	struct script_read *r = ctx;
	if (rc < 0)
		store_trouble(r->c, err, "");
	else if (r->oom)
		msv_reply(r->c, "NO (TRYLATER) \"out of memory; try again\"");
	else {
		list_write(r->c, r->list, r->list_len);
		msv_reply(r->c, "OK \"listscripts completed\"");
	}
	read_applied(r->c, later);
}

static const struct store_read_ops list_ops = { list_run, list_apply, read_free };

void msv_cmd_listscripts(struct msv_client *c)
{
	read_start(c, &list_ops, NULL);
}

/* GETSCRIPT */

static int get_run(struct store *st, void *ctx)
{
	struct script_read *r = ctx;
	return store_sieve_get(st, r->person_id, r->name, &r->script);
}

static void get_apply(void *ctx, int rc, enum store_error err, bool later)
{
	struct script_read *r = ctx;
	if (rc < 0) {
		store_trouble(r->c, err, r->name);
	} else {
		size_t len = strlen(r->script.content);
		char head[32];
		int n = snprintf(head, sizeof head, "{%zu}\r\n", len);
		msv_write(r->c, head, (size_t)n);
		msv_write(r->c, r->script.content, len);
		msv_reply(r->c, "\r\nOK \"getscript completed\"");
	}
	read_applied(r->c, later);
}

static const struct store_read_ops get_ops = { get_run, get_apply, read_free };

void msv_cmd_getscript(struct msv_client *c)
{
	read_start(c, &get_ops, c->args.v[1].s);
}

void msv_cmd_checkscript(struct msv_client *c)
{
	if (msv_script_compiles(c, c->args.v[1].s, c->args.v[1].len))
		msv_reply(c, "OK \"the script is valid\"");
}

/* HAVESPACE */

static int room_run(struct store *st, void *ctx)
{
	struct script_read *r = ctx;
	return msv_script_room(st, r->person_id, r->name, r->max, &r->room);
}

static void room_apply(void *ctx, int rc, enum store_error err, bool later)
{
	struct script_read *r = ctx;
	if (rc < 0)
		store_trouble(r->c, err, r->name);
	else if (!r->room)
		msv_script_no_room(r->c);
	else
		msv_reply(r->c, "OK \"putscript would succeed\"");
	read_applied(r->c, later);
}

static const struct store_read_ops room_ops = { room_run, room_apply, read_free };

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
	if (msv_script_size_ok(c, n))
		read_start(c, &room_ops, c->args.v[1].s);
}
