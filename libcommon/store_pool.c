/*
 * store_pool.c - threads running jobs for one event loop, write jobs
 * grouped into one transaction; see store_pool.h.  One mutex guards the
 * queue, the list of finished jobs, every job's state and the threads'
 * slots; an eventfd wakes the loop when a group of jobs has finished or
 * a thread has ended.  Threads are started on the loop's thread (at
 * start, and when jobs wait for want of idle threads); a thread idle
 * past the timeout ends itself and the loop joins it and frees what it
 * held, so thread_stop and store_close run where they always did.
 */
#include "store_pool.h"
#include "store_checkpointer.h"
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
#include <time.h>
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

enum slot_state {
	SLOT_FREE,       /* no thread */
	SLOT_LIVE,       /* its thread runs */
	SLOT_ENDED,      /* its thread ended on idle: the loop joins it */
};

struct worker {
	pthread_t thread;
	enum slot_state state;
	struct store_pool *pool;
	struct store *st;
	void *local;
	bool opened;     /* ST and LOCAL made (else the thread makes them) */
};

struct store_pool {
	struct evloop *loop;
	char name[24];
	int efd;
	struct ev_io *io;
	struct store_pool_hooks hooks;
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* a job was queued, or stopping (monotonic clock) */
	pthread_cond_t writer_cv; /* the same, for the writer (it waits on its own) */
	pthread_cond_t idle_cv;   /* a group finished (drain waits on it) */
	bool stopping;
	bool draining;
	unsigned running;         /* jobs taken by threads, not yet finished */
	unsigned queued;          /* jobs on the queue */
	unsigned queued_writes;   /* of which write */
	struct worker *writer;    /* the thread that runs the write groups,
	                             NULL: the next one to take a write */
	bool writer_idle;         /* it waits for a job */
	unsigned idle;            /* threads waiting for a job, the writer too */
	unsigned live;            /* threads started, not ended */
	unsigned peak;            /* most threads live at once */
	bool ended;               /* a slot is SLOT_ENDED */
	struct store_pool_size size;
	char *backend;            /* the store's, for the threads started later */
	bool checkpointer;        /* counted as a user of store_checkpointer.h */
	char *store_path;         /* its target: a file, a connection string */
	int busy_ms;
	int read_ms;              /* STORE_JOB_READ's bound, 0: none */
	int write_ms;             /* a write group's, up to its COMMIT */
	unsigned long commits;    /* group transactions committed */
	struct store_job *queue, **queue_tail;
	struct store_job *done, **done_tail;
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
	/* read_ms is set on the loop before any read job is queued */
	bool bounded = j->ops->kind == STORE_JOB_READ && w->pool->read_ms > 0;
	if (bounded)
		store_bound_replies(w->st, w->pool->read_ms);
	j->rc = j->ops->run(w->st, w->local, j->ctx);
	if (bounded)
		store_bound_replies(w->st, 0);
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
	bool lazy = true;   /* a group of flag changes only need not sync */
	for (struct store_job *j = g; j != NULL; j = j->next)
		lazy = lazy && j->ops->kind == STORE_JOB_WRITE_LAZY;
	/* write_ms is set on the loop before any job is queued */
	store_bound_writes(st, w->pool->write_ms);
	int rc = lazy ? store_begin_lazy(st) : store_begin(st);
	if (rc == 0) {
		for (struct store_job *j = g; j != NULL; j = j->next)
			run_in_savepoint(w, j);
		rc = store_commit(st);
	}
	store_bound_replies(st, 0);
	if (rc < 0) {
		group_failed(w, g, store_last_error(st));
		return;
	}
	pthread_mutex_lock(&w->pool->mu);
	w->pool->commits++;
	pthread_mutex_unlock(&w->pool->mu);
}

/* Where the next job W may take is linked (called locked), or NULL:
 * the queue's head, but for a thread other than the writer the first
 * job that does not write.  Write groups run on one thread, one at a
 * time: the store takes one writer anyway, those queued meanwhile make
 * the next group bigger, and one handle keeps the writes' statements
 * and caches warm (spread over the threads' database connections they
 * cost PostgreSQL deliveries some 15%).  A read never waits behind them
 * for a thread. */
static struct store_job **next_takeable(struct store_pool *p, const struct worker *w)
{
	bool writes = p->writer == NULL || p->writer == w;
	struct store_job **at = &p->queue;
	while (!writes && *at != NULL && store_job_kind_writes((*at)->ops->kind))
		at = &(*at)->next;
	return *at != NULL ? at : NULL;
}

/* Takes the next group off the queue for W (called locked,
 * next_takeable() not NULL): one job that does not write, or the write
 * jobs at the queue's head, up to the group size (W is the writer from
 * then on). */
