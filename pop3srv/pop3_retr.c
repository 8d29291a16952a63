/*
 * pop3_retr.c - streaming RETR and TOP answers; see pop3_retr.h.
 */
#include "pop3_retr.h"
#include "log.h"
#include "stats.h"
#include "store.h"

#include <inttypes.h>
#include <string.h>

/* Bytes read from the store per step. */
#define CHUNK 16384

void pop3_retr_start(struct pop3_client *c, struct pop3_msg *m, long lines)
{
	struct pop3_transfer *x = &c->xfer;
	memset(x, 0, sizeof *x);
	x->active = true;
	x->src.mailbox_id = c->drop->mailbox_id;
	x->src.uid = m->uid;
	x->src.message_id = m->message_id;
	x->src.prefix_len = m->prefix_len;
	x->size = m->size;
	x->lines_left = lines;
	x->line_empty = true;
	x->ds = DOTSTUFF_INIT;
	if (lines < 0) {
		m->retrieved = true;
		stats_retrieved((uint64_t)m->size);
		pop3_reply(c, "+OK %" PRId64 " octets", m->size);
	} else {
		pop3_reply(c, "+OK top of message follows");
	}
}

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

static int finish(struct pop3_client *c)
{
	c->xfer.active = false;
	return dotstuff_end(c->conn.ios, &c->xfer.ds);
}

int pop3_retr_continue(struct pop3_client *c)
{
	struct pop3_transfer *x = &c->xfer;
	char buf[CHUNK];
	while (!ios_out_full(c->conn.ios)) {
		if ((int64_t)x->offset >= x->size)
			return finish(c);
		ssize_t n = store_entry_read(c->srv->store, &x->src, x->offset, buf, sizeof buf);
		if (n <= 0) {
			log_error("pop3_retr", "session=%s message=%" PRId64 " offset=%zu"
			          " error=\"message unreadable\"", c->session, x->src.message_id,
			          x->offset);
			return -1;
		}
		x->offset += (size_t)n;
		bool done = false;
		size_t send = x->lines_left >= 0 ? top_cut(x, buf, (size_t)n, &done) : (size_t)n;
		if (dotstuff_write(c->conn.ios, &x->ds, buf, send) < 0)
			return -1;
		if (done)
			return finish(c);
	}
	return 0;
}
