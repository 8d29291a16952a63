/*
 * auth_async.h - login checks (auth.h) off the event loop.
 *
 * A check costs a password hash (yescrypt: tens of milliseconds of CPU,
 * far more under load) and store writes for the failure counters; run on
 * a worker's single event loop it would stall every other session of
 * that worker.  A pool runs the checks on a small fixed set of threads
 * instead, each with its own store handle and its own authenticator (an
 * auth_clone() of the process's one: SQLite handles are never shared
 * between threads).  The result comes back to the loop through an
 * eventfd the pool watches with evloop.h, and the caller's callback
 * continues the protocol there, on the loop's thread.
 *
 * Checks run in the order submitted, up to one per thread at a time.
 * A caller whose client goes away while its check runs cancels the job:
 * its callback then never runs, and the result (already counted in the
 * store, as it would have been) is dropped.
 */
#ifndef EMS_AUTH_ASYNC_H
#define EMS_AUTH_ASYNC_H

#include "auth.h"
#include "store_pool.h"

struct evloop;
struct ems_config;
struct auth_pool;
struct auth_job;

/* Most threads one pool runs, whatever auth.threads or the CPUs say. */
#define AUTH_POOL_THREADS_MAX STORE_POOL_THREADS_MAX

/*
 * The outcome of a check, as auth_check() gives it: R, the identity ID
 * (meaningful on AUTH_OK) and the delay to wait before answering.  Runs
 * on the loop's thread.  The job is freed when the callback returns: the
 * caller forgets its handle first thing (cancelling it from inside the
 * callback, e.g. by freeing the client, is a harmless no-op).  The
 * callback may free its client, cancel other jobs and submit new checks.
 */
typedef void auth_done_cb(void *arg, enum auth_result r, const struct auth_identity *id,
                          unsigned delay_ms);

/* Threads for auth.threads = N: N, or for 0 the number of CPUs online;
 * at least 1, at most AUTH_POOL_THREADS_MAX. */
unsigned auth_pool_threads(unsigned n);

/*
 * Starts THREADS (see auth_pool_threads) check threads for LOOP, each
 * with its own store handle on TARGET of store BACKEND (as
 * store_open_backend(); NULL: "sqlite", TARGET a path) and a clone of
 * MODEL (which must outlive the pool).  Returns the pool, or NULL after
 * logging why (no thread left running).
 */
struct auth_pool *auth_pool_new(struct evloop *loop, const struct auth *model,
                                const char *backend, const char *target, int busy_ms,
                                unsigned threads);

/*
 * The same from a program's ems.conf: the store (store_config_backend(),
 * store_config_target()), store.busy_timeout_ms and auth.threads.  Each
 * check's waits for a database server are bounded by
 * store.loop_timeout_ms (store_pool.h's READS): on a stalled server the
 * client is answered a temporary failure, not left waiting.
 */
struct auth_pool *auth_pool_from_config(struct evloop *loop, const struct auth *model,
                                        const struct ems_config *cfg);

/*
 * Stops the threads (a check running finishes first) and frees the pool
 * with every job still in it, without calling their callbacks.  Call it
 * before evloop_free() of its loop, after the clients that could still
 * cancel a job are gone.  NULL is ignored.
 */
void auth_pool_free(struct auth_pool *p);

/*
 * Queues the check of CRED for CLIENT (copied: the caller may wipe and
 * reuse its buffers at once).  CB(ARG, ...) runs later on the loop,
 * never from inside this call.  Returns the job (to cancel), or NULL when
 * out of memory (logged; nothing will be called).
 */
struct auth_job *auth_pool_check(struct auth_pool *p, const struct auth_client *client,
                                 const struct auth_cred *cred, auth_done_cb *cb, void *arg);

/* The same for the credentials of a finished SASL exchange
 * (auth_check_sasl()). */
struct auth_job *auth_pool_check_sasl(struct auth_pool *p, const struct auth_client *client,
                                      const struct sasl_creds *creds, auth_done_cb *cb,
                                      void *arg);

/*
 * Forgets job J: its callback will not run.  A job still queued is
 * dropped at once; one running finishes on its thread and its result is
 * thrown away.  NULL, and the job whose callback is running, are
 * ignored; a job whose callback has returned no longer exists.
 */
void auth_job_cancel(struct auth_job *j);

#endif
