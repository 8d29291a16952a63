/*
 * smtpgw_submit.c - the one durable step of smtpgw: a received message
 * and its envelope go onto the submission queue in one synchronous
 * transaction (the spool adopted, or the bytes in memory), and postman is
 * woken to deliver it.  Both the mailer and LMTP acknowledge only after
 * the commit; LMTP runs the transaction on its store pool
 * (lmtp_session.c), the mailer inline (smtpgw_submit()).
 */
#include "smtpgw.h"

#include "health.h"
#include "log.h"
#include "stats.h"
#include "store.h"
#include "wakeup.h"

#include <time.h>

int smtpgw_submit_check(struct smtpgw *g, const char *sender, size_t nrcpt)
{
	/* The monitor says the disk is (nearly) full: refuse now, temporarily,
	 * rather than fail in the middle of the write. */
	if (!health_store_full(g->run_dir))
		return 0;
	log_warn("submit_refused", "sender=%s rcpts=%zu reason=\"store full\"",
	         log_quote(sender), nrcpt);
	stats_inc(STAT_MAIL_REJECTED);
	return -1;
}

int smtpgw_submit_store(struct store *st, struct message_buf *b, const char *sender,
                        const char *const *rcpts, size_t nrcpt, int64_t *id)
{
	int64_t now = (int64_t)time(NULL);
	/* a spool that fails here fails its adoption below, as transient */
	(void)msgbuf_finish(b);
	if (b->spool != NULL)
		return store_queue_add_spool(st, STORE_QUEUE_SUBMISSION, sender, rcpts, nrcpt,
		                             b->spool, now, id);
	return store_queue_add(st, STORE_QUEUE_SUBMISSION, sender, rcpts, nrcpt, b->data,
	                       b->len, now, id);
}

void smtpgw_submit_done(struct smtpgw *g, const struct message_buf *b, const char *sender,
                        const char *const *rcpts, size_t nrcpt, int rc,
                        enum store_error err, int64_t id)
{
	if (rc < 0) {
		log_warn("submit_failed", "sender=%s rcpts=%zu size=%zu transient=%s",
		         log_quote(sender), nrcpt, b->len,
		         err == STORE_E_TRANSIENT ? "yes" : "no");
		stats_inc(STAT_MAIL_REJECTED);
		return;
	}
	log_info("queued", "id=%lld sender=%s rcpts=%zu first=%s size=%zu",
	         (long long)id, log_quote(sender[0] ? sender : "<>"), nrcpt,
	         log_quote(rcpts[0]), b->len);
	stats_inc(STAT_MAIL_ACCEPTED);
	/* Best effort: postman also looks on its own timer. */
	wakeup_send(g->run_dir, WAKEUP_CHANNEL_SUBMISSION, id);
}

int smtpgw_submit(struct smtpgw *g, struct message_buf *b, const char *sender,
                  const char *const *rcpts, size_t nrcpt, int64_t *queue_id)
{
	int64_t id = 0;

	if (smtpgw_submit_check(g, sender, nrcpt) < 0)
		return -1;
	int rc = smtpgw_submit_store(g->store, b, sender, rcpts, nrcpt, &id);
	smtpgw_submit_done(g, b, sender, rcpts, nrcpt, rc, rc < 0 ? store_last_error(g->store)
	                                                      : STORE_E_NONE, id);
	if (rc < 0)
		return -1;
	if (queue_id != NULL)
		*queue_id = id;
	return 0;
}
