/*
 * store_pool.h - work that may block (store writes, commits, lock waits,
 * password hashes, DNS lookups) run off the event loop.
 *
 * A worker serves all its clients from one event loop; a store call that
 * waits on another process's write lock or on an fsync would stall every
 * one of them.  A pool runs such work on a small set of threads instead.
 * Each thread owns its own store handle (SQLite handles never cross
 * threads), opened when the thread starts and closed when it ends; the
 * loop's own handle stays the loop's.  The first threads' handles are
 * opened before the pool is returned (a pool that cannot open its store
 * fails at once); a thread the pool grows by opens its own, on that
 * thread, so the loop never waits for a connection (one that fails ends
 * the thread, and the jobs run on the threads there are).
 *
 * SIZE.  A pool starts MIN threads (at least one) and, when a job is
 * submitted while more jobs wait than threads are idle, starts INCREMENT
 * more, never more than MAX at once.  A thread idle for IDLE_TIMEOUT_S
 * while more than MIN live ends, closing its store handle (0: threads
 * never end).  With MIN = MAX the pool is fixed, as store.threads has
 * always made it.  A job is a function run on a pool thread with that
 * thread's handle and the caller's context; its outcome comes back to the
 * loop through an eventfd the pool watches with evloop.h, and the done
 * callback continues the protocol there, on the loop's thread.
 *
 * THE PATTERN.  Plan on the loop (parse, decide what to change, copy what
 * the job needs into a context struct), run the store work on a thread
 * (results into the same struct, nothing else touched), apply on the
 * loop (update views, answer).  The connection that asked takes no input
 * until its answer comes, so the order of its commands holds.
 *
 * GROUP COMMIT.  STORE_JOB_WRITE jobs queued together are run by one
 * thread in one transaction: each inside its own savepoint (a job that
 * fails rolls back only its own changes), then one COMMIT - one fsync
 * for all of them - and only then do their done callbacks run, so no
 * client is answered before its change is durable.  When the BEGIN or
 * the COMMIT fails, every job of the group fails with that error.  A
 * write job's store calls nest inside that transaction (store.h's
 * TRANSACTIONS); it must not commit by other means.  STORE_JOB_PLAIN jobs
 * run one at a time outside any transaction the pool opens: reads, work
 * that commits on its own, and work that needs no store at all.
 *
 * READS.  A STORE_JOB_READ job runs as a plain one, with its thread's
 * handle bounded for the while by the pool's read bound (store.loop_timeout_ms
 * for store_pool_from_config(); see store_bound_replies()): a client's
 * read on a stalled database server fails as transient after it, as on
 * a loop's handle, instead of holding the client until TCP gives up.
 * A write group is bounded the same way, by the read bound plus the busy
 * timeout (a wait for the store's lock ends by the server's own
 * lock_timeout first), up to its COMMIT: until then a cut leaves nothing
 * done, and every job of the group fails as transient.  The COMMIT waits
 * as long as it takes: cut off, its outcome would be unknown.
 *
 * ORDER.  Jobs start in the order submitted, but for one thing: write
 * groups run one at a time, all on one thread (the writer: the first to
 * take a write, until it ends), and the other threads take only the
 * jobs that do not write (a read does not wait behind writes that wait
 * for the store's one writer anyway; the writes keep one handle's
 * statements and caches warm; a write queued while the writer is busy
 * grows no thread).  With several threads jobs may finish in any order.  A caller that needs order
 * within a connection keeps one job in flight per connection.
 *
 * CANCEL.  A caller whose client goes away cancels its job: the done
 * callback then never runs.  A job still queued is dropped at once; one
 * running finishes on its thread (a write is then either committed whole
 * or rolled back, never half done) and its outcome is thrown away.  In
 * both cases the context's free function runs, on the loop's thread.
 *
 * SHUTDOWN.  store_pool_drain() waits for every job queued or running
 * and runs their callbacks (answers get written); store_pool_free()
 * then stops the threads.
 */
