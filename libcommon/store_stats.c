/*
 * store_stats.c - statistics samples (see store_stats.h): written by the
 * statistics process, read by oomgr, purged by the collector.
 */
#include "store_internal.h"
#include "log.h"

int store_stats_add(struct store *st, const char *process, int64_t taken,
                    const struct store_stat_value *values, size_t n)
{
	if (store_blank(process))
		return store_fail_kind(st, STORE_E_INVALID, "stats_add", "empty process name");
	if (store_tx_begin(st) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct store_stmt *s = store_stmt(st,
		    "INSERT INTO stat_samples (process, counter, taken, value)"
		    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (process, counter, taken)"
		    " DO UPDATE SET value = excluded.value");
		if (s == NULL)
			goto fail;
		store_bind_text(s, 1, process);
		store_bind_text(s, 2, values[i].counter);
		store_bind_int64(s, 3, taken);
		/* SQLite integers are signed: a counter never gets that far. */
		store_bind_int64(s, 4, (int64_t)values[i].value);
		if (store_exec_stmt(st, s, "stats_add") < 0)
			goto fail;
	}
	return store_tx_commit(st);
fail:
	store_tx_rollback(st);
	return -1;
}

struct history {
	int (*each)(int64_t taken, uint64_t value, void *ctx);
	void *ctx;
};

static int history_row(struct store_stmt *s, void *ctx)
{
	const struct history *h = ctx;
	return h->each(store_col_int64(s, 0), (uint64_t)store_col_int64(s, 1),
	               h->ctx);
}

int store_stats_history(struct store *st, const char *process, const char *counter,
                        int64_t since,
                        int (*each)(int64_t taken, uint64_t value, void *ctx),
                        void *ctx)
{
	struct history h = { each, ctx };
	struct store_stmt *s = store_stmt(st,
	    "SELECT taken, value FROM stat_samples"
	    " WHERE process = ?1 AND counter = ?2 AND taken >= ?3 ORDER BY taken");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, process);
	store_bind_text(s, 2, counter);
	store_bind_int64(s, 3, since);
	return store_each_row(st, s, "stats_history", history_row, &h);
}

int store_stats_purge(struct store *st, int64_t before, int limit, int64_t *n)
{
	struct store_stmt *s = store_stmt(st,
	    "DELETE FROM stat_samples WHERE (process, counter, taken) IN"
	    " (SELECT process, counter, taken FROM stat_samples WHERE taken < ?1 LIMIT ?2)");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, before);
	store_bind_int64(s, 2, limit > 0 ? limit : 0);
	if (store_exec_stmt(st, s, "stats_purge") < 0)
		return -1;
	if (n != NULL)
		*n = store_changes(st);
	return 0;
}