static struct store_job *take_group(struct store_pool *p, struct worker *w)
{
	struct store_job **at = next_takeable(p, w);
	struct store_job *g = *at, *last = g;
	unsigned n = 1;
	g->state = JOB_RUNNING;
	if (store_job_kind_writes(g->ops->kind)) {
		p->writer = w;
		while (last->next != NULL && store_job_kind_writes(last->next->ops->kind) &&
		       n < STORE_POOL_GROUP_MAX) {
			last = last->next;
			last->state = JOB_RUNNING;
			n++;
		}
	}
	*at = last->next;
	if (*at == NULL)
		p->queue_tail = at;
	last->next = NULL;
	p->running += n;
	p->queued -= n;
	if (store_job_kind_writes(g->ops->kind))
		p->queued_writes -= n;
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

/* Waits (called locked) for a job W may take, or the stop; false when
 * the thread is to end: idle past the timeout while more than min
 * threads live.  (W's role cannot change while it waits: only a thread
 * taking a write becomes the writer, and only an ending one stops.) */
static bool wait_for_work(struct store_pool *p, struct worker *w)
{
	unsigned timeout_s = p->size.idle_timeout_s;
	while (!p->stopping && next_takeable(p, w) == NULL) {
		bool writer = p->writer == w;
		pthread_cond_t *cv = writer ? &p->writer_cv : &p->cv;
		int rc;
		p->idle++;
		p->writer_idle = writer;
		if (timeout_s > 0 && p->live > p->size.min) {
			struct timespec until;
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += timeout_s;
			rc = pthread_cond_timedwait(cv, &p->mu, &until);
		} else {
			rc = pthread_cond_wait(cv, &p->mu);
		}
		p->idle--;
		if (writer)
			p->writer_idle = false;
		if (rc == ETIMEDOUT && next_takeable(p, w) == NULL && !p->stopping &&
		    p->live > p->size.min)
			return false;
	}
	return !p->stopping;
}

/* Wakes a thread for job J, just queued (called locked): a write is
 * the writer's (anyone's while there is none); a read goes to a thread
 * other than the writer when one waits, else to the writer. */
static void wake_for(struct store_pool *p, const struct store_job *j)
{
	bool others_idle = p->idle > (p->writer_idle ? 1u : 0u);
	if (store_job_kind_writes(j->ops->kind))
		pthread_cond_signal(p->writer != NULL ? &p->writer_cv : &p->cv);
	else
		pthread_cond_signal(others_idle ? &p->cv : &p->writer_cv);
}

/* The thread of W ends on idle (called locked): the loop joins it. */
static void end_thread(struct store_pool *p, struct worker *w)
{
	if (p->writer == w) {
		/* the writes go to whichever thread takes one next */
		p->writer = NULL;
		pthread_cond_broadcast(&p->cv);
	}
	w->state = SLOT_ENDED;
	p->live--;
	p->ended = true;
	uint64_t one = 1;
	if (write(p->efd, &one, sizeof one) < 0)
		log_warn(p->name, "error=\"cannot wake the loop\"");
}

/* Opens W's store handle and local state; 0, or -1 leaving what was
 * made for reap() to free. */
static int open_worker(struct store_pool *p, struct worker *w)
{
	if (p->store_path != NULL &&
	    (w->st = store_open_backend(p->backend, p->store_path, p->busy_ms)) == NULL)
		return -1;
	if (p->hooks.thread_start != NULL &&
	    (w->local = p->hooks.thread_start(w->st, p->hooks.arg)) == NULL)
		return -1;
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct store_pool *p = w->pool;
	/* a thread the pool grew by connects here, off the loop: a store on
	 * another machine may take its time to answer, or not be there */
	bool ready = w->opened || open_worker(p, w) == 0;
	pthread_mutex_lock(&p->mu);
	if (!ready) {
		log_warn(p->name, "error=\"a new pool thread cannot open the store\"");
		end_thread(p, w);
		pthread_mutex_unlock(&p->mu);
		return NULL;
	}
	for (;;) {
		if (!wait_for_work(p, w)) {
			if (!p->stopping)
				end_thread(p, w);
			break;
		}
		struct store_job *g = take_group(p, w);
		pthread_mutex_unlock(&p->mu);
		if (store_job_kind_writes(g->ops->kind))
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

/* Frees what the thread of W held; it has ended or is about to. */
static void reap(struct store_pool *p, struct worker *w)
{
	pthread_join(w->thread, NULL);
	if (w->local != NULL && p->hooks.thread_stop != NULL)
		p->hooks.thread_stop(w->local);
	store_close(w->st);
	w->local = NULL;
	w->st = NULL;
	w->state = SLOT_FREE;
}

/* Joins the threads that ended on idle. */
static void reap_ended(struct store_pool *p)
{
	unsigned n = 0, live;
	pthread_mutex_lock(&p->mu);
	bool any = p->ended;
	p->ended = false;
	live = p->live;
	pthread_mutex_unlock(&p->mu);
	if (!any)
		return;
	for (unsigned i = 0; i < STORE_POOL_THREADS_MAX; i++) {
		pthread_mutex_lock(&p->mu);
		bool ended = p->workers[i].state == SLOT_ENDED;
		pthread_mutex_unlock(&p->mu);
		if (ended) {
			reap(p, &p->workers[i]);
			n++;
		}
	}
	log_debug(p->name, "event=shrunk ended=%u threads=%u", n, live);
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
	reap_ended(p);
}

/* ---- the pool ---- */

/* Frees what a slot got before its thread could start. */
static void unstart(struct store_pool *p, struct worker *w)
{
	if (w->local != NULL && p->hooks.thread_stop != NULL)
		p->hooks.thread_stop(w->local);
	store_close(w->st);
	w->local = NULL;
	w->st = NULL;
}

/* Starts the slot W's thread.  With OPEN_HERE its store handle and
 * local state are made first, on the loop's thread, so that a pool that
 * cannot open its store fails at once; else the new thread makes them.
 * Returns 0 or -1. */
static int start_worker(struct store_pool *p, struct worker *w, bool open_here)
{
	w->pool = p;
	w->opened = open_here;
	if (open_here && open_worker(p, w) < 0) {
		unstart(p, w);
		return -1;
	}
	sigset_t all, old;
	sigfillset(&all);
	/* signals go to the loop's signalfd, never to a pool thread */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_mutex_lock(&p->mu);
	int rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc == 0) {
		w->state = SLOT_LIVE;
		if (++p->live > p->peak)
			p->peak = p->live;
	}
	pthread_mutex_unlock(&p->mu);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		unstart(p, w);
		return -1;
	}
	return 0;
}

/* Starts up to N more threads in free slots, never past max (OPEN_HERE:
 * see start_worker()).  Returns how many started. */
static unsigned start_workers(struct store_pool *p, unsigned n, bool open_here)
{
	unsigned started = 0;
	for (unsigned i = 0; i < STORE_POOL_THREADS_MAX && started < n; i++) {
		pthread_mutex_lock(&p->mu);
		bool take = p->workers[i].state == SLOT_FREE && p->live < p->size.max;
		pthread_mutex_unlock(&p->mu);
		if (!take)
			continue;
		if (start_worker(p, &p->workers[i], open_here) < 0) {
			log_error(p->name, "thread=%u error=\"cannot start a pool thread\"", i);
			break;
		}
		started++;
	}
	return started;
}

/* After a submit: grows by the increment when jobs wait for want of
 * idle threads (a thread may fail to start: the jobs still run, on the
 * threads there are). */
static void maybe_grow(struct store_pool *p)
{
	pthread_mutex_lock(&p->mu);
	/* queued writes wait for the writer, not for another thread */
	unsigned waiting = p->writer != NULL ? p->queued - p->queued_writes : p->queued;
	bool grow = waiting > p->idle && p->live < p->size.max;
	pthread_mutex_unlock(&p->mu);
	if (!grow)
		return;
	reap_ended(p);          /* their slots may be needed */
	unsigned n = start_workers(p, p->size.increment, false);
	if (n > 0)
		log_debug(p->name, "event=grown started=%u threads=%u", n, store_pool_live(p));
}

void store_pool_size_fixed(struct store_pool_size *size, unsigned threads)
{
	size->min = size->max = store_pool_threads(threads);
	size->increment = 1;
	size->idle_timeout_s = 0;
}

/* SIZE within bounds: 1 <= max <= STORE_POOL_THREADS_MAX, min <= max,
 * increment >= 1. */
static struct store_pool_size size_bounded(const struct store_pool_size *size)
{
	struct store_pool_size s = *size;
	if (s.max == 0)
		s.max = 1;
	if (s.max > STORE_POOL_THREADS_MAX)
		s.max = STORE_POOL_THREADS_MAX;
	if (s.min > s.max)
		s.min = s.max;
	if (s.increment == 0)
		s.increment = 1;
	return s;
}

struct store_pool *store_pool_new(struct evloop *loop, const char *name,
                                  const char *backend, const char *store_path, int busy_ms,
                                  unsigned threads, const struct store_pool_hooks *hooks)
{
	struct store_pool_size size;
	store_pool_size_fixed(&size, threads);
	return store_pool_new_sized(loop, name, backend, store_path, busy_ms, &size, hooks);
}

struct store_pool *store_pool_new_sized(struct evloop *loop, const char *name,
                                        const char *backend, const char *store_path,
                                        int busy_ms, const struct store_pool_size *size,
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
	p->size = size_bounded(size);
	p->busy_ms = busy_ms;
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	/* idle timeouts measured on the clock that never jumps */
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, &attr);
	pthread_cond_init(&p->writer_cv, &attr);
	pthread_cond_init(&p->idle_cv, NULL);
	pthread_condattr_destroy(&attr);
	if (store_path != NULL && ((p->store_path = strdup(store_path)) == NULL ||
	                           (p->backend = strdup(backend ? backend : "sqlite")) == NULL)) {
		log_error(p->name, "error=\"out of memory\"");
		store_pool_free(p);
		return NULL;
	}
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0) {
		log_error(p->name, "error=\"eventfd: %s\"", strerror(errno));
		store_pool_free(p);
		return NULL;
	}
	if (store_path != NULL)
		p->checkpointer = store_checkpointer_start(p->backend, store_path);
	p->io = evloop_add_io(loop, p->efd, EV_READ, on_wakeup, p);
	/* at least one thread at start, so that a pool that cannot open its
	 * store fails here and not at its first job */
	unsigned first = p->size.min > 0 ? p->size.min : 1;
	if (p->io == NULL || start_workers(p, first, true) < first) {
		store_pool_free(p);
		return NULL;
	}
	log_info(p->name, "threads=%u min=%u max=%u increment=%u idle_timeout_s=%u store=%s",
	         first, p->size.min, p->size.max, p->size.increment, p->size.idle_timeout_s,
	         store_path ? p->backend : "no");
	return p;
}

