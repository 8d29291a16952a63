/*
 * store.h - the message store: one SQLite database (WAL mode) that every
 * ems process opens, or a PostgreSQL database (store.backend; the
 * drivers are in store_driver.h).  All SQL of ems lives behind this
 * header and the headers it includes, so the programs do not depend on
 * the backend:
 *
 *   store.h            opening, closing, transactions, errors (this file)
 *   store_directory.h  domains, persons, aliases, distribution lists
 *   store_mail.h       mailboxes, single-instance messages, mailbox entries
 *   store_queue.h      submission and outbound queues, garbage collection
 *   store_backup.h     whole-store copies and checks of store files
 *   store_sieve.h      persons' Sieve scripts
 *
 * ERRORS.  A function returns 0 on success and -1 on failure (NULL for
 * pointers) after logging why; store_last_error() then says what kind of
 * failure it was, so a caller can tell a permanent error from "try again
 * later" (smtpgw exits 75 EX_TEMPFAIL, LMTP answers 451):
 *
 *   STORE_E_NOTFOUND   the thing asked for does not exist (logged at debug)
 *   STORE_E_EXISTS     a unique name is taken (logged at info)
 *   STORE_E_TRANSIENT  the store stayed locked past the busy timeout, the
 *                      disk is full, an I/O error or out of memory: retry
 *   STORE_E_INVALID    a bad argument (empty name, bad address), or a
 *                      wrong password (not logged: the caller logs it)
 *   STORE_E_FAILED     anything else (corruption, schema trouble, misuse)
 *
 * store_error_transient() is the one-line test callers need.
 *
 * DURABILITY.  The database runs with synchronous=FULL: when a function
 * that writes (or store_commit()) returns 0, the change is on disk.  That
 * is what lets smtpgw acknowledge a message.
 *
 * TRANSACTIONS.  Every function that changes several rows runs in its own
 * transaction.  A caller may group calls with store_begin() ...
 * store_commit(); the calls inside then join that transaction, each as a
 * savepoint: when one of them fails its own changes are undone and the
 * caller still decides whether to commit the rest or store_rollback().
 * Keep transactions short, never across a client round trip: one writer
 * at a time holds the whole store.
 *
 * MEMORY.  Strings in returned structs are malloc'ed copies owned by the
 * struct; free them with the struct's *_clear() function (safe on a
 * zeroed struct).  List functions call a callback per row; the struct it
 * gets is freed when the callback returns.  A callback may call other
 * store functions, but not the list function it was called from (that
 * fails with STORE_E_FAILED), and it should not write: collect ids, then
 * write after the list returns.
 *
 * A struct store is one database connection; use it from one thread.
 */
#ifndef EMS_STORE_H
#define EMS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The schema version this code writes; older stores migrate forward. */
#define STORE_SCHEMA_VERSION 11

enum store_error {
	STORE_E_NONE = 0,
	STORE_E_NOTFOUND,
	STORE_E_EXISTS,
	STORE_E_TRANSIENT,
	STORE_E_INVALID,
	STORE_E_FAILED,
};

struct store;

/*
 * Opens the store at PATH, creating it when absent, and waits up to
 * BUSY_TIMEOUT_MS for another process's lock before a call fails as
 * transient.  A new file gets WAL mode, incremental auto-vacuum and the
 * current schema; an older schema is migrated forward in one transaction;
 * a store written by a newer ems is refused ("store.db has schema version
 * 7, this ems understands up to 3; upgrade ems").  Returns the handle
 * (close with store_close()), or NULL after logging why.
 */
struct store *store_open(const char *path, int busy_timeout_ms);

/*
 * The same for store.backend BACKEND: "sqlite" (TARGET is the file) or
 * "postgresql" (TARGET is a libpq connection string; only when ems is
 * built with PostgreSQL).  Any other name: NULL, logged.
 */
struct store *store_open_backend(const char *backend, const char *target,
                                 int busy_timeout_ms);

/* The same for a program's ems.conf CFG: store.backend, then "store"
 * (sqlite) or store.conninfo (postgresql), and store.busy_timeout_ms. */
struct ems_config;
struct store *store_open_config(const struct ems_config *cfg);

/* What store_open_config() opens: store.backend of CFG, and its target
 * (the path of "store" for sqlite, store.conninfo for postgresql), for
 * those that open stores of their own (store pools, store_open_nowait). */
const char *store_config_backend(const struct ems_config *cfg);
const char *store_config_target(const struct ems_config *cfg);

