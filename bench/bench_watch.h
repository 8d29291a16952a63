/*
 * bench_watch.h - end-to-end delivery latency: the time from the start of
 * a submission until the message is in the recipient's mailbox, seen by
 * counting the mailbox every millisecond while the load runs.  ems's
 * arrivals are its mailbox's next UID, one row read through the store
 * API (the store file is opened read-mostly, in WAL mode, so the read
 * never blocks a writer); a peer server's by counting the files of its
 * Maildir's new/ and cur/.
 *
 * Arrivals are matched to submissions in the order the submissions
 * started, which is exact for one connection and close for several.
 */
#ifndef EMS_BENCH_WATCH_H
#define EMS_BENCH_WATCH_H

#include <stdint.h>

#include "bench_stats.h"
#include "emsbench.h"

struct bench_watch;

/* Starts watching the mailbox O names (--watch-store with --rcpt, or
 * --watch-maildir); arrival latencies go into OUT.  Returns NULL when
 * there is nothing to watch (no option given) or the mailbox cannot be
 * opened (the reason on stderr): the load then runs without end-to-end
 * figures. */
struct bench_watch *watch_start(const struct bench_opts *o, struct bench_samples *out);

/* Records that a submission started at T_US (call before sending). */
void watch_sent(struct bench_watch *w, int64_t t_us);

/* Waits until every recorded submission arrived or TIMEOUT_MS passed,
 * then stops the watcher and frees W.  Returns how many arrived. */
long watch_finish(struct bench_watch *w, int timeout_ms);

#endif
