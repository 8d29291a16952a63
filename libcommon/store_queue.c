/*
 * store_queue.c - the submission queue (smtpgw -> postman) and the
 * outbound queue (postman -> smtpgw's outbound side) in the store: one
 * durable transaction per accepted message, leased hand-out to workers,
 * done / failed / retry; see store_queue.h.  Recipients are kept as one
 * newline-separated column.
 */
#include "store_internal.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The same statements for both queue tables. */
#define QUEUE_SQL(t)                                                           \
	{                                                                          \
		.insert = "INSERT INTO " t " (sender, recipients, message_id,"         \
		          " next_attempt, created) VALUES (?1, ?2, ?3, ?4, ?4)"        \
		          " RETURNING id",                                             \
		.next = "UPDATE " t " SET attempts = attempts + 1,"                    \
		        " next_attempt = ?2 WHERE id = (SELECT id FROM " t             \
		        " WHERE state = 'queued' AND next_attempt <= ?1"               \
		        " ORDER BY next_attempt, id LIMIT 1) RETURNING id, sender,"    \
		        " recipients, message_id, attempts, created, last_error",      \
		.finish = "UPDATE " t " SET state = ?2, finished = ?3,"                \
		          " last_error = coalesce(?4, last_error)"                     \
		          " WHERE id = ?1 AND state = 'queued'",                       \
		.retry = "UPDATE " t " SET next_attempt = ?2, last_error = ?3,"        \
		         " recipients = coalesce(?4, recipients)"                      \
		         " WHERE id = ?1 AND state = 'queued'",                        \
		.depth = "SELECT count(*) FROM " t " WHERE state = 'queued'",          \
	}

static const struct queue_sql {
	const char *insert, *next, *finish, *retry, *depth;
} queue_sql[] = {
	[STORE_QUEUE_SUBMISSION] = QUEUE_SQL("queue"),
	[STORE_QUEUE_OUTBOUND] = QUEUE_SQL("outbound"),
};

static const struct queue_sql *sql_of(enum store_queue q)
{
	return &queue_sql[q == STORE_QUEUE_OUTBOUND ? STORE_QUEUE_OUTBOUND
	                                            : STORE_QUEUE_SUBMISSION];
}

void store_queue_item_clear(struct store_queue_item *q)
{
	free(q->sender);
	for (size_t i = 0; i < q->nrecipients; i++)
		free(q->recipients[i]);
	free(q->recipients);
	free(q->last_error);
	memset(q, 0, sizeof *q);
}

static bool word_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

/* The recipients joined by newlines (malloc'ed), or NULL when one is bad. */
static char *join_rcpts(const char *const *rcpts, size_t n)
{
	size_t len = 1;
	if (rcpts == NULL || n == 0 || n > STORE_QUEUE_RCPT_MAX)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (store_blank(rcpts[i]) || !word_ok(rcpts[i]))
			return NULL;
		len += strlen(rcpts[i]) + 1;
	}
	char *out = malloc(len), *p = out;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(rcpts[i]);
		memcpy(p, rcpts[i], k);
		p += k;
		*p++ = i + 1 < n ? '\n' : '\0';
	}
	return out;
}

/* Splits newline-separated TEXT into Q->recipients. */
static void split_rcpts(const char *text, struct store_queue_item *q)
{
	size_t n = 1;
	for (const char *p = text; *p; p++)
		n += *p == '\n';
	q->recipients = calloc(n, sizeof *q->recipients);
	if (q->recipients == NULL)
		abort();   /* out of memory for a few pointers */
	for (const char *p = text; q->nrecipients < n; p++) {
		size_t k = strcspn(p, "\n");
		if ((q->recipients[q->nrecipients++] = strndup(p, k)) == NULL)
			abort();
		p += k;
	}
}

static int insert_item(struct store *st, enum store_queue q, const char *sender,
                       const char *rcpts, int64_t message_id, int64_t *id)
{
	struct store_stmt *s = store_stmt(st, sql_of(q)->insert);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, sender ? sender : "");
	store_bind_text(s, 2, rcpts);
	store_bind_int64(s, 3, message_id);
	store_bind_int64(s, 4, (int64_t)time(NULL));
	/* The insert fires the trigger that adds the message reference. */
	return store_exec_id(st, s, "queue_add", id);
}

/* Where a new queue item's message comes from. */
struct item_message {
	int64_t id;             /* stored already, or 0 */
	const void *data;       /* else these bytes */
	size_t len;
	struct spool *spool;    /* else this spool */
	int64_t internal_date;
};

/* Stores M's message unless it is stored; *ID gets its id. */
static int put_message(struct store *st, const struct item_message *m, int64_t *id)
{
	*id = m->id;
	if (m->id != 0)
		return 0;
	if (m->spool != NULL)
		return store_message_adopt(st, m->spool, m->internal_date, NULL, 0, id);
	return store_message_put(st, m->data, m->len, m->internal_date, NULL, 0, id);
}

