/*
 * store_read.c - a client's read at once or on the pool; see
 * store_read.h.
 */
#include "store_read.h"
#include "log.h"

#include <stdlib.h>

/* The pool's context: the caller's read and where its job is kept. */
struct store_read {
	const struct store_read_ops *ops;
	void *ctx;
	struct store_job **job;
};

static int read_run(struct store *st, void *local, void *arg)
{
	struct store_read *r = arg;
	(void)local;
	return r->ops->run(st, r->ctx);
}

static void read_done(void *arg, int rc, enum store_error err)
{
	struct store_read *r = arg;
	*r->job = NULL;   /* first: APPLY may start the client's next read */
	r->ops->apply(r->ctx, rc, err, true);
}

static void read_free(void *arg)
{
	struct store_read *r = arg;
	if (r->ops->free != NULL)
		r->ops->free(r->ctx);
	free(r);
}

static const struct store_job_ops read_ops = {
	.name = "store_read", .kind = STORE_JOB_READ,
	.run = read_run, .done = read_done, .free = read_free,
};

/* Runs the read on the loop's handle, APPLY included. */
static void read_now(struct store *st, const struct store_read_ops *ops, void *ctx)
{
	int rc = ops->run(st, ctx);
	ops->apply(ctx, rc, rc < 0 ? store_last_error(st) : STORE_E_NONE, false);
	if (ops->free != NULL)
		ops->free(ctx);
}

int store_read_start(struct store_pool *pool, struct store *loop_st,
                     const struct store_read_ops *ops, void *ctx, struct store_job **job)
{
	*job = NULL;
	if (pool == NULL || store_reads_inline(loop_st)) {
		read_now(loop_st, ops, ctx);
		return 0;
	}
	struct store_read *r = malloc(sizeof *r);
	if (r == NULL) {
		log_error("store_read", "error=\"out of memory\"");
		if (ops->free != NULL)
			ops->free(ctx);
		return -1;
	}
	*r = (struct store_read){ ops, ctx, job };
	*job = store_pool_submit(pool, &read_ops, r);
	return *job != NULL ? 0 : -1;
}
