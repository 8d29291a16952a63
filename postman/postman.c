/*
 * postman.c - main of postman, ems's delivery process (see postman.h for
 * its parts and postman(8) for its use).  It sleeps on its event loop
 * (the daemon skeleton's, daemon.h) until smtpgw says that mail was
 * queued (a datagram on the submission wakeup channel) or the fallback
 * timer (postman.interval_s) fires, then delivers what is due.  Several
 * postman instances may run: each item is leased to one of them.
 *
 *   postman [-c ems.conf] [--instance N]      the daemon (the guardian's way)
 *   postman [-c ems.conf] --once              deliver what is due, then exit
 */
#include "postman.h"

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "stats.h"
#include "store.h"
#include "wakeup.h"

#include <stdio.h>
#include <time.h>

/* Items delivered per loop turn before signals and wakeups get a look,
 * and per transaction (its write lock keeps smtpgw waiting that long). */
#define POSTMAN_BATCH 16
#define WAKE_DRAIN 64

static struct {
	struct postman pm;
	struct daemon *daemon;
	struct ev_timer *more;
	struct wakeup_listener *wake;
	struct ev_io *wake_io;
} d;

static int setup(struct daemon *dm)
{
	struct postman *pm = &d.pm;
	const struct ems_config *c = dm->cfg;
	pm->cfg = c;
	pm->node = config_path(c, "node");
	pm->run_dir = dm->run_dir;
	pm->store = dm->store;
	pm->set.lease_s = config_int(c, "postman.lease_s");
	pm->set.retry_s = config_int(c, "postman.retry_s");
	pm->set.quota_grace_s = config_int(c, "postman.quota_grace_s");
	pm->set.max_received = (int)config_int(c, "postman.max_received");
	pm->set.max_expansion = (int)config_int(c, "postman.max_expansion");
	pm->set.autoreply = config_bool(c, "postman.autoreply");
	pm->set.autoforward = config_bool(c, "postman.autoforward");
	pm->set.vacation_s = config_int(c, "postman.vacation_days") * 86400;
	return 0;
}

/*
 * Delivers up to MAX due items in one transaction: each item is still
 * all-or-nothing (a savepoint of its own), but the batch costs one disk
 * sync instead of two per item (its lease and its delivery).  A batch
 * that fails to commit leaves every item due again.  Returns how many
 * were taken.
 */
static int deliver_due(struct postman *pm, int max)
{
	int n = 0;
	bool batch = store_begin(pm->store) == 0;

	if (batch)
		wake_hold(pm);
	for (; n < max; n++) {
		struct store_queue_item item;
		int64_t now = (int64_t)time(NULL);
		if (store_queue_next(pm->store, STORE_QUEUE_SUBMISSION, now, pm->set.lease_s,
		                     &item) < 0)
			break;   /* nothing due, or the store is busy: the timer retries */
		if (deliver_item(pm, &item) < 0)
			store_queue_retry(pm->store, STORE_QUEUE_SUBMISSION, item.id,
			                  now + pm->set.retry_s, NULL, 0,
			                  "delivery failed, see the postman log");
		store_queue_item_clear(&item);
	}
	if (batch) {
		bool committed = store_commit(pm->store) == 0;
		if (!committed)
			log_warn("deliver_batch_failed", "items=%d error=\"not committed; "
			         "due again\"", n);
		wake_release(pm, committed);
	}
	return n;
}

static int once(struct daemon *dm)
{
	(void)dm;
	while (deliver_due(&d.pm, POSTMAN_BATCH) == POSTMAN_BATCH)
		;
	return 0;
}

/* The submission queue's depth, for `disp stats`. */
static void sample_queue(struct postman *pm)
{
	int64_t depth;
	if (store_queue_depth(pm->store, STORE_QUEUE_SUBMISSION, &depth) == 0)
		stats_set(STAT_QUEUE_DEPTH, (uint64_t)depth);
}

static void work(struct daemon *dm)
{
	(void)dm;
	stats_wakeup();
	sample_queue(&d.pm);
	/* A full batch means more may be waiting: go on after the loop has
	 * looked at signals. */
	if (deliver_due(&d.pm, POSTMAN_BATCH) == POSTMAN_BATCH)
		evloop_timer_set(d.more, 0);
}

static void on_more(struct ev_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	work(d.daemon);
}

static void on_wake(struct ev_io *io, unsigned events, void *arg)
{
	int64_t ids[WAKE_DRAIN];
	(void)io;
	(void)events;
	(void)arg;
	while (wakeup_read(d.wake, ids, WAKE_DRAIN) > 0)
		;
	work(d.daemon);
}

static int start(struct daemon *dm)
{
	char name[32];

	d.daemon = dm;
	if ((d.more = evloop_add_timer(dm->loop, 0, false, on_more, NULL)) == NULL)
		return -1;
	/* Without the socket postman still delivers, on its timer. */
	snprintf(name, sizeof name, "postman%02d", dm->p->instance);
	d.wake = wakeup_listen_on(dm->run_dir, WAKEUP_CHANNEL_SUBMISSION, name);
	if (d.wake != NULL &&
	    (d.wake_io = evloop_add_io(dm->loop, wakeup_fd(d.wake), EV_READ, on_wake, NULL)) == NULL)
		return -1;
	log_info("started", "interval_s=%lld", (long long)dm->interval_s);
	return 0;
}

static void cleanup(struct daemon *dm)
{
	(void)dm;
	evloop_del_io(d.wake_io);
	wakeup_close(d.wake);
}

static const struct daemon_spec spec = {
	.program = "postman",
	.once_help = "deliver what is due now, then exit",
	.interval_key = "postman.interval_s",
	.flags = DAEMON_STORE,
	.setup = setup,
	.once = once,
	.run = work,
	.start = start,
	.cleanup = cleanup,
};

int main(int argc, char **argv)
{
	return daemon_main(&spec, argc, argv);
}
