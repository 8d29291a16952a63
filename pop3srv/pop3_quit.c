/*
 * pop3_quit.c - QUIT, and in the TRANSACTION state the UPDATE state
 * (RFC 1939 section 6) on the server's store pool: the deletions and
 * \Seen marks are one write job, committed with whatever other writes
 * arrive together (store_pool.h's group commit), never on the event
 * loop.  The session reads nothing until the answer; a store that stays
 * locked past store.busy_timeout_ms answers -ERR [SYS/TEMP] with
 * nothing deleted.  Either way the session then ends (RFC 1939: the
 * lock is released and the connection closed): a connection closes once
 * its output is out, so closing is set with the answer, not before.
 */
#include "pop3_maildrop.h"
#include "pop3_session.h"

#include "log.h"
#include "store_pool.h"
#include "wakeup.h"

#include <stdbool.h>
#include <stdlib.h>

struct quit_job {
	struct pop3_client *c;
	struct pop3_update *u;
};

/* The UPDATE is durable (CHANGED: it changed something IMAP sessions
 * of the mailbox should hear of). */
static void signed_off(struct pop3_client *c, size_t removed, bool changed)
{
	if (changed)
		wakeup_mailbox(c->srv->w.run_dir, c->drop->mailbox_id);
	log_info("pop3_update", "session=%s user=%s removed=%zu", c->session,
	         log_quote(c->who.address), removed);
	pop3_reply(c, "+OK signing off (%zu messages removed)", removed);
	c->conn.closing = true;
}

/* The UPDATE did not happen (WHY for the log): nothing was deleted. */
static void refused(struct pop3_client *c, const char *why)
{
	log_warn("pop3_update_failed", "session=%s user=%s kind=%s", c->session,
	         log_quote(c->who.address), why);
	pop3_reply(c, "-ERR [SYS/TEMP] some deleted messages not removed; try again");
	c->conn.closing = true;
}

static int run(struct store *st, void *local, void *ctx)
{
	struct quit_job *q = ctx;
	(void)local;
	return pop3_update_apply(st, q->u);
}

static void done(void *ctx, int rc, enum store_error err)
{
	struct quit_job *q = ctx;
	struct pop3_client *c = q->c;
	c->update_job = NULL;
	if (rc < 0)
		refused(c, err == STORE_E_TRANSIENT ? "transient" : "failed");
	else
		signed_off(c, q->u->removed, true);
	pop3_client_pump(c);
}

static void free_job(void *ctx)
{
	struct quit_job *q = ctx;
	free(q->u);
	free(q);
}

static const struct store_job_ops quit_ops = {
	.name = "pop3_update", .kind = STORE_JOB_WRITE,
	.run = run, .done = done, .free = free_job,
};

void pop3_cmd_quit(struct pop3_client *c)
{
	struct pop3_update *u;
	c->quit = true;
	if (c->drop == NULL) {
		pop3_reply(c, "+OK %s signing off", c->srv->set.banner);
		c->conn.closing = true;
		return;
	}
	if (pop3_maildrop_update(c->drop, &u) < 0) {
		refused(c, "no_memory");
		return;
	}
	if (u == NULL) {
		signed_off(c, 0, false);
		return;
	}
	struct quit_job *q = malloc(sizeof *q);
	struct store_pool *p = c->srv->w.pool;
	if (q == NULL || p == NULL) {
		free(q);
		free(u);
		refused(c, p == NULL ? "no_pool" : "no_memory");
		return;
	}
	*q = (struct quit_job){ c, u };
	c->update_job = store_pool_submit(p, &quit_ops, q);
	if (c->update_job == NULL)
		refused(c, "not_queued");
}