/* Adds an item for message M in one transaction. */
static int add_item(struct store *st, enum store_queue q, const char *sender,
                    const char *const *rcpts, size_t nrcpt, const struct item_message *m,
                    int64_t *id_out)
{
	int64_t message_id = 0;
	int64_t id = 0;
	if (sender != NULL && !word_ok(sender))
		return store_fail_kind(st, STORE_E_INVALID, "queue_add", "bad sender");
	char *joined = join_rcpts(rcpts, nrcpt);
	if (joined == NULL)
		return store_fail_kind(st, STORE_E_INVALID, "queue_add", "bad recipient list");
	if (store_tx_begin(st) < 0) {
		free(joined);
		return -1;
	}
	if (put_message(st, m, &message_id) < 0 ||
	    insert_item(st, q, sender, joined, message_id, &id) < 0) {
		free(joined);
		store_tx_rollback(st);
		return -1;
	}
	free(joined);
	if (store_tx_commit(st) < 0)
		return -1;
	if (id_out != NULL)
		*id_out = id;
	return 0;
}

int store_queue_add(struct store *st, enum store_queue q, const char *sender,
                    const char *const *rcpts, size_t nrcpt, const void *data,
                    size_t len, int64_t internal_date, int64_t *id_out)
{
	struct item_message m = { .data = data, .len = len, .internal_date = internal_date };
	return add_item(st, q, sender, rcpts, nrcpt, &m, id_out);
}

int store_queue_add_spool(struct store *st, enum store_queue q, const char *sender,
                          const char *const *rcpts, size_t nrcpt, struct spool *sp,
                          int64_t internal_date, int64_t *id_out)
{
	struct item_message m = { .spool = sp, .internal_date = internal_date };
	return add_item(st, q, sender, rcpts, nrcpt, &m, id_out);
}

int store_queue_add_message(struct store *st, enum store_queue q, const char *sender,
                            const char *const *rcpts, size_t nrcpt,
                            int64_t message_id, int64_t *id_out)
{
	if (message_id <= 0)
		return store_fail_kind(st, STORE_E_NOTFOUND, "queue_add", "no such message");
	struct item_message m = { .id = message_id };
	return add_item(st, q, sender, rcpts, nrcpt, &m, id_out);
}

static void item_from_row(struct store_stmt *s, struct store_queue_item *out)
{
	memset(out, 0, sizeof *out);
	out->id = store_col_int64(s, 0);
	out->sender = store_col_text(s, 1);
	split_rcpts(store_col_str(s, 2), out);
	out->message_id = store_col_int64(s, 3);
	out->attempts = store_col_int(s, 4);
	out->created = store_col_int64(s, 5);
	out->last_error = store_col_text(s, 6);
}

int store_queue_next(struct store *st, enum store_queue q, int64_t now,
                     int64_t lease, struct store_queue_item *out)
{
	struct store_stmt *s = store_stmt(st, sql_of(q)->next);
	/* In a transaction so that a failing commit of the lease is seen. */
	if (s == NULL || store_tx_begin(st) < 0)
		return -1;
	store_bind_int64(s, 1, now);
	store_bind_int64(s, 2, now + (lease > 0 ? lease : 0));   /* the lease ends */
	if (store_step_row(st, s, "queue_next", "nothing due") < 0) {
		store_tx_rollback(st);
		return -1;
	}
	item_from_row(s, out);
	store_reset(s);
	if (store_tx_commit(st) < 0) {
		store_queue_item_clear(out);
		return -1;
	}
	return 0;
}

/* Finishes item ID with STATE ('done' or 'failed'); the state change
 * fires the trigger that drops the message reference. */
static int finish(struct store *st, enum store_queue q, int64_t id, const char *state,
                  const char *error)
{
	struct store_stmt *s = store_stmt(st, sql_of(q)->finish);
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, id);
	store_bind_text(s, 2, state);
	store_bind_int64(s, 3, (int64_t)time(NULL));
	if (error != NULL)
		store_bind_text(s, 4, error);
	return store_exec_changed(st, s, "queue_finish", "no such queued item");
}

int store_queue_done(struct store *st, enum store_queue q, int64_t id)
{
	return finish(st, q, id, "done", NULL);
}

int store_queue_fail(struct store *st, enum store_queue q, int64_t id,
                     const char *error)
{
	return finish(st, q, id, "failed", error ? error : "");
}

int store_queue_retry(struct store *st, enum store_queue q, int64_t id,
                      int64_t next_attempt, const char *const *remaining,
                      size_t nremaining, const char *error)
{
	char *joined = NULL;
	if (remaining != NULL && (joined = join_rcpts(remaining, nremaining)) == NULL)
		return store_fail_kind(st, STORE_E_INVALID, "queue_retry", "bad recipient list");
	struct store_stmt *s = store_stmt(st, sql_of(q)->retry);
	if (s == NULL) {
		free(joined);
		return -1;
	}
	store_bind_int64(s, 1, id);
	store_bind_int64(s, 2, next_attempt);
	store_bind_text(s, 3, error ? error : "");
	if (joined != NULL)
		store_bind_text(s, 4, joined);
	int r = store_exec_changed(st, s, "queue_retry", "no such queued item");
	free(joined);
	return r;
}

int store_queue_depth(struct store *st, enum store_queue q, int64_t *count)
{
	struct store_stmt *s = store_stmt(st, sql_of(q)->depth);
	if (s == NULL || store_step_row(st, s, "queue_depth", "no result") < 0)
		return -1;
	*count = store_col_int64(s, 0);
	store_reset(s);
	return 0;
}
