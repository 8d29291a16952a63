/*
 * imap_view_sync.c - the untagged updates due before a command's tagged
 * answer, read as a job when reads run off the loop; see
 * imap_view_sync_start() in imap_view.h.
 */
#include "imap_job.h"
#include "imap_mailbox_share.h"
#include "imap_view.h"
#include "log.h"

#include <stdlib.h>

/* What the sync asks (a copy of the view's state) and what it read. */
struct sync_job {
	int64_t mailbox_id;
	struct imap_share_seen seen;
	bool allow_expunge;
	enum cmd_result (*then)(struct imap_client *c);   /* NULL: the tagged answer */
	struct imap_claims *claims; /* the server's, shared with the loop */
	bool have;                  /* the share was read */
	struct imap_share s;
};

static int sync_run(struct store *st, void *arg)
{
	struct sync_job *j = arg;
	if (imap_share_head(&j->s, st, j->mailbox_id) < 0)
		return -1;
	imap_share_want(&j->s, &j->seen);
	if (imap_share_read(&j->s, st, j->claims) < 0)
		return -1;
	j->have = true;
	return 0;
}

/* The updates go out; the command's tagged answer, kept in c->active,
 * follows (imap_command_finish()). */
static enum cmd_result sync_apply(struct imap_client *c, void *arg, int rc,
                                  enum store_error err)
{
	struct sync_job *j = arg;
	if (j->then == NULL)
		c->active.synced = true;
	if (rc == 0) {
		if (imap_view_apply(c, &j->s, j->allow_expunge) < 0)
			log_warn("imap_sync", "session=%s error=\"view not updated\"", c->session);
	} else if (err == STORE_E_NOTFOUND) {
		imap_view_gone(c);
	} else {
		/* as on the loop: the next sync tries again */
		log_warn("imap_sync", "session=%s kind=%s", c->session,
		         err == STORE_E_TRANSIENT ? "transient" : "failed");
	}
	if (j->then != NULL && !c->conn.closing)
		return j->then(c);
	return j->then != NULL ? imap_done(c, "NO", "[NONEXISTENT] the mailbox was deleted")
	                       : CMD_DONE;
}

static void sync_free(void *arg)
{
	struct sync_job *j = arg;
	imap_share_free(&j->s);
	free(j);
}

static const struct imap_job_ops sync_ops = { STORE_JOB_READ, sync_run, sync_apply,
	                                      sync_free };

enum cmd_result imap_view_sync_start(struct imap_client *c, bool allow_expunge)
{
	return imap_view_sync_then(c, allow_expunge, NULL);
}

enum cmd_result imap_view_sync_then(struct imap_client *c, bool allow_expunge,
                                    enum cmd_result (*then)(struct imap_client *c))
{
	struct sync_job *j = calloc(1, sizeof *j);
	if (j == NULL && then != NULL)
		return then(c);            /* as it stands: the next sync catches up */
	if (j == NULL) {
		c->active.synced = true;
		return CMD_DONE;
	}
	j->then = then;
	j->mailbox_id = c->view->mb.id;
	imap_share_seen_of(c->view, &j->seen);
	j->allow_expunge = allow_expunge;
	j->claims = &c->srv->claims;
	return imap_read_start(c, &sync_ops, j);
}
