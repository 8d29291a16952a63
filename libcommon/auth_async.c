/*
 * auth_async.c - auth_check() run on the threads of a store_pool.h pool;
 * see auth_async.h.  A check is a plain job whose context holds copies of
 * the credentials; the pool frees it (wiping the secrets) once its
 * callback has run or it was cancelled.
 */
#include "auth_async.h"
#include "config.h"
#include "evloop.h"
#include "log.h"
#include "store_pool.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct auth_job {
	struct store_job *job;     /* the pool's job that runs this check */
	bool is_sasl;
	auth_done_cb *cb;
	void *arg;
	/* the copies the check reads: the caller's buffers may be gone */
	char service[16], mech[16], addr[64], session[64];
	unsigned service_bit;
	bool tls;
	enum auth_cred_kind kind;
	char *login, *password, *challenge, *digest;
	struct sasl_creds sasl;
	/* the outcome */
	enum auth_result result;
	struct auth_identity id;
	unsigned delay_ms;
};

/* The pool of checks is a store pool whose threads each hold a clone of
 * the process's authenticator, bound to the thread's own store handle. */
struct auth_pool {
	struct store_pool *pool;
};

unsigned auth_pool_threads(unsigned n)
{
	return store_pool_threads(n);
}

/* ---- jobs ---- */

static void wipe_free(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static void job_free(void *ctx)
{
	struct auth_job *j = ctx;
	free(j->login);
	wipe_free(j->password);
	free(j->challenge);
	free(j->digest);
	OPENSSL_cleanse(&j->sasl, sizeof j->sasl);
	free(j);
}

/* Copies S (NULL stays NULL) into *OUT; false when out of memory. */
static bool dup_opt(const char *s, char **out)
{
	*out = s != NULL ? strdup(s) : NULL;
	return s == NULL || *out != NULL;
}

static struct auth_job *job_new(const struct auth_client *client, auth_done_cb *cb,
                                void *arg)
{
	struct auth_job *j = calloc(1, sizeof *j);
	if (j == NULL) {
		log_error("auth_async", "error=\"out of memory\"");
		return NULL;
	}
	j->cb = cb;
	j->arg = arg;
	snprintf(j->service, sizeof j->service, "%s", client->service);
	snprintf(j->addr, sizeof j->addr, "%s", client->addr ? client->addr : "");
	snprintf(j->session, sizeof j->session, "%s", client->session ? client->session : "");
	j->service_bit = client->service_bit;
	j->tls = client->tls;
	return j;
}

/* Runs the check of job CTX on a pool thread with LOCAL, that thread's
 * own authenticator. */
static int job_run(struct store *st, void *local, void *ctx)
{
	struct auth_job *j = ctx;
	struct auth *a = local;
	(void)st;
	struct auth_client c = { j->service, j->service_bit, j->addr, j->session, j->tls };
	if (j->is_sasl) {
		j->result = auth_check_sasl(a, &c, &j->sasl, &j->id, &j->delay_ms);
		return 0;
	}
	struct auth_cred cred = { .kind = j->kind, .mech = j->mech, .login = j->login,
	                          .password = j->password, .challenge = j->challenge,
	                          .digest = j->digest };
	j->result = auth_check(a, &c, &cred, &j->id, &j->delay_ms);
	return 0;
}

/* The outcome, on the loop's thread. */
static void job_done(void *ctx, int rc, enum store_error err)
{
	struct auth_job *j = ctx;
	(void)rc;
	(void)err;
	j->cb(j->arg, j->result, &j->id, j->delay_ms);
}

/* A client waits on the check: its waits for a database server are
 * bounded like a read's.  Its counter writes are single autocommit
 * statements; one cut off costs at most one count, and the client a
 * temporary failure instead of a silent socket. */
static const struct store_job_ops check_ops = {
	.name = "auth_check",
	.kind = STORE_JOB_READ,
	.run = job_run,
	.done = job_done,
	.free = job_free,
};

static void *thread_start(struct store *st, void *model)
{
	return auth_clone(model, st);
}

static void thread_stop(void *local)
{
	auth_free(local);
}

/* ---- the pool ---- */

struct auth_pool *auth_pool_new(struct evloop *loop, const struct auth *model,
                                const char *backend, const char *target, int busy_ms,
                                unsigned threads)
{
	struct auth_pool *p = calloc(1, sizeof *p);
	if (p == NULL) {
		log_error("auth_async", "error=\"out of memory\"");
		return NULL;
	}
	/* the hooks only read MODEL, which outlives the pool */
	struct store_pool_hooks hooks = { thread_start, thread_stop, (void *)model };
	p->pool = store_pool_new(loop, "auth_pool", backend, target, busy_ms, threads,
	                         &hooks);
	if (p->pool == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

struct auth_pool *auth_pool_from_config(struct evloop *loop, const struct auth *model,
                                        const struct ems_config *cfg)
{
	struct auth_pool *p =
	    auth_pool_new(loop, model, store_config_backend(cfg), store_config_target(cfg),
	                  (int)config_int(cfg, "store.busy_timeout_ms"),
	                  (unsigned)config_int(cfg, "auth.threads"));
	if (p != NULL)
		store_pool_bound_waits(p->pool, (int)config_int(cfg, "store.loop_timeout_ms"));
	return p;
}

void auth_pool_free(struct auth_pool *p)
{
	if (p == NULL)
		return;
	store_pool_free(p->pool);
	free(p);
}

/* Queues J; the pool owns it from here (freed even when this fails). */
static struct auth_job *submit(struct auth_pool *p, struct auth_job *j)
{
	j->job = store_pool_submit(p->pool, &check_ops, j);
	return j->job != NULL ? j : NULL;
}

struct auth_job *auth_pool_check(struct auth_pool *p, const struct auth_client *client,
                                 const struct auth_cred *cred, auth_done_cb *cb, void *arg)
{
	struct auth_job *j = job_new(client, cb, arg);
	if (j == NULL)
		return NULL;
	j->kind = cred->kind;
	snprintf(j->mech, sizeof j->mech, "%s", cred->mech ? cred->mech : "-");
	if (!dup_opt(cred->login, &j->login) || !dup_opt(cred->password, &j->password) ||
	    !dup_opt(cred->challenge, &j->challenge) || !dup_opt(cred->digest, &j->digest)) {
		log_error("auth_async", "error=\"out of memory\"");
		job_free(j);
		return NULL;
	}
	return submit(p, j);
}

struct auth_job *auth_pool_check_sasl(struct auth_pool *p, const struct auth_client *client,
                                      const struct sasl_creds *creds, auth_done_cb *cb,
                                      void *arg)
{
	struct auth_job *j = job_new(client, cb, arg);
	if (j == NULL)
		return NULL;
	j->is_sasl = true;
	j->sasl = *creds;
	return submit(p, j);
}

void auth_job_cancel(struct auth_job *j)
{
	if (j != NULL)
		store_job_cancel(j->job);
}
