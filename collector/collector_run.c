/*
 * collector_run.c - one garbage-collection run of the collector (see
 * collector.h).  Every step deletes at most `batch` rows per
 * transaction and loops until a batch comes back short, so a delivery or
 * an IMAP client waits at most one small transaction for the store.
 *
 * Order matters: expunged entries and finished queue rows go first,
 * because a message is only unreferenced once they are gone; the
 * messages step then deletes what nothing points at (the store's
 * refcount, kept by triggers, and a NOT EXISTS guard, inside the same
 * DELETE statement, so a concurrent COPY or delivery either committed
 * before and protects the message, or runs after and finds it gone and
 * stores it again).
 */
#include "collector.h"

#include "log.h"
#include "stats.h"
#include "store.h"

#include <stdio.h>

typedef int purge_fn(struct store *st, int64_t before, int limit, int64_t *n);

/* Repeats PURGE in batches until one comes back short.  Adds the rows
 * removed to *TOTAL.  Returns 0 or -1 (logged by the store). */
static int purge_all(struct store *st, purge_fn *purge, int64_t before, int batch,
                     int64_t *total)
{
	for (;;) {
		int64_t n = 0;
		if (purge(st, before, batch, &n) < 0)
			return -1;
		*total += n;
		stats_heartbeat();      /* a long run is not a hung one */
		if (n < batch)
			return 0;
	}
}

/* Hands free pages back in steps of SET->vacuum_pages. */
static int vacuum(struct store *st, const struct collector_settings *set,
                  int64_t *freed)
{
	int64_t pages, free_pages, page_size;
	if (store_page_counts(st, &pages, &free_pages, &page_size) < 0)
		return -1;
	while (free_pages > 0) {
		int64_t before = free_pages;
		if (store_vacuum_step(st, set->vacuum_pages) < 0 ||
		    store_page_counts(st, &pages, &free_pages, &page_size) < 0)
			return -1;
		*freed += before - free_pages;
		stats_heartbeat();
		if (free_pages >= before)
			break;      /* nothing moved: leave the rest for next time */
	}
	return 0;
}

static void count(const struct collector_result *r)
{
	stats_inc(STAT_COLLECT_RUNS);
	stats_add(STAT_COLLECT_ENTRIES, (uint64_t)r->entries);
	stats_add(STAT_COLLECT_QUEUE, (uint64_t)r->queue);
	stats_add(STAT_COLLECT_MESSAGES, (uint64_t)r->messages);
	stats_set(STAT_STORE_BYTES, (uint64_t)r->store_bytes);
}

/* The file's own upkeep (nothing on PostgreSQL, whose autovacuum does
 * it).  The log first, so the vacuum works on a short one; then again,
 * which is when the file itself shrinks. */
static int upkeep(struct store *st, const struct collector_settings *set,
                  struct collector_result *res)
{
	return store_checkpoint_quiet(st, NULL) < 0 ||
	       vacuum(st, set, &res->freed_pages) < 0 ||
	       store_checkpoint_quiet(st, &res->wal_pages) < 0 ? -1 : 0;
}

int collector_run(struct store *st, const struct collector_settings *set,
                  int64_t now, struct collector_result *res)
{
	int64_t start = stats_now_ms();
	int rc = 0;
	bool lead;

	*res = (struct collector_result){ 0 };
	stats_wakeup();
	/* Nodes sharing a PostgreSQL store collect one at a time. */
	if (store_lead(st, "collector", &lead) == 0 && !lead) {
		log_debug("collect_skipped", "reason=another_node_leads");
		return 0;
	}
	if (purge_all(st, store_collect_expunged, now - set->expunged_keep_s, set->batch,
	              &res->entries) < 0 ||
	    purge_all(st, store_collect_queues, now - set->queue_keep_s, set->batch,
	              &res->queue) < 0 ||
	    purge_all(st, store_collect_messages, now - set->message_grace_s, set->batch,
	              &res->messages) < 0 ||
	    purge_all(st, store_stats_purge, now - set->statistics_keep_s, set->batch,
	              &res->samples) < 0 ||
	    upkeep(st, set, res) < 0)
		rc = -1;
	if (store_size(st, &res->store_bytes) < 0)
		rc = -1;
	res->duration_ms = stats_now_ms() - start;
	count(res);
	log_event(rc == 0 ? LOG_LVL_INFO : LOG_LVL_WARN, "collected",
	          "entries=%lld queue=%lld messages=%lld samples=%lld freed_pages=%lld"
	          " wal_pages=%d store_bytes=%lld duration_ms=%lld result=%s",
	          (long long)res->entries, (long long)res->queue, (long long)res->messages,
	          (long long)res->samples, (long long)res->freed_pages, res->wal_pages,
	          (long long)res->store_bytes, (long long)res->duration_ms,
	          rc == 0 ? "ok" : "incomplete");
	return rc;
}
