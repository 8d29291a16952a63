/*
 * smtpgw_submit.c - the one durable step of smtpgw: a received message
 * is filed into its recipients' mailboxes when they are plain persons
 * (deliver_local.c), else goes with its envelope onto the submission
 * queue, in one synchronous transaction either way (the spool adopted,
 * or the bytes in memory); then the IMAP sessions of those mailboxes,
 * or postman, are woken.  Both the mailer and LMTP acknowledge only after
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

/* The message onto the submission queue for postman. */
static int queue_store(struct store *st, struct message_buf *b, const char *sender,
                       const char *const *rcpts, size_t nrcpt, int64_t *id)
{
	int64_t now = (int64_t)time(NULL);
	if (b->spool != NULL)
		return store_queue_add_spool(st, STORE_QUEUE_SUBMISSION, sender, rcpts, nrcpt,
		                             b->spool, now, id);
	return store_queue_add(st, STORE_QUEUE_SUBMISSION, sender, rcpts, nrcpt, b->data,
	                       b->len, now, id);
}

int smtpgw_submit_store(const struct smtpgw *g, struct store *st, struct message_buf *b,
                        const char *sender, const char *const *rcpts, size_t nrcpt,
                        struct submit_result *res)
{
	/* a spool that fails here fails its adoption below, as transient */
	(void)msgbuf_finish(b);
	if (store_begin(st) < 0)
		return -1;
	int r = deliver_local_store(g, st, b, sender, rcpts, nrcpt, res);
	if (r == 0)
		r = queue_store(st, b, sender, rcpts, nrcpt, &res->queue_id);
	if (r < 0) {
		res->nfiled = 0;
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
}

void smtpgw_submit_done(struct smtpgw *g, const struct message_buf *b, const char *sender,
                        const char *const *rcpts, size_t nrcpt, int rc,
                        enum store_error err, const struct submit_result *res)
{
	if (rc < 0) {
		log_warn("submit_failed", "sender=%s rcpts=%zu size=%zu transient=%s",
		         log_quote(sender), nrcpt, b->len,
		         err == STORE_E_TRANSIENT ? "yes" : "no");
		stats_inc(STAT_MAIL_REJECTED);
		return;
	}
	stats_inc(STAT_MAIL_ACCEPTED);
	if (res->queue_id == 0) {
		deliver_local_done(g, res, rcpts);
		return;
	}
	log_info("queued", "id=%lld sender=%s rcpts=%zu first=%s size=%zu",
	         (long long)res->queue_id, log_quote(sender[0] ? sender : "<>"), nrcpt,
	         log_quote(rcpts[0]), b->len);
	/* Best effort: postman also looks on its own timer. */
	wakeup_send(g->run_dir, WAKEUP_CHANNEL_SUBMISSION, res->queue_id);
}

int smtpgw_submit(struct smtpgw *g, struct message_buf *b, const char *sender,
                  const char *const *rcpts, size_t nrcpt, struct submit_result *res)
{
	if (smtpgw_submit_check(g, sender, nrcpt) < 0)
		return -1;
	int rc = smtpgw_submit_store(g, g->store, b, sender, rcpts, nrcpt, res);
	smtpgw_submit_done(g, b, sender, rcpts, nrcpt, rc,
	                   rc < 0 ? store_last_error(g->store) : STORE_E_NONE, res);
	return rc < 0 ? -1 : 0;
}
