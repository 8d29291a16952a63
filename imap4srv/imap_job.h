/*
 * imap_job.h - a command's store writes run on the process's store pool
 * (libcommon/store_pool.h), never on the event loop.
 *
 * A command plans on the loop (parses, resolves sequence numbers, copies
 * into a context what the store work needs), then imap_job_start()
 * suspends it: RUN does the store work on a pool thread, touching only
 * the context and the thread's store handle; APPLY, back on the loop,
 * updates the view, sends the untagged responses and ends the command.
 * Meanwhile the connection reads nothing, so pipelined commands keep
 * their order; a client that goes away cancels the job (a write is then
 * whole or absent, and nothing is answered).
 */
#ifndef IMAP_JOB_H
#define IMAP_JOB_H

#include "imap_client.h"
#include "store_pool.h"

/*
 * What a command's job does.  KIND: STORE_JOB_WRITE runs RUN inside a
 * savepoint of a shared transaction (group commit), so RUN's changes are
 * all or nothing and durable before APPLY runs; STORE_JOB_WRITE_LAZY
 * the same for flag changes (STORE, the \Seen of FETCH), whose commit
 * need not sync when the group holds nothing else; STORE_JOB_PLAIN runs
 * it alone.  RUN(ST, CTX) returns 0, or -1 after a store failure.
 * APPLY(C, CTX, RC, ERR) gets RUN's outcome (ERR the store_error kind of
 * a failure) and returns the command's result, like a handler; a failure
 * it does not handle itself goes to imap_job_failed().  FREE(CTX) frees
 * the context (after APPLY, or when the job was dropped); may be NULL.
 */
struct imap_job_ops {
	enum store_job_kind kind;
	int (*run)(struct store *st, void *ctx);
	enum cmd_result (*apply)(struct imap_client *c, void *ctx, int rc, enum store_error err);
	void (*free)(void *ctx);
};

/*
 * Queues the active command's job with context CTX (owned by the job from
 * here on, freed by OPS->free even when this fails) and suspends the
 * command: return its result from the handler.  The command's own state
 * (c->active.state) stays as it was, for APPLY.  When the job cannot be
 * queued the command is answered NO [UNAVAILABLE] at once.
 */
enum cmd_result imap_job_start(struct imap_client *c, const struct imap_job_ops *ops, void *ctx);

/*
 * The same for a read (OPS->kind STORE_JOB_READ), run where
 * libcommon/store_read.h says: on SQLite at once, on the loop's own
 * handle, APPLY's result returned from here; on a database server as a
 * job, the command suspended meanwhile.  RUN is written for either.
 */
enum cmd_result imap_read_start(struct imap_client *c, const struct imap_job_ops *ops,
                                void *ctx);

/* True when C's reads run at once on the loop (imap_read_start()): a
 * read job's RUN then gets the loop's handle. */
bool imap_reads_inline(const struct imap_client *c);

/* Ends the active command after its job failed with ERR:
 * NO [UNAVAILABLE] for a transient failure (the store stayed locked past
 * store.busy_timeout_ms, the disk is full), NO [SERVERBUG] otherwise;
 * logged with the session and the command. */
enum cmd_result imap_job_failed(struct imap_client *c, enum store_error err);

#endif
