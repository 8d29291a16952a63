/*
 * store_pool.c - a fixed set of threads running jobs for one event loop,
 * write jobs grouped into one transaction; see store_pool.h.  One mutex
 * guards the queue, the list of finished jobs and every job's state; an
 * eventfd wakes the loop when a group of jobs has finished.
 */
#include "store_pool.h"
#include "config.h"
#include "evloop.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum job_state {
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_DONE,        /* on the finished list, callback not yet run */
	JOB_DELIVERING,  /* its callback is running */
};

struct store_job {
	struct store_job *next;
	struct store_pool *pool;
	const struct store_job_ops *ops;
	void *ctx;
	enum job_state state;
	bool cancelled;
	int rc;
	enum store_error err;
};

struct worker {
	pthread_t thread;
	bool started;
	struct store_pool *pool;
	struct store *st;
	void *local;
};

struct store_pool {
	struct evloop *loop;
	char name[24];
	int efd;
	struct ev_io *io;
	struct store_pool_hooks hooks;
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* a job was queued, or stopping */
	pthread_cond_t idle_cv;   /* a group finished (drain waits on it) */
	bool stopping;
	bool draining;
	unsigned running;         /* jobs taken by threads, not yet finished */
	unsigned long commits;    /* group transactions committed */
	struct store_job *queue, **queue_tail;
	struct store_job *done, **done_tail;
	unsigned nworkers;
	struct worker workers[STORE_POOL_THREADS_MAX];
};

unsigned store_pool_threads(unsigned n)
{
	if (n == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus > 0 ? (unsigned)cpus : 1;
	}
	return n > STORE_POOL_THREADS_MAX ? STORE_POOL_THREADS_MAX : n;
}

/* Ends J's life on the loop's thread: its context goes too. */
static void job_free(struct store_job *j)
{
	if (j->ops->free != NULL)
		j->ops->free(j->ctx);
	free(j);
}

static void free_list(struct store_job *j)
{
	while (j != NULL) {
		struct store_job *next = j->next;
		job_free(j);
		j = next;
	}
}

/* ---- running jobs, on a pool thread ---- */

static void job_failed(struct store_job *j, enum store_error err)
{
	j->rc = -1;
	j->err = err != STORE_E_NONE ? err : STORE_E_FAILED;
}

static void run_plain(struct worker *w, struct store_job *j)
{
	j->rc = j->ops->run(w->st, w->local, j->ctx);
	j->err = STORE_E_NONE;
	if (j->rc < 0)
		job_failed(j, w->st != NULL ? store_last_error(w->st) : STORE_E_FAILED);
}

/* Runs write job J inside its own savepoint of the open transaction. */
static void run_in_savepoint(struct worker *w, struct store_job *j)
{
	struct store *st = w->st;
	j->err = STORE_E_NONE;
	if (store_begin(st) < 0) {
		job_failed(j, store_last_error(st));
		return;
	}
	j->rc = j->ops->run(st, w->local, j->ctx);
	if (j->rc < 0) {
		job_failed(j, store_last_error(st));
		store_rollback(st);
	} else if (store_commit(st) < 0) {
		job_failed(j, store_last_error(st));
	}
}

/* Fails every job of G not failed already (the group's transaction was
 * lost); logs why once. */
static void group_failed(struct worker *w, struct store_job *g, enum store_error err)
{
	unsigned n = 0;
	for (struct store_job *j = g; j != NULL; j = j->next, n++)
		if (j->rc == 0)
			job_failed(j, err);
	log_warn(w->pool->name, "jobs=%u error=\"group transaction failed\" kind=%d", n, (int)err);
}

/* One transaction for the write jobs of G, one COMMIT (one fsync). */
static void run_group(struct worker *w, struct store_job *g)
{
	struct store *st = w->st;
	for (struct store_job *j = g; j != NULL; j = j->next)
		j->rc = 0;
	if (st == NULL) {
		group_failed(w, g, STORE_E_FAILED);
		return;
	}
	if (store_begin(st) < 0) {
		group_failed(w, g, store_last_error(st));
		return;
	}
	for (struct store_job *j = g; j != NULL; j = j->next)
		run_in_savepoint(w, j);
	if (store_commit(st) < 0) {
		group_failed(w, g, store_last_error(st));
		return;
	}
	pthread_mutex_lock(&w->pool->mu);
	w->pool->commits++;
	pthread_mutex_unlock(&w->pool->mu);
}