void store_pool_size_from_config(const struct ems_config *cfg, struct store_pool_size *size)
{
	if (config_int(cfg, "store.pool.max") == 0) {
		/* no pool set: store.threads, fixed, as before store.pool */
		store_pool_size_fixed(size, (unsigned)config_int(cfg, "store.threads"));
		/* on a database server the pool runs the clients' reads too
		 * (store_read.h): they must not queue behind a commit */
		if (strcmp(store_config_backend(cfg), "sqlite") != 0 &&
		    size->max < STORE_POOL_READS_MAX) {
			size->max = STORE_POOL_READS_MAX;
			size->idle_timeout_s = (unsigned)config_int(cfg, "store.pool.idle_timeout_s");
		}
		return;
	}
	size->min = (unsigned)config_int(cfg, "store.pool.min");
	size->max = (unsigned)config_int(cfg, "store.pool.max");
	size->increment = (unsigned)config_int(cfg, "store.pool.increment");
	size->idle_timeout_s = (unsigned)config_int(cfg, "store.pool.idle_timeout_s");
}

struct store_pool *store_pool_from_config(struct evloop *loop, const struct ems_config *cfg,
                                          const struct store_pool_size *own)
{
	struct store_pool_size size;
	if (own != NULL)
		size = *own;
	else
		store_pool_size_from_config(cfg, &size);
	struct store_pool *p =
	    store_pool_new_sized(loop, "store_pool", store_config_backend(cfg),
	                         store_config_target(cfg),
	                         (int)config_int(cfg, "store.busy_timeout_ms"), &size, NULL);
	store_pool_bound_waits(p, (int)config_int(cfg, "store.loop_timeout_ms"));
	return p;
}

