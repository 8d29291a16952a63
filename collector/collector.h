/*
 * collector.h - what the files of the collector share.
 *
 *   collector.c       main: settings and callbacks of the daemon skeleton (daemon.h)
 *   collector_run.c   one run: purge in small batches, checkpoint, vacuum
 *
 * The collector removes from the store what nothing needs any more
 * (collector(8)): expunged entries past their retention, finished queue
 * rows, messages no entry or queued item references, old statistics
 * samples; then it checkpoints the write-ahead log and hands free pages
 * back to the file system.
 */
#ifndef EMS_COLLECTOR_H
#define EMS_COLLECTOR_H

#include <stdint.h>

struct store;

/* The collector.* keys of ems.conf (or of the instance's confm). */
struct collector_settings {
	int64_t interval_s;
	int64_t expunged_keep_s;
	int64_t queue_keep_s;
	int64_t message_grace_s;
	int64_t statistics_keep_s;
	int batch;
	int vacuum_pages;
};

/* What one run did. */
struct collector_result {
	int64_t entries, queue, messages, samples;
	int64_t freed_pages;
	int wal_pages;              /* left in the log after the checkpoint */
	int64_t store_bytes;        /* store file + log after the run */
	int64_t duration_ms;
};

/*
 * Runs one collection on ST at NOW (unix time) with settings SET, in
 * transactions of at most SET->batch rows, stamping the heartbeat between
 * them.  Fills *RES and logs one "collected" line.  Returns 0, or -1 when
 * a step failed (logged; what was done before it stays done).
 */
int collector_run(struct store *st, const struct collector_settings *set,
                  int64_t now, struct collector_result *res);

#endif
