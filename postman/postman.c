/*
 * postman.c - main of postman, ems's delivery process (see postman.h for
 * its parts and postman(8) for its use).  It sleeps on its event loop
 * until smtpgw says that mail was queued (a datagram on the submission
 * wakeup channel) or the fallback timer (postman.interval_s) fires, then
 * delivers what is due.  Several postman instances may run: each item is
 * leased to one of them.
 *
 *   postman [-c ems.conf] [--instance N]      the daemon (the guardian's way)
 *   postman [-c ems.conf] --once              deliver what is due, then exit
 */
#include "postman.h"

#include "config.h"
#include "evloop.h"
#include "log.h"
#include "params.h"
#include "stats.h"
#include "store.h"
#include "wakeup.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Items delivered per loop turn before signals and wakeups get a look. */
#define POSTMAN_BATCH 50
#define WAKE_DRAIN 64

static struct {
	struct postman pm;
	struct evloop *loop;
	struct ev_timer *interval, *more;
	struct wakeup_listener *wake;
	struct ev_io *wake_io;
} d;

static void read_settings(struct postman *pm)
{
	const struct ems_config *c = pm->cfg;
	pm->set.lease_s = config_int(c, "postman.lease_s");
	pm->set.retry_s = config_int(c, "postman.retry_s");
	pm->set.quota_grace_s = config_int(c, "postman.quota_grace_s");
	pm->set.max_received = (int)config_int(c, "postman.max_received");
	pm->set.max_expansion = (int)config_int(c, "postman.max_expansion");
	pm->set.autoreply = config_bool(c, "postman.autoreply");
	pm->set.autoforward = config_bool(c, "postman.autoforward");
	pm->set.vacation_s = config_int(c, "postman.vacation_days") * 86400;
}

/* Delivers up to MAX due items.  Returns how many were taken. */
static int deliver_due(struct postman *pm, int max)
{
	int n = 0;
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
	return n;
}

/* The submission queue's depth, for `disp stats`. */
static void sample_queue(struct postman *pm)
{
	int64_t depth;
	if (store_queue_depth(pm->store, STORE_QUEUE_SUBMISSION, &depth) == 0)
		stats_set(STAT_QUEUE_DEPTH, (uint64_t)depth);
}

static void work(void)
{
	stats_wakeup();
	sample_queue(&d.pm);
	/* A full batch means more may be waiting: go on after the loop has
	 * looked at signals. */
	if (deliver_due(&d.pm, POSTMAN_BATCH) == POSTMAN_BATCH)
		evloop_timer_set(d.more, 0);
}

static void on_timer(struct ev_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	work();
}

static void on_wake(struct ev_io *io, unsigned events, void *arg)
{
	int64_t ids[WAKE_DRAIN];
	(void)io;
	(void)events;
	(void)arg;
	while (wakeup_read(d.wake, ids, WAKE_DRAIN) > 0)
		;
	work();
}

static void on_stop(int signo, void *arg)
{
	(void)arg;
	log_info("stopping", "signal=%d", signo);
	evloop_stop(d.loop);
}

static void on_hup(int signo, void *arg)
{
	(void)signo;
	(void)arg;
	log_reopen();
}

static int run(const struct proc_params *p)
{
	char name[32];

	snprintf(name, sizeof name, "postman%02d", p->instance);
	if ((d.loop = evloop_new()) == NULL ||
	    evloop_add_signal(d.loop, SIGTERM, on_stop, NULL) < 0 ||
	    evloop_add_signal(d.loop, SIGINT, on_stop, NULL) < 0 ||
	    evloop_add_signal(d.loop, SIGHUP, on_hup, NULL) < 0 ||
	    (d.interval = evloop_add_timer(d.loop,
	                                   (unsigned)config_int(d.pm.cfg, "postman.interval_s") * 1000,
	                                   true, on_timer, NULL)) == NULL ||
	    (d.more = evloop_add_timer(d.loop, 0, false, on_timer, NULL)) == NULL)
		return -1;
	/* Without the socket postman still delivers, on its timer. */
	d.wake = wakeup_listen_on(d.pm.run_dir, WAKEUP_CHANNEL_SUBMISSION, name);
	if (d.wake != NULL &&
	    (d.wake_io = evloop_add_io(d.loop, wakeup_fd(d.wake), EV_READ, on_wake, NULL)) == NULL)
		return -1;
	stats_open(d.pm.run_dir, "postman", p->instance);   /* counts privately on failure */
	if (stats_heartbeat_start(d.loop, STATS_HEARTBEAT_MS) < 0)
		return -1;
	log_info("started", "interval_s=%lld", config_int(d.pm.cfg, "postman.interval_s"));
	return evloop_run(d.loop);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: postman [OPTIONS] [--once]\n%s"
	             "  --once                    deliver what is due now, then exit\n",
	        params_usage);
}

int main(int argc, char **argv)
{
	struct proc_params p;
	bool once = false;
	int next, rc = 1;

	switch (params_parse(&p, argc, argv, &next)) {
	case PARAMS_HELP: usage(stdout); return 0;
	case PARAMS_ERROR: usage(stderr); return 2;
	default: break;
	}
	for (; next < argc; next++) {
		if (strcmp(argv[next], "--once") != 0) {
			fprintf(stderr, "postman: unknown argument %s\n", argv[next]);
			usage(stderr);
			return 2;
		}
		once = true;
	}
	struct ems_config *cfg = config_load(p.config_path);
	if (cfg == NULL)
		return 1;
	int level = log_level_parse(config_str(cfg, "log.level"));
	log_open(config_path(cfg, "node"), "postman", p.instance, config_path(cfg, "log_dir"),
	         level < 0 ? LOG_LVL_INFO : (enum log_level)level, config_bool(cfg, "log.syslog"));
	d.pm.cfg = cfg;
	d.pm.node = config_path(cfg, "node");
	d.pm.run_dir = config_path(cfg, "run_dir");
	read_settings(&d.pm);
	d.pm.store = store_open(config_path(cfg, "store"),
	                        (int)config_int(cfg, "store.busy_timeout_ms"));
	if (d.pm.store != NULL) {
		if (once) {
			while (deliver_due(&d.pm, POSTMAN_BATCH) == POSTMAN_BATCH)
				;
			rc = 0;
		} else {
			rc = run(&p) < 0;
		}
	}
	stats_close();
	evloop_del_io(d.wake_io);
	wakeup_close(d.wake);
	evloop_free(d.loop);
	store_close(d.pm.store);
	config_free(cfg);
	log_close();
	return rc;
}