/*
 * The handle of a worker's event loop (its reads): store_open_config(),
 * and on a database server (PostgreSQL) no call waits longer than
 * store.loop_timeout_ms for the server's reply or a connect: past it
 * the connection is taken as lost, the call fails as transient and a
 * later one connects again, so a stalled server or a dead network costs
 * the loop's clients a temporary error, never a loop stuck for minutes.
 * SQLite reads never wait on another process (WAL): nothing changes.
 */
struct store *store_open_loop(const struct ems_config *cfg);

/*
 * The handle of a process a client waits on outside any event loop
 * (smtpgw's mailer mode): store_open_config(), its waits bounded by
 * store.loop_timeout_ms plus store.busy_timeout_ms but for the outermost
 * COMMIT (store_bound_writes()), as the store pool's write groups are.
 */
struct store *store_open_client(const struct ems_config *cfg);

/*
 * The same for writes an event loop may make itself because losing one
 * costs nothing (IMAP's claim of \Recent): a write that meets another
 * writer's lock fails at once as transient instead of waiting, and a
 * commit is not synced to disk (a crash may forget it).
 */
struct store *store_open_nowait(const struct ems_config *cfg);

/* Closes ST (NULL is fine), rolling back a transaction left open. */
void store_close(struct store *st);

/* The kind of the last failure on ST (STORE_E_NONE before any). */
enum store_error store_last_error(const struct store *st);

/* True when the last failure was STORE_E_TRANSIENT: tell the peer to
 * try again later rather than failing the mail. */
bool store_error_transient(const struct store *st);

/* Schema version of the open file (STORE_SCHEMA_VERSION after a
 * successful store_open()), or -1 after logging why. */
int store_schema_version(struct store *st);

/*
 * Groups the following calls into one transaction, taking the write lock
 * now (BEGIN IMMEDIATE: waits up to the busy timeout, then fails as
 * transient).  Calls nest: an inner store_begin() opens a savepoint.
 * Returns 0 or -1 (logged).
 */
int store_begin(struct store *st);

/*
 * The same for an outermost transaction whose commit need not reach the
 * disk before it returns: flag changes, which a crash of the machine (not
 * of a process) may forget, never half of.  Mail content and deletions
 * always use store_begin().  Dovecot's mail_fsync=optimized does not sync
 * flag changes either.  Inside a transaction this is store_begin().
 */
int store_begin_lazy(struct store *st);

/* Ends the innermost store_begin(): the outermost one commits durably.
 * Returns 0, or -1 (logged) after rolling that level back. */
int store_commit(struct store *st);

/* Undoes everything since the innermost store_begin(). */
void store_rollback(struct store *st);

/* The backend ST runs on: "sqlite" or "postgresql" (store.backend). */
const char *store_backend(const struct store *st);

/*
 * Whether a read on ST may run on an event loop: true on SQLite, whose
 * reads are a local file's and never wait on a writer (WAL); false on a
 * database server, where every call is a round trip that can stall.  A
 * worker runs a client's reads at once on its loop's handle when this
 * holds, else as STORE_JOB_READ jobs on its pool (store_pool.h).
 */
bool store_reads_inline(const struct store *st);

/*
 * Bounds ST's every wait for the server's reply, and its connects, by
 * MS (0: no bound), as store_open_loop() does with store.loop_timeout_ms:
 * past it the connection is taken as lost and the call fails as
 * transient.  Nothing on SQLite.  The store pool bounds its threads'
 * handles so for the length of a read job.
 */
void store_bound_replies(struct store *st, int ms);

/*
 * The same, but for the outermost COMMIT, which waits as long as the
 * server takes: cut off, its outcome would be unknown, and a client told
 * to try again could store twice.  A stall before it leaves nothing
 * done (the connection is dropped, the server rolls back).  For the
 * store pool's write groups and store_open_client().
 */
void store_bound_writes(struct store *st, int ms);

/*
 * Whether this process leads the store-wide chore ROLE ("collector")
 * now; *LEAD gets the answer.  On SQLite always: one machine, and the
 * guardian starts one collector.  On PostgreSQL, where several nodes
 * share the store, the lead is a session advisory lock for ROLE: the
 * first process to ask holds it while its connection lives, the others
 * hear no and skip the chore, and when the holder dies or loses its
 * connection the next one to ask takes over.  Returns 0 or -1 (logged).
 */
int store_lead(struct store *st, const char *role, bool *lead);

/* 0 when PRAGMA integrity_check says "ok", else -1 (logged); SQLite
 * only (STORE_E_FAILED on another backend). */
int store_integrity_check(struct store *st);

#include "store_backup.h"
#include "store_directory.h"
#include "store_mail.h"
#include "store_queue.h"
#include "store_sieve.h"
#include "store_stats.h"

#endif