#ifndef EMS_STORE_POOL_H
#define EMS_STORE_POOL_H

#include "store.h"

#include <stdbool.h>

struct evloop;
struct ems_config;
struct store_pool;
struct store_job;

/* Most threads one pool runs, whatever store.threads, store.pool or the
 * CPUs say. */
#define STORE_POOL_THREADS_MAX 16
/* Most write jobs one transaction takes: a bound on how long the first
 * of them waits for the group's commit. */
#define STORE_POOL_GROUP_MAX 64

enum store_job_kind {
	STORE_JOB_PLAIN,   /* runs alone, no transaction opened for it */
	STORE_JOB_READ,    /* the same for a read (or a login check) a
	                    * client waits on: its waits for a database
	                    * server are bounded (READS) */
	STORE_JOB_WRITE,   /* joins a group: its own savepoint, a shared commit */
	STORE_JOB_WRITE_LAZY, /* the same for a flag change: a group of only
	                       * these commits without a sync (store_begin_lazy) */
};

/* True for both kinds of write job. */
static inline bool store_job_kind_writes(enum store_job_kind k)
{
	return k == STORE_JOB_WRITE || k == STORE_JOB_WRITE_LAZY;
}

/*
 * What a job does.  A caller keeps one static const instance per kind of
 * job; the pool keeps a pointer to it.
 *
 * run(ST, LOCAL, CTX) runs on a pool thread.  ST is the thread's store
 * handle (NULL for a pool without a store), LOCAL what the pool's
 * thread_start hook gave that thread (NULL without one).  It touches only
 * CTX, ST and LOCAL.  Returns 0, or -1 after a store failure (the kind
 * the done callback gets is then store_last_error(ST)).
 *
 * done(CTX, RC, ERR) runs on the loop's thread: RC is run's return, or -1
 * when the group's BEGIN/COMMIT failed; ERR the store_error kind of the
 * failure (STORE_E_NONE on success, STORE_E_FAILED when run failed
 * without a store).  It may free its client, cancel other jobs and
 * submit new ones.  May be NULL.
 *
 * free(CTX) runs on the loop's thread once the job is over: after done
 * returned, or when the job was cancelled or never ran.  May be NULL.
 *
 * name is logged with failures ("imap_store", "resolve").
 */
struct store_job_ops {
	const char *name;
	enum store_job_kind kind;
	int (*run)(struct store *st, void *local, void *ctx);
	void (*done)(void *ctx, int rc, enum store_error err);
	void (*free)(void *ctx);
};

/*
 * Optional per-thread state (auth_async.h gives each thread a clone of
 * the authenticator bound to the thread's store handle).  thread_start
 * runs on the loop's thread while the pool starts, once per thread, and
 * returns that thread's LOCAL (NULL is a failure: the pool does not
 * start); thread_stop frees it after the thread ended.
 */
struct store_pool_hooks {
	void *(*thread_start)(struct store *st, void *arg);
	void (*thread_stop)(void *local);
	void *arg;
};

/* Threads for a setting of N (store.threads, auth.threads): N, or for 0
 * the number of CPUs online; at least 1, at most STORE_POOL_THREADS_MAX. */
unsigned store_pool_threads(unsigned n);

/* How many threads a pool runs (see SIZE above).  Out-of-range values
 * are brought in range: MAX to 1..STORE_POOL_THREADS_MAX, MIN to at most
 * MAX, INCREMENT to at least 1. */
struct store_pool_size {
	unsigned min, max, increment;
	unsigned idle_timeout_s;
};

/* A fixed pool of store_pool_threads(THREADS) threads. */
void store_pool_size_fixed(struct store_pool_size *size, unsigned threads);

/* Threads a pool of store.threads grows to on a database server. */
#define STORE_POOL_READS_MAX 4

