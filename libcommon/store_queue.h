/*
 * store_queue.h - mail in transit, and the garbage collection of what
 * nobody needs any more.  Included by store.h; the error, memory and
 * transaction rules there apply to every function here.
 *
 * Two queues of the same shape:
 *
 *   STORE_QUEUE_SUBMISSION  smtpgw puts accepted mail here; postman
 *                           delivers it into mailboxes
 *   STORE_QUEUE_OUTBOUND    postman puts mail leaving the system here
 *                           (bounces, auto-replies, forwards); smtpgw's
 *                           outbound side hands it to the local sendmail
 *
 * An item is "queued" until it is done or failed for good; a worker takes
 * the next due item with store_queue_next(), which leases it so that
 * another worker does not take it too; a worker that dies leaves it due
 * again when the lease runs out.  A queued item holds a reference on its
 * message; a finished one does not, and the collector removes it later.
 */
#ifndef EMS_STORE_QUEUE_H
#define EMS_STORE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct store;

enum store_queue {
	STORE_QUEUE_SUBMISSION,
	STORE_QUEUE_OUTBOUND,
};

/* At most this many recipients per item. */
#define STORE_QUEUE_RCPT_MAX 10000

struct store_queue_item {
	int64_t id;
	char *sender;          /* "" = null sender (bounces) */
	char **recipients;     /* NRECIPIENTS addresses */
	size_t nrecipients;
	int64_t message_id;
	int attempts;          /* including the current one */
	int64_t created;       /* unix time */
	char *last_error;      /* of the previous attempt, "" if none */
};

/* Frees the strings of Q and zeroes it. */
void store_queue_item_clear(struct store_queue_item *q);

/*
 * Stores the message DATA (LEN bytes) and its envelope (SENDER, "" or
 * NULL for the null sender; RCPTS, NRCPT >= 1 addresses without blanks)
 * in queue Q in ONE durable transaction: when this returns 0 the mail is
 * on disk and may be acknowledged.  *ID_OUT (may be NULL) gets the item
 * id.  On STORE_E_TRANSIENT tell the sender to try again later.
 */
int store_queue_add(struct store *st, enum store_queue q, const char *sender,
                    const char *const *rcpts, size_t nrcpt, const void *data,
                    size_t len, int64_t internal_date, int64_t *id_out);

/* The same for a message spooled as it arrived (store_message_adopt()). */
struct spool;
int store_queue_add_spool(struct store *st, enum store_queue q, const char *sender,
                          const char *const *rcpts, size_t nrcpt, struct spool *sp,
                          int64_t internal_date, int64_t *id_out);

/* The same for a message already stored (forwarding one that arrived). */
int store_queue_add_message(struct store *st, enum store_queue q, const char *sender,
                            const char *const *rcpts, size_t nrcpt,
                            int64_t message_id, int64_t *id_out);

/*
 * Takes the oldest item of Q due at NOW (unix time) and leases it for
 * LEASE seconds: it counts an attempt and is not due again before
 * NOW + LEASE unless store_queue_retry() says otherwise.  Returns 0 with
 * OUT filled (clear it), or -1 with STORE_E_NOTFOUND when nothing is due.
 */
int store_queue_next(struct store *st, enum store_queue q, int64_t now,
                     int64_t lease, struct store_queue_item *out);

/* The item is delivered: finished, its message reference dropped. */
int store_queue_done(struct store *st, enum store_queue q, int64_t id);

/* The item failed for good (after its bounce was queued): finished with
 * ERROR recorded, its message reference dropped. */
int store_queue_fail(struct store *st, enum store_queue q, int64_t id,
                     const char *error);

/*
 * Try the item again at NEXT_ATTEMPT, recording ERROR; when REMAINING is
 * not NULL, only its NREMAINING recipients (>= 1) are left to do.
 */
int store_queue_retry(struct store *st, enum store_queue q, int64_t id,
                      int64_t next_attempt, const char *const *remaining,
                      size_t nremaining, const char *error);

/* *COUNT gets the number of queued (unfinished) items of Q. */
int store_queue_depth(struct store *st, enum store_queue q, int64_t *count);

/* ---- garbage collection (the collector's work, in small steps) ---- */

/* Purges up to LIMIT entries expunged before BEFORE (unix time);
 * *N (may be NULL) gets how many. */
int store_collect_expunged(struct store *st, int64_t before, int limit, int64_t *n);

/* Purges up to LIMIT items of both queues finished before BEFORE. */
int store_collect_queues(struct store *st, int64_t before, int limit, int64_t *n);

/* Deletes up to LIMIT messages that nothing references and that were
 * stored (or stored again) before BEFORE: the grace period protects a
 * message between store_message_put() and the entry that will use it. */
int store_collect_messages(struct store *st, int64_t before, int limit, int64_t *n);

/* Returns up to PAGES free pages to the file system (incremental vacuum).
 * This and the checkpoints below do nothing on PostgreSQL, which vacuums
 * and checkpoints by itself (there page_counts gives the database's size
 * in blocks and no free pages). */
int store_vacuum_step(struct store *st, int pages);

/* Copies as much of the write-ahead log into the database as readers
 * allow, without waiting for them; 0 also when readers kept part of it. */
int store_checkpoint(struct store *st);

/*
 * Checkpoints when the store is quiet: a PASSIVE checkpoint first; when
 * it copied the whole log, a TRUNCATE one that also empties the -wal
 * file.  *WAL_PAGES (may be NULL) gets the pages left in the log
 * afterwards (0 when truncated).  A busy store is no error (the next run
 * tries again).  Returns 0 or -1 (logged).
 */
int store_checkpoint_quiet(struct store *st, int *wal_pages);

/* Pages of the file, free pages among them, and the page size. */
int store_page_counts(struct store *st, int64_t *pages, int64_t *free_pages,
                      int64_t *page_size);

/* *BYTES gets the store's size on disk: the file and its write-ahead log
 * (SQLite), the database (PostgreSQL).  Returns 0 or -1 (logged). */
int store_size(struct store *st, int64_t *bytes);

/* The path of the store file (for size checks), valid while ST is open;
 * for PostgreSQL the connection string, which may hold a password:
 * never log it. */
const char *store_path(const struct store *st);

#endif
