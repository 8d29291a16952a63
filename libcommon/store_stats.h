/*
 * store_stats.h - statistics samples in the store: the statistics
 * process writes the counters of every process at an interval, oomgr
 * reads a counter's history back, the collector removes old samples.
 * Included by store.h; its error, memory and transaction rules apply.
 *
 * A sample is (process, counter, taken, value): PROCESS as
 * "<program><NN>" ("pop3srv01"), COUNTER a name from stats.h
 * ("conn_total"), TAKEN unix time.
 */
#ifndef EMS_STORE_STATS_H
#define EMS_STORE_STATS_H

#include <stddef.h>
#include <stdint.h>

struct store;

struct store_stat_value {
	const char *counter;
	uint64_t value;
};

/* Stores the N values of PROCESS taken at TAKEN in one transaction (a
 * sample already stored for the same second is replaced). */
int store_stats_add(struct store *st, const char *process, int64_t taken,
                    const struct store_stat_value *values, size_t n);

/* Calls EACH(taken, value, CTX) for the samples of PROCESS/COUNTER taken
 * at or after SINCE, oldest first. */
int store_stats_history(struct store *st, const char *process, const char *counter,
                        int64_t since,
                        int (*each)(int64_t taken, uint64_t value, void *ctx),
                        void *ctx);

/* Deletes up to LIMIT samples taken before BEFORE; *N (may be NULL)
 * gets how many. */
int store_stats_purge(struct store *st, int64_t before, int limit, int64_t *n);

#endif
