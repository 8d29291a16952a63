/*
 * store_read.h - a client's read from the store, run where it cannot
 * hold the worker's other clients.
 *
 * On SQLite a read is a local file's and never waits on a writer (WAL):
 * it runs at once, on the loop's own handle (store_reads_inline()).  On
 * a database server every call is a round trip that may stall: the read
 * runs as a STORE_JOB_READ job on the worker's pool (store_pool.h),
 * bounded by store.loop_timeout_ms, and the client takes no input until
 * its answer, so its commands keep their order.
 *
 * The caller writes its read once, as RUN(ST, CTX) - store work only,
 * touching nothing but CTX and ST - and APPLY(CTX, RC, ERR, LATER) on
 * the loop with RUN's outcome.  LATER tells APPLY how it was called:
 * false from inside store_read_start() (the caller's code goes on after
 * it), true from the pool's callback (APPLY resumes the connection).
 */
#ifndef EMS_STORE_READ_H
#define EMS_STORE_READ_H

#include "store_pool.h"

#include <stdbool.h>

struct store_read_ops {
	int (*run)(struct store *st, void *ctx);
	void (*apply)(void *ctx, int rc, enum store_error err, bool later);
	void (*free)(void *ctx);   /* may be NULL */
};

/*
 * Runs OPS with CTX (owned from here on, freed by OPS->free after APPLY,
 * or at once when the job cannot start): at once with LOOP_ST when
 * store_reads_inline(LOOP_ST) or there is no POOL, else on POOL.  While
 * the job is queued or running *JOB holds it (the caller cancels it with
 * store_job_cancel() when its client goes away, and reads no input while
 * it is set); it is NULL again before APPLY runs.  Returns 0, or -1 when
 * the job could not be queued (logged; APPLY will not run).
 */
int store_read_start(struct store_pool *pool, struct store *loop_st,
                     const struct store_read_ops *ops, void *ctx, struct store_job **job);

#endif
