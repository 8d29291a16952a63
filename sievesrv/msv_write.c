/*
 * msv_write.c - the commands that change a person's scripts (RFC 5804
 * 2.6 PUTSCRIPT, 2.8 SETACTIVE, 2.10 DELETESCRIPT, 2.11.1 RENAMESCRIPT):
 * each is one write job on the worker's store pool (store_pool.h),
 * never on the loop; the session takes no input until its answer,
 * which goes out once the change is committed (PUTSCRIPT counts the
 * scripts against sieve.max_scripts inside it).  A store that stays
 * locked past store.busy_timeout_ms answers NO (TRYLATER).
 */
#include "msv.h"

#include "log.h"
#include "store.h"
#include "store_pool.h"
#include "store_sieve.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum write_kind { W_PUT, W_ACTIVATE, W_DELETE, W_RENAME };

struct write_job {
	struct msv_client *c;
	enum write_kind kind;
	int64_t person_id;
	char *a, *b;             /* names; PUT: the name and the script */
	size_t blen;
	int64_t now;
	unsigned max;            /* PUT: sieve.max_scripts */
	bool no_room;            /* PUT: refused, a new script past it */
};

/* PUT: a new script only within sieve.max_scripts, counted inside the
 * write's own transaction so that two sessions cannot both pass. */
static int put(struct store *st, struct write_job *j)
{
	bool room;
	if (msv_script_room(st, j->person_id, j->a, j->max, &room) < 0)
		return -1;
	if (!room) {
		j->no_room = true;
		return -1;
	}
	return store_sieve_put(st, j->person_id, j->a, j->b, j->blen, j->now);
}

static int run(struct store *st, void *local, void *ctx)
{
	struct write_job *j = ctx;
	(void)local;
	switch (j->kind) {
	case W_PUT:
		return put(st, j);
	case W_ACTIVATE:
		return store_sieve_activate(st, j->person_id, j->a[0] ? j->a : NULL);
	case W_DELETE:
		return store_sieve_delete(st, j->person_id, j->a);
	default:
		return store_sieve_rename(st, j->person_id, j->a, j->b);
	}
}

static const char *const op_name[] = { "put", "setactive", "delete", "rename" };

static const char *const done_text[] = {
	"putscript completed", "setactive completed", "deletescript completed",
	"renamescript completed",
};

static void refused(struct msv_client *c, const struct write_job *j, enum store_error err)
{
	switch (err) {
	case STORE_E_NOTFOUND:
		msv_no(c, false, "NONEXISTENT", "there is no script %s", j->a);
		return;
	case STORE_E_EXISTS:
		msv_no(c, false, "ALREADYEXISTS", "there is a script %s already", j->b);
		return;
	case STORE_E_INVALID:
		if (j->kind == W_DELETE)
			msv_no(c, false, "ACTIVE", "the script is active; deactivate it first");
		else
			msv_no(c, false, NULL, "bad script name");
		return;
	case STORE_E_TRANSIENT:
		msv_reply(c, "NO (TRYLATER) \"the store is busy; try again\"");
		return;
	default:
		msv_reply(c, "NO \"the store failed\"");
		return;
	}
}

static void done(void *ctx, int rc, enum store_error err)
{
	struct write_job *j = ctx;
	struct msv_client *c = j->c;
	c->job = NULL;
	if (rc < 0 && j->no_room) {
		msv_script_no_room(c);
	} else if (rc < 0) {
		refused(c, j, err);
	} else {
		log_info("sieve_change", "session=%s user=%s op=%s name=%s", c->session,
		         log_quote(c->who.address), op_name[j->kind], log_quote(j->a));
		msv_reply(c, "OK \"%s\"", done_text[j->kind]);
	}
	msv_pump(c);
}

static void free_job(void *ctx)
{
	struct write_job *j = ctx;
	free(j->a);
	free(j->b);
	free(j);
}

static const struct store_job_ops write_ops = {
	.name = "sieve_write", .kind = STORE_JOB_WRITE,
	.run = run, .done = done, .free = free_job,
};

/* Takes the first argument (and with TWO the second) over (the job owns
 * them) and submits. */
static void submit(struct msv_client *c, enum write_kind kind, bool two)
{
	struct msv_args *args = &c->args;
	struct write_job *j = calloc(1, sizeof *j);
	struct store_pool *p = c->srv->w.pool;
	if (j == NULL || p == NULL) {
		free(j);
		msv_reply(c, "NO (TRYLATER) \"no store pool; try again\"");
		return;
	}
	*j = (struct write_job){ c, kind, c->who.person_id, args->v[1].s, NULL, 0,
	                         (int64_t)time(NULL), c->srv->set.max_scripts, false };
	args->v[1].s = NULL;
	if (two) {
		j->b = args->v[2].s;
		j->blen = args->v[2].len;
		args->v[2].s = NULL;
	}
	c->job = store_pool_submit(p, &write_ops, j);
	if (c->job == NULL)
		msv_reply(c, "NO (TRYLATER) \"the change could not be queued; try again\"");
}

void msv_cmd_putscript(struct msv_client *c)
{
	const struct msv_arg *name = &c->args.v[1], *script = &c->args.v[2];
	if (name->len == 0 || strlen(name->s) != name->len) {
		msv_no(c, false, NULL, "bad script name");
		return;
	}
	if (!msv_script_compiles(c, script->s, script->len))
		return;
	submit(c, W_PUT, true);
}

void msv_cmd_setactive(struct msv_client *c)
{
	submit(c, W_ACTIVATE, false);
}

void msv_cmd_deletescript(struct msv_client *c)
{
	submit(c, W_DELETE, false);
}

void msv_cmd_renamescript(struct msv_client *c)
{
	submit(c, W_RENAME, true);
}
