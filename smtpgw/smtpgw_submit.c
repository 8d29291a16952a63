/*
 * smtpgw_submit.c - the one durable step of smtpgw: a received message
 * and its envelope go onto the submission queue in one synchronous
 * transaction, and postman is woken to deliver it.  Both the mailer and
 * LMTP acknowledge only after this returned 0.
 */
#include "smtpgw.h"

#include "health.h"
#include "log.h"
#include "stats.h"
#include "store.h"
#include "wakeup.h"

#include <time.h>

/* The queue transaction: the spool adopted, or the bytes in memory. */
static int add(struct smtpgw *g, struct message_buf *b, const char *sender,
               const char *const *rcpts, size_t nrcpt, int64_t *id)
{
	int64_t now = (int64_t)time(NULL);
	if (msgbuf_finish(b) < 0)
		return -1;
	if (b->spool != NULL)
		return store_queue_add_spool(g->store, STORE_QUEUE_SUBMISSION, sender, rcpts, nrcpt,
		                             b->spool, now, id);
	return store_queue_add(g->store, STORE_QUEUE_SUBMISSION, sender, rcpts, nrcpt,
	                       b->data, b->len, now, id);
}

int smtpgw_submit(struct smtpgw *g, struct message_buf *b, const char *sender,
                  const char *const *rcpts, size_t nrcpt, int64_t *queue_id)
{
	int64_t id = 0;

	/* The monitor says the disk is (nearly) full: refuse now, temporarily,
	 * rather than fail in the middle of the write. */
	if (health_store_full(g->run_dir)) {
		log_warn("submit_refused", "sender=%s rcpts=%zu reason=\"store full\"",
		         log_quote(sender), nrcpt);
		stats_inc(STAT_MAIL_REJECTED);
		return -1;
	}
	if (add(g, b, sender, rcpts, nrcpt, &id) < 0) {
		log_warn("submit_failed", "sender=%s rcpts=%zu size=%zu transient=%s",
		         log_quote(sender), nrcpt, b->len,
		         store_error_transient(g->store) ? "yes" : "no");
		stats_inc(STAT_MAIL_REJECTED);
		return -1;
	}
	log_info("queued", "id=%lld sender=%s rcpts=%zu first=%s size=%zu",
	         (long long)id, log_quote(sender[0] ? sender : "<>"), nrcpt,
	         log_quote(rcpts[0]), b->len);
	stats_inc(STAT_MAIL_ACCEPTED);
	/* Best effort: postman also looks on its own timer. */
	wakeup_send(g->run_dir, WAKEUP_CHANNEL_SUBMISSION, id);
	if (queue_id != NULL)
		*queue_id = id;
	return 0;
}
