/*
 * imap_idle.c - IDLE (RFC 2177) and how changes reach idling clients:
 * the wake-up listener (a datagram per changed mailbox, sent by every
 * process after its commit) and a slow timer, as a safety net for a
 * lost datagram, both call imap_server_mailbox_changed(), which reads
 * each changed mailbox's changes once (imap_mailbox_share.h), brings
 * every idling client's view on it up to date from that read and pushes
 * the untagged responses out at once.
 */
#include "imap_commands.h"
#include "imap_idle_job.h"
#include "imap_job.h"
#include "imap_mailbox_share.h"
#include "imap_view.h"
#include "log.h"
#include "stats.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static enum cmd_result idle_line(struct imap_client *c, char *line, size_t len)
{
	c->idling = false;
	if (len == 4 && strncasecmp(line, "DONE", 4) == 0)
		return imap_done(c, "OK", "IDLE terminated");
	return imap_done(c, "BAD", "expected DONE");
}

enum cmd_result imap_cmd_idle(struct imap_client *c)
{
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	imap_outs(c, "+ idling\r\n");
	c->idling = true;
	c->active.on_line = idle_line;
	/* what changed before IDLE began goes out now (off the loop: with
	 * the next read for the sessions idling on the mailbox) */
	if (c->view != NULL && imap_reads_inline(c))
		imap_view_sync(c, true);
	else if (c->view != NULL)
		imap_server_mailbox_changed(c->srv, c->view->mb.id);
	return CMD_INPUT;
}

/* Ends a session whose selected mailbox is gone. */
static void mailbox_gone(struct imap_client *c)
{
	imap_outs(c, "* BYE [NONEXISTENT] the selected mailbox was deleted\r\n");
	c->conn.closing = true;
}

/* Brings the N idling clients CS, all on one mailbox, up to date from
 * one read of its changes, and pushes what each is told out at once. */
static void mailbox_group_sync(struct imap_server *srv, struct imap_client **cs, size_t n)
{
	if (!imap_reads_inline(cs[0])) {
		imap_idle_group_start(srv, cs, n);
		return;
	}
	struct imap_share s;
	int rc = imap_share_head(&s, srv->store, cs[0]->view->mb.id);
	bool gone = rc < 0 && store_last_error(srv->store) == STORE_E_NOTFOUND;
	if (rc == 0) {
		for (size_t i = 0; i < n; i++) {
			struct imap_share_seen seen;
			imap_share_seen_of(cs[i]->view, &seen);
			imap_share_want(&s, &seen);
		}
		rc = imap_share_read(&s, srv->store, &srv->claims);
	}
	stats_inc(STAT_IDLE_READS);
	stats_add(STAT_IDLE_UPDATES, n);
	for (size_t i = 0; i < n; i++) {
		if (gone)
			mailbox_gone(cs[i]);
		else if (rc == 0)
			imap_view_apply(cs[i], &s, true);
		imap_client_pump(cs[i]);
	}
	imap_share_free(&s);
}

static int by_mailbox(const void *a, const void *b)
{
	int64_t x = (*(struct imap_client *const *)a)->view->mb.id;
	int64_t y = (*(struct imap_client *const *)b)->view->mb.id;
	return (x > y) - (x < y);
}

struct imap_client **imap_idlers(struct imap_server *srv, int64_t mailbox_id, size_t *n)
{
	struct imap_client **cs = NULL;
	size_t cap = 0;
	*n = 0;
	for (struct client_conn *cc = srv->w.clients.head; cc != NULL; cc = cc->next) {
		struct imap_client *c = cc->client;
		if (!c->idling || c->view == NULL ||
		    (mailbox_id != 0 && c->view->mb.id != mailbox_id))
			continue;
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct imap_client **m = realloc(cs, ncap * sizeof *m);
			if (m == NULL) {
				log_error("imap_idle", "error=\"out of memory\" idling=%zu", *n);
				free(cs);
				*n = 0;
				return NULL;
			}
			cs = m;
			cap = ncap;
		}
		cs[(*n)++] = c;
	}
	return cs;
}

void imap_server_mailbox_changed(struct imap_server *srv, int64_t mailbox_id)
{
	size_t n;
	struct imap_client **cs = imap_idlers(srv, mailbox_id, &n);
	if (cs == NULL)
		return;
	/* one read per mailbox, shared by every session on it: pumping a
	 * client may free it, so each is reached through the array once */
	qsort(cs, n, sizeof *cs, by_mailbox);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && cs[j]->view->mb.id == cs[i]->view->mb.id; j++)
			;
		mailbox_group_sync(srv, cs + i, j - i);
	}
	free(cs);
}

void imap_server_notify(struct imap_server *srv, int64_t mailbox_id)
{
	wakeup_mailbox(srv->w.run_dir, mailbox_id);
}
