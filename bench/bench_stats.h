/*
 * bench_stats.h - what the load generators measure with: a monotonic
 * clock in microseconds, a thread-safe set of latency samples with
 * percentiles, and named counters printed as one JSON object.
 */
#ifndef EMS_BENCH_STATS_H
#define EMS_BENCH_STATS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* Microseconds on the monotonic clock. */
int64_t bench_now_us(void);

/* Latency samples in microseconds; add from any thread. */
struct bench_samples {
	pthread_mutex_t lock;
	int64_t *v;
	size_t n, cap;
};

void samples_init(struct bench_samples *s);
void samples_free(struct bench_samples *s);

/* Adds one sample; an allocation failure drops it (counted nowhere: the
 * bench then just has fewer samples). */
void samples_add(struct bench_samples *s, int64_t us);

/* The P-th percentile (0..100) in milliseconds, nearest-rank; -1 when
 * there are no samples.  Sorts the set. */
double samples_pct_ms(struct bench_samples *s, double p);

/* JSON output: one object on stdout, built field by field.  Names are
 * the bench's own words; string values are escaped (they may quote a
 * server's reply). */
void json_begin(void);
void json_num(const char *name, double value);
void json_str(const char *name, const char *value);
void json_end(void);

#endif