/* Takes the next group off the queue (called locked, queue not empty):
 * one plain job, or the write jobs at its head, up to the group size. */
static struct store_job *take_group(struct store_pool *p)
{
	struct store_job *g = p->queue, *last = g;
	unsigned n = 1;
	g->state = JOB_RUNNING;
	if (g->ops->kind == STORE_JOB_WRITE) {
		while (last->next != NULL && last->next->ops->kind == STORE_JOB_WRITE &&
		       n < STORE_POOL_GROUP_MAX) {
			last = last->next;
			last->state = JOB_RUNNING;
			n++;
		}
	}
	p->queue = last->next;
	if (p->queue == NULL)
		p->queue_tail = &p->queue;
	last->next = NULL;
	p->running += n;
	return g;
}

/* Moves group G to the finished list (called locked) and wakes the loop. */
static void finish_group(struct store_pool *p, struct store_job *g)
{
	for (struct store_job *j = g; j != NULL; j = j->next) {
		j->state = JOB_DONE;
		p->running--;
	}
	*p->done_tail = g;
	while (*p->done_tail != NULL)
		p->done_tail = &(*p->done_tail)->next;
	uint64_t one = 1;
	/* the counter cannot overflow in practice; a failed write would
	 * only delay the wake-up to the next finished group */
	if (write(p->efd, &one, sizeof one) < 0)
		log_warn(p->name, "error=\"cannot wake the loop\"");
	pthread_cond_broadcast(&p->idle_cv);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct store_pool *p = w->pool;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stopping && p->queue == NULL)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stopping)
			break;
		struct store_job *g = take_group(p);
		pthread_mutex_unlock(&p->mu);
		if (g->ops->kind == STORE_JOB_WRITE)
			run_group(w, g);
		else
			run_plain(w, g);
		pthread_mutex_lock(&p->mu);
		finish_group(p, g);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* ---- delivering, on the loop's thread ---- */

static void deliver(struct store_pool *p)
{
	pthread_mutex_lock(&p->mu);
	struct store_job *list = p->done;
	p->done = NULL;
	p->done_tail = &p->done;
	pthread_mutex_unlock(&p->mu);
	while (list != NULL) {
		struct store_job *j = list;
		list = j->next;
		/* a callback may cancel a later job of LIST: the flag is only
		 * ever set on this thread once a job is done */
		if (!j->cancelled && j->ops->done != NULL) {
			j->state = JOB_DELIVERING;
			j->ops->done(j->ctx, j->rc, j->err);
		}
		job_free(j);
	}
}

static void on_wakeup(struct ev_io *io, unsigned events, void *arg)
{
	struct store_pool *p = arg;
	uint64_t n;
	(void)io;
	(void)events;
	if (read(p->efd, &n, sizeof n) < 0 && errno != EAGAIN)
		log_warn(p->name, "error=\"cannot read the wake-up\"");
	deliver(p);
}

/* ---- the pool ---- */

static int start_worker(struct store_pool *p, struct worker *w, const char *store_path,
                        int busy_ms)
{
	w->pool = p;
	if (store_path != NULL && (w->st = store_open(store_path, busy_ms)) == NULL)
		return -1;
	if (p->hooks.thread_start != NULL &&
	    (w->local = p->hooks.thread_start(w->st, p->hooks.arg)) == NULL)
		return -1;
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
		return -1;
	w->started = true;
	return 0;
}

