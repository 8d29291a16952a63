/*
 * pop3_retr.c - streaming RETR and TOP answers; see pop3_retr.h.
 */
#include "pop3_retr.h"
#include "log.h"
#include "stats.h"
#include "store.h"
#include "store_read.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Bytes read from the store per step: a PostgreSQL store keeps bodies
 * in rows of 64 KiB, and on it each step is a hop to the pool. */
#define CHUNK 65536

/* ---- the text ---- */

/* TOP: how much of BUF (N bytes) to send; sets *DONE when the cut is
 * inside it.  The header runs to the first empty line. */
static size_t top_cut(struct pop3_transfer *x, const char *buf, size_t n, bool *done)
{
	for (size_t i = 0; i < n; i++) {
		char ch = buf[i];
		if (ch == '\n') {
			if (!x->in_body) {
				if (x->line_empty) {
					x->in_body = true;
					if (x->lines_left == 0) {
						*done = true;
						return i + 1;
					}
				}
			} else if (--x->lines_left <= 0) {
				*done = true;
				return i + 1;
			}
			x->line_empty = true;
		} else if (ch != '\r') {
			x->line_empty = false;
		}
	}
	return n;
}

static void finish(struct pop3_client *c)
{
	c->xfer.active = false;
	if (dotstuff_end(c->conn.ios, &c->xfer.ds) < 0)
		c->xfer.failed = true;
}

/* One chunk of the text, read from the store; the first one with the
 * check that the message is still there. */
struct retr_chunk {
	struct pop3_client *c;
	struct pop3_msg *m;      /* FIRST: the maildrop stays as it is meanwhile */
	bool first;
	long lines;              /* FIRST: TOP's line count, -1 for RETR */
	struct store_entry_msg src;
	size_t offset;
	ssize_t n;
	char buf[CHUNK];
};

static int chunk_run(struct store *st, void *ctx)
{
	struct retr_chunk *k = ctx;
	int64_t size, refs;
	if (k->first && store_message_info(st, k->src.message_id, &size, &refs) < 0)
		return -1;
	k->n = store_entry_read(st, &k->src, k->offset, k->buf, sizeof k->buf);
	return k->n < 0 ? -1 : 0;
}

/* Starts the transfer of K's message: "+OK" goes out. */
static void start(struct pop3_client *c, const struct retr_chunk *k)
{
	struct pop3_transfer *x = &c->xfer;
	memset(x, 0, sizeof *x);
	x->active = true;
	x->src = k->src;
	x->size = k->m->size;
	x->lines_left = k->lines;
	x->line_empty = true;
	x->ds = DOTSTUFF_INIT;
	if (k->lines < 0) {
		k->m->retrieved = true;
		stats_retrieved((uint64_t)k->m->size);
		pop3_reply(c, "+OK %" PRId64 " octets", k->m->size);
	} else {
		pop3_reply(c, "+OK top of message follows");
	}
}

/* The first chunk: the answer must be known before "+OK" goes out, as a
 * multi-line reply cannot turn into an error half-way (an IMAP session
 * may have expunged the message since login, and the collector removed
 * it).  False after the -ERR. */
static bool first_answer(struct retr_chunk *k, int rc, enum store_error err)
{
	if (rc < 0 && err == STORE_E_TRANSIENT)
		pop3_reply(k->c, "-ERR [SYS/TEMP] the store is busy; try again");
	else if (rc < 0 || k->n == 0)
		pop3_reply(k->c, "-ERR that message was removed by another session");
	else
		start(k->c, k);
	return rc == 0 && k->n > 0;
}

/* Sends the chunk; a later one that cannot be read ends the connection:
 * the client cannot be told in the middle of a multi-line answer. */
static void chunk_apply(void *ctx, int rc, enum store_error err, bool later)
{
	struct retr_chunk *k = ctx;
	struct pop3_client *c = k->c;
	struct pop3_transfer *x = &c->xfer;
	bool done = false;
	if (k->first && !first_answer(k, rc, err)) {
		/* answered; nothing to send */
	} else if (rc < 0 || k->n == 0) {
		log_error("pop3_retr", "session=%s message=%" PRId64 " offset=%zu"
		          " error=\"message unreadable\" kind=%s", c->session, x->src.message_id,
		          x->offset, err == STORE_E_TRANSIENT ? "transient" : "failed");
		x->failed = true;
	} else {
		x->offset += (size_t)k->n;
		size_t send = x->lines_left >= 0 ? top_cut(x, k->buf, (size_t)k->n, &done)
		                                 : (size_t)k->n;
		if (dotstuff_write(c->conn.ios, &x->ds, k->buf, send) < 0)
			x->failed = true;
		else if (done)
			finish(c);
	}
	if (later)
		pop3_client_pump(c);
}

static const struct store_read_ops chunk_ops = { chunk_run, chunk_apply, free };

/* Starts reading chunk K: sent at once, or once the pool read it.
 * False when it could not start. */
static bool read_chunk(struct pop3_client *c, struct retr_chunk *k)
{
	return store_read_start(c->srv->w.pool, c->srv->store, &chunk_ops, k, &c->read_job) == 0;
}

void pop3_retr(struct pop3_client *c, struct pop3_msg *m, long lines)
{
	struct retr_chunk *k = malloc(sizeof *k);
	if (k == NULL) {
		pop3_reply(c, "-ERR [SYS/TEMP] out of memory; try again");
		return;
	}
	k->c = c;
	k->m = m;
	k->first = true;
	k->lines = lines;
	k->src = (struct store_entry_msg){ .mailbox_id = c->drop->mailbox_id, .uid = m->uid,
	                                   .message_id = m->message_id,
	                                   .prefix_len = m->prefix_len };
	k->offset = 0;
	if (!read_chunk(c, k))
		pop3_reply(c, "-ERR [SYS/TEMP] the store is busy; try again");
}

/* The next chunk of the transfer under way. */
static void read_next(struct pop3_client *c)
{
	struct pop3_transfer *x = &c->xfer;
	struct retr_chunk *k = malloc(sizeof *k);
	if (k == NULL) {
		log_error("pop3_retr", "session=%s error=\"out of memory\"", c->session);
		x->failed = true;
		return;
	}
	k->c = c;
	k->m = NULL;
	k->first = false;
	k->lines = x->lines_left;
	k->src = x->src;
	k->offset = x->offset;
	if (!read_chunk(c, k))
		x->failed = true;
}

int pop3_retr_continue(struct pop3_client *c)
{
	struct pop3_transfer *x = &c->xfer;
	while (x->active && !x->failed && c->read_job == NULL && !ios_out_full(c->conn.ios)) {
		if ((int64_t)x->offset >= x->size)
			finish(c);
		else
			read_next(c);
	}
	return x->failed ? -1 : 0;
}
