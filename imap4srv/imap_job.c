/*
 * imap_job.c - running a command's store work on the server's store pool
 * while the command is suspended; see imap_job.h.
 */
#include "imap_command.h"
#include "imap_job.h"
#include "log.h"

#include <stdlib.h>

/* The pool's context: the command's own context and whom to answer. */
struct imap_job {
	struct imap_client *c;
	const struct imap_job_ops *ops;
	void *ctx;
};

static int job_run(struct store *st, void *local, void *arg)
{
	struct imap_job *j = arg;
	(void)local;
	return j->ops->run(st, j->ctx);
}

/* Back on the loop: the command ends with APPLY's answer, then the
 * connection reads again (the next pipelined command may run now). */
static void job_done(void *arg, int rc, enum store_error err)
{
	struct imap_job *j = arg;
	struct imap_client *c = j->c;
	c->active.job = NULL;
	imap_command_finish(c, j->ops->apply(c, j->ctx, rc, err));
	imap_client_pump(c);
}

static void job_free(void *arg)
{
	struct imap_job *j = arg;
	if (j->ops->free != NULL)
		j->ops->free(j->ctx);
	free(j);
}

static const struct store_job_ops write_ops = { "imap_write", STORE_JOB_WRITE, job_run,
	                                        job_done, job_free };
static const struct store_job_ops lazy_ops = { "imap_flags", STORE_JOB_WRITE_LAZY, job_run,
	                                       job_done, job_free };
static const struct store_job_ops plain_ops = { "imap_plain", STORE_JOB_PLAIN, job_run,
	                                        job_done, job_free };
static const struct store_job_ops read_ops = { "imap_read", STORE_JOB_READ, job_run,
	                                       job_done, job_free };

enum cmd_result imap_job_start(struct imap_client *c, const struct imap_job_ops *ops, void *ctx)
{
	struct imap_job *j = malloc(sizeof *j);
	if (j == NULL) {
		log_error("imap_job", "session=%s error=\"out of memory\"", c->session);
		if (ops->free != NULL)
			ops->free(ctx);
		return imap_done(c, "NO", "[UNAVAILABLE] %s failed, try again later", c->active.name);
	}
	j->c = c;
	j->ops = ops;
	j->ctx = ctx;
	const struct store_job_ops *kind = ops->kind == STORE_JOB_WRITE        ? &write_ops
	                                   : ops->kind == STORE_JOB_WRITE_LAZY ? &lazy_ops
	                                   : ops->kind == STORE_JOB_READ       ? &read_ops
	                                                                       : &plain_ops;
	struct store_job *job = store_pool_submit(c->srv->w.pool, kind, j);
	if (job == NULL)
		return imap_done(c, "NO", "[UNAVAILABLE] %s failed, try again later", c->active.name);
	c->active.job = job;
	c->active.resume = NULL;
	c->active.on_line = NULL;
	return CMD_SUSPEND;
}

enum cmd_result imap_read_start(struct imap_client *c, const struct imap_job_ops *ops,
                                void *ctx)
{
	struct store *st = c->srv->store;
	if (!imap_reads_inline(c))
		return imap_job_start(c, ops, ctx);
	int rc = ops->run(st, ctx);
	enum cmd_result r = ops->apply(c, ctx, rc, rc < 0 ? store_last_error(st) : STORE_E_NONE);
	if (ops->free != NULL)
		ops->free(ctx);
	return r;
}

bool imap_reads_inline(const struct imap_client *c)
{
	return c->srv->w.pool == NULL || store_reads_inline(c->srv->store);
}

enum cmd_result imap_job_failed(struct imap_client *c, enum store_error err)
{
	bool transient = err == STORE_E_TRANSIENT;
	log_warn("imap_store_failed", "session=%s command=%s kind=%s",
	         c->session, c->active.name, transient ? "transient" : "failed");
	if (transient)
		return imap_done(c, "NO", "[UNAVAILABLE] %s failed, try again later", c->active.name);
	return imap_done(c, "NO", "[SERVERBUG] %s failed", c->active.name);
}