static int start_workers(struct store_pool *p, const char *store_path, int busy_ms,
                         unsigned n)
{
	sigset_t all, old;
	sigfillset(&all);
	/* signals go to the loop's signalfd, never to a pool thread */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = 0;
	for (unsigned i = 0; i < n && rc == 0; i++) {
		p->nworkers = i + 1;
		rc = start_worker(p, &p->workers[i], store_path, busy_ms);
		if (rc < 0)
			log_error(p->name, "thread=%u error=\"cannot start a pool thread\"", i);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

struct store_pool *store_pool_new(struct evloop *loop, const char *name,
                                  const char *store_path, int busy_ms, unsigned threads,
                                  const struct store_pool_hooks *hooks)
{
	struct store_pool *p = calloc(1, sizeof *p);
	if (p == NULL) {
		log_error("store_pool", "error=\"out of memory\"");
		return NULL;
	}
	p->loop = loop;
	snprintf(p->name, sizeof p->name, "%s", name);
	if (hooks != NULL)
		p->hooks = *hooks;
	p->queue_tail = &p->queue;
	p->done_tail = &p->done;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_cond_init(&p->idle_cv, NULL);
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0) {
		log_error(p->name, "error=\"eventfd: %s\"", strerror(errno));
		store_pool_free(p);
		return NULL;
	}
	p->io = evloop_add_io(loop, p->efd, EV_READ, on_wakeup, p);
	unsigned n = store_pool_threads(threads);
	if (p->io == NULL || start_workers(p, store_path, busy_ms, n) < 0) {
		store_pool_free(p);
		return NULL;
	}
	log_info(p->name, "threads=%u store=%s", n, store_path ? "yes" : "no");
	return p;
}

struct store_pool *store_pool_from_config(struct evloop *loop, const struct ems_config *cfg)
{
	return store_pool_new(loop, "store_pool", config_path(cfg, "store"),
	                      (int)config_int(cfg, "store.busy_timeout_ms"),
	                      (unsigned)config_int(cfg, "store.threads"), NULL);
}

void store_pool_free(struct store_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nworkers; i++) {
		struct worker *w = &p->workers[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		if (w->local != NULL && p->hooks.thread_stop != NULL)
			p->hooks.thread_stop(w->local);
		store_close(w->st);
	}
	free_list(p->queue);
	free_list(p->done);
	evloop_del_io(p->io);
	if (p->efd >= 0)
		close(p->efd);
	pthread_cond_destroy(&p->idle_cv);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

struct store_job *store_pool_submit(struct store_pool *p, const struct store_job_ops *ops,
                                    void *ctx)
{
	struct store_job *j = calloc(1, sizeof *j);
	if (j == NULL || p->draining) {
		log_error(p->name, "job=%s error=\"%s\"", ops->name,
		          j == NULL ? "out of memory" : "pool is draining");
		free(j);
		if (ops->free != NULL)
			ops->free(ctx);
		return NULL;
	}
	j->pool = p;
	j->ops = ops;
	j->ctx = ctx;
	pthread_mutex_lock(&p->mu);
	j->state = JOB_QUEUED;
	*p->queue_tail = j;
	p->queue_tail = &j->next;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return j;
}

/* Unlinks J from the queue; true when it was there. */
static bool unqueue(struct store_pool *p, struct store_job *j)
{
	for (struct store_job **pp = &p->queue; *pp != NULL; pp = &(*pp)->next) {
		if (*pp != j)
			continue;
		*pp = j->next;
		if (p->queue_tail == &j->next)
			p->queue_tail = pp;
		return true;
	}
	return false;
}

void store_job_cancel(struct store_job *j)
{
	if (j == NULL)
		return;
	struct store_pool *p = j->pool;
	pthread_mutex_lock(&p->mu);
	bool queued = j->state == JOB_QUEUED && unqueue(p, j);
	if (!queued && j->state != JOB_DELIVERING)
		j->cancelled = true;
	pthread_mutex_unlock(&p->mu);
	if (queued)
		job_free(j);
}

unsigned store_pool_pending(struct store_pool *p)
{
	unsigned n = 0;
	pthread_mutex_lock(&p->mu);
	for (const struct store_job *j = p->queue; j != NULL; j = j->next)
		n++;
	for (const struct store_job *j = p->done; j != NULL; j = j->next)
		n++;
	n += p->running;
	pthread_mutex_unlock(&p->mu);
	return n;
}

unsigned long store_pool_commits(struct store_pool *p)
{
	pthread_mutex_lock(&p->mu);
	unsigned long n = p->commits;
	pthread_mutex_unlock(&p->mu);
	return n;
}

void store_pool_drain(struct store_pool *p)
{
	if (p == NULL)
		return;
	unsigned n = store_pool_pending(p);
	p->draining = true;
	pthread_mutex_lock(&p->mu);
	while (p->queue != NULL || p->running > 0)
		pthread_cond_wait(&p->idle_cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	deliver(p);
	p->draining = false;
	log_info(p->name, "event=drained jobs=%u", n);
}