void store_pool_bound_waits(struct store_pool *p, int ms)
{
	if (p == NULL)
		return;
	p->read_ms = ms > 0 ? ms : 0;
	/* a write may first wait its busy timeout for the store's lock: the
	 * server's own lock_timeout answers that, before this cuts it off */
	p->write_ms = ms > 0 ? ms + p->busy_ms : 0;
}

void store_pool_free(struct store_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_cond_broadcast(&p->writer_cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < STORE_POOL_THREADS_MAX; i++)
		if (p->workers[i].state != SLOT_FREE)
			reap(p, &p->workers[i]);
	if (p->checkpointer)
		store_checkpointer_stop();
	free(p->store_path);
	free(p->backend);
	free_list(p->queue);
	free_list(p->done);
	evloop_del_io(p->io);
	if (p->efd >= 0)
		close(p->efd);
	pthread_cond_destroy(&p->idle_cv);
	pthread_cond_destroy(&p->cv);
	pthread_cond_destroy(&p->writer_cv);
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
	p->queued++;
	if (store_job_kind_writes(ops->kind))
		p->queued_writes++;
	wake_for(p, j);
	pthread_mutex_unlock(&p->mu);
	maybe_grow(p);
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
		p->queued--;
		if (store_job_kind_writes(j->ops->kind))
			p->queued_writes--;
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

unsigned store_pool_live(struct store_pool *p)
{
	pthread_mutex_lock(&p->mu);
	unsigned n = p->live;
	pthread_mutex_unlock(&p->mu);
	return n;
}

unsigned store_pool_peak(struct store_pool *p)
{
	pthread_mutex_lock(&p->mu);
	unsigned n = p->peak;
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