/* ems.conf's store.pool (min, max, increment, idle_timeout_s), or when
 * store.pool.max is 0 (not set) the pool of store.threads: fixed on
 * SQLite; on a database server, where the pool also runs the clients'
 * reads (store_read.h), growing on demand to STORE_POOL_READS_MAX, the
 * threads above store.threads ending after store.pool.idle_timeout_s. */
void store_pool_size_from_config(const struct ems_config *cfg, struct store_pool_size *size);

/*
 * Starts THREADS (see store_pool_threads) threads for LOOP, each with its
 * own store handle on STORE_PATH of store BACKEND (BUSY_MS; as in
 * store_open_backend(); BACKEND NULL: "sqlite", STORE_PATH a file), or
 * with no store when STORE_PATH is NULL.  HOOKS may be NULL.  NAME names
 * the pool in logs ("store_pool", "auth_pool").  Returns the pool, or
 * NULL after logging why (no thread left running).
 */
struct store_pool *store_pool_new(struct evloop *loop, const char *name,
                                  const char *backend, const char *store_path, int busy_ms,
                                  unsigned threads, const struct store_pool_hooks *hooks);

/* The same with a pool that grows and shrinks within SIZE. */
struct store_pool *store_pool_new_sized(struct evloop *loop, const char *name,
                                        const char *backend, const char *store_path,
                                        int busy_ms, const struct store_pool_size *size,
                                        const struct store_pool_hooks *hooks);

/* The same from a program's ems.conf: the store (store_config_backend(),
 * store_config_target()), store.busy_timeout_ms, store.loop_timeout_ms as
 * the read bound, and the size: OWN (the instance's own, from the process
 * table), or when NULL store_pool_size_from_config(). */
struct store_pool *store_pool_from_config(struct evloop *loop, const struct ems_config *cfg,
                                          const struct store_pool_size *own);

/*
 * Queues a job: OPS->run(.., CTX) on a thread, then OPS->done(CTX, ..)
 * and OPS->free(CTX) on the loop, never from inside this call.  The pool
 * owns CTX from here on (OPS->free is called even when this fails).
 * Returns the job (to cancel), or NULL when out of memory or the pool is
 * draining (logged; done will not be called).
 */
struct store_job *store_pool_submit(struct store_pool *p, const struct store_job_ops *ops,
                                    void *ctx);

/*
 * Forgets job J: its done callback will not run (its free function
 * will).  NULL and the job whose callback is running are ignored; a job
 * whose callback has returned no longer exists, so a caller forgets its
 * handle first thing in the callback.
 */
void store_job_cancel(struct store_job *j);

/* Bounds STORE_JOB_READ jobs' waits by MS, and write groups' up to their
 * COMMIT by MS plus the busy timeout (READS; 0, the default: no bound).
 * Call it before any job is queued. */
void store_pool_bound_waits(struct store_pool *p, int ms);

/* Jobs queued or running, not yet delivered: for stats and tests. */
unsigned store_pool_pending(struct store_pool *p);

/* Threads running now, and the most that ever ran at once: for stats
 * and tests.  Threads that ended on idle stop counting at once. */
unsigned store_pool_live(struct store_pool *p);
unsigned store_pool_peak(struct store_pool *p);

/* Group transactions the pool has committed so far: for stats and tests
 * (N write jobs in one group count once). */
unsigned long store_pool_commits(struct store_pool *p);

/*
 * Waits (blocking the loop) until every job queued or running has
 * finished, and runs their callbacks.  For shutdown and refresh: the
 * answers then go out before the program exits or reloads.  Jobs
 * submitted meanwhile (from those callbacks) are refused (NULL); once it
 * returns the pool takes jobs again.  NULL is ignored.
 */
void store_pool_drain(struct store_pool *p);

/*
 * Stops the threads (a job running finishes first) and frees the pool
 * with every job still in it, calling their free functions but not their
 * done callbacks.  Call it before evloop_free() of its loop.  NULL is
 * ignored.
 */
void store_pool_free(struct store_pool *p);

#endif
