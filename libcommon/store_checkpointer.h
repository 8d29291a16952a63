/*
 * store_checkpointer.h - SQLite's WAL checkpoints on a thread of their own.
 *
 * SQLite copies its write-ahead log into the database file every 1,000
 * pages by itself, inside the COMMIT that crossed the mark: that commit
 * then also writes some 4 MB and syncs the file before it returns.  With
 * 100 KB messages that is one delivery in thirty, and it is the answer to
 * that delivery (LMTP 250, the mailer's exit) that waits: the p99 of
 * every write path.  A long-running process with a store pool therefore
 * runs one checkpointer thread, on a store handle of its own: the
 * driver's commit hook only wakes it, and the PASSIVE checkpoint it runs
 * never takes the writers' lock, so commits go on meanwhile.
 *
 * A process without a checkpointer (the mailer, oomgr) checkpoints inline
 * as SQLite would; so does any process when the log has grown to
 * STORE_WAL_INLINE_PAGES anyway (the thread is behind or kept out by
 * readers), which bounds the log.  On PostgreSQL nothing here runs: its
 * own checkpointer does this.
 */
#ifndef EMS_STORE_CHECKPOINTER_H
#define EMS_STORE_CHECKPOINTER_H

#include <stdbool.h>

/* Log pages after which a commit asks for a checkpoint (SQLite's own). */
#define STORE_WAL_CHECKPOINT_PAGES 1000
/* Log pages after which the committing handle checkpoints itself. */
#define STORE_WAL_INLINE_PAGES 10000

/* Starts the process's checkpointer on the SQLite store at PATH, or
 * counts one more user of the one running: true, and the caller calls
 * store_checkpointer_stop() once.  False when there is nothing to do
 * (BACKEND other than "sqlite"; NULL is SQLite) or the thread or its
 * handle could not be made (logged; commits then checkpoint inline). */
bool store_checkpointer_start(const char *backend, const char *path);

/* Drops one user; the last stops the thread and closes its handle. */
void store_checkpointer_stop(void);

/* Asks the checkpointer for a checkpoint (from the driver's commit hook,
 * any thread).  False when none runs: the caller checkpoints itself. */
bool store_checkpointer_wake(void);

/* Checkpoints the thread has run so far (for tests and statistics). */
unsigned long store_checkpointer_runs(void);

#endif
