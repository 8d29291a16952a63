/*
 * imap_idle_job.c - an idling mailbox's changes read on the store pool
 * when reads run off the loop (PostgreSQL); see imap_idle_job.h.
 */
#include "imap_idle_job.h"
#include "imap_mailbox_share.h"
#include "imap_view.h"
#include "log.h"
#include "stats.h"
#include "store_pool.h"

#include <stdlib.h>
#include <string.h>

/* One mailbox's read in flight, for the sessions idling on it then. */
struct idle_group {
	struct imap_server *srv;
	struct idle_group *next;         /* srv->idle_groups, while in flight */
	bool linked;
	int64_t mailbox_id;
	bool again;                      /* a change came meanwhile: read again */
	size_t n;
	uint64_t *ids;                   /* the sessions (imap_client.id) */
	struct imap_share_seen *seen;    /* what each had seen */
	struct imap_share s;
};

static void unlink_group(struct idle_group *g)
{
	if (!g->linked)
		return;
	for (struct idle_group **pp = &g->srv->idle_groups; *pp != NULL; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	g->linked = false;
}

static int group_run(struct store *st, void *local, void *arg)
{
	struct idle_group *g = arg;
	(void)local;
	if (imap_share_head(&g->s, st, g->mailbox_id) < 0)
		return -1;
	for (size_t i = 0; i < g->n; i++)
		imap_share_want(&g->s, &g->seen[i]);
	return imap_share_read(&g->s, st, &g->srv->claims);
}

static bool same_seen(const struct imap_share_seen *a, const struct imap_share_seen *b)
{
	return a->modseq == b->modseq && a->uidnext == b->uidnext && a->max_uid == b->max_uid &&
	       a->n == b->n && a->limit == b->limit && a->readonly == b->readonly;
}

/* The index of C in G when its view is still as G read for it. */
static bool in_group(const struct idle_group *g, const struct imap_client *c, size_t *k)
{
	struct imap_share_seen now;
	imap_share_seen_of(c->view, &now);
	for (size_t i = 0; i < g->n; i++)
		if (g->ids[i] == c->id) {
			*k = i;
			return same_seen(&now, &g->seen[i]);
		}
	return false;
}

/* Back on the loop: each session still idling as it was takes the
 * share; one that came or changed meanwhile waits for another read. */
static void group_done(void *arg, int rc, enum store_error err)
{
	struct idle_group *g = arg;
	struct imap_server *srv = g->srv;
	size_t n, k;
	unlink_group(g);
	struct imap_client **cs = imap_idlers(srv, g->mailbox_id, &n);
	stats_inc(STAT_IDLE_READS);
	for (size_t i = 0; i < n; i++) {
		struct imap_client *c = cs[i];
		if (rc < 0 && err == STORE_E_NOTFOUND) {
			imap_view_gone(c);
		} else if (!in_group(g, c, &k)) {
			g->again = true;
			continue;
		} else if (rc == 0) {
			stats_inc(STAT_IDLE_UPDATES);
			imap_view_apply(c, &g->s, true);
		}
		imap_client_pump(c);   /* may free C: reached once, through the array */
	}
	free(cs);
	if (rc < 0 && err != STORE_E_NOTFOUND)
		log_warn("imap_idle", "mailbox=%lld kind=%s", (long long)g->mailbox_id,
		         err == STORE_E_TRANSIENT ? "transient" : "failed");
	if (g->again && rc == 0)
		imap_server_mailbox_changed(srv, g->mailbox_id);
}

static void group_free(void *arg)
{
	struct idle_group *g = arg;
	unlink_group(g);
	imap_share_free(&g->s);
	free(g->ids);
	free(g->seen);
	free(g);
}

static const struct store_job_ops group_ops = {
	.name = "imap_idle", .kind = STORE_JOB_READ,
	.run = group_run, .done = group_done, .free = group_free,
};

void imap_idle_group_start(struct imap_server *srv, struct imap_client **cs, size_t n)
{
	int64_t mailbox_id = cs[0]->view->mb.id;
	for (struct idle_group *g = srv->idle_groups; g != NULL; g = g->next)
		if (g->mailbox_id == mailbox_id) {
			g->again = true;   /* one read in flight per mailbox */
			return;
		}
	struct idle_group *g = calloc(1, sizeof *g);
	if (g == NULL || (g->ids = calloc(n, sizeof *g->ids)) == NULL ||
	    (g->seen = calloc(n, sizeof *g->seen)) == NULL) {
		log_error("imap_idle", "error=\"out of memory\" idling=%zu", n);
		if (g != NULL)
			group_free(g);
		return;
	}
	g->srv = srv;
	g->mailbox_id = mailbox_id;
	g->n = n;
	for (size_t i = 0; i < n; i++) {
		g->ids[i] = cs[i]->id;
		imap_share_seen_of(cs[i]->view, &g->seen[i]);
	}
	g->next = srv->idle_groups;
	srv->idle_groups = g;
	g->linked = true;
	/* on failure the pool logged it and freed G; the recheck timer and
	 * the next command's sync catch up */
	store_pool_submit(srv->w.pool, &group_ops, g);
}
