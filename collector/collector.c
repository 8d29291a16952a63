/*
 * collector.c - main of the collector, ems's garbage remover (see
 * collector.h for its parts and collector(8) for its use).  It sleeps on
 * its event loop (daemon.h) and runs a collection at start, every
 * collector.interval_s, on SIGUSR1 and when `oomgr startup Collector`
 * asks a running collector for a run (over its control channel).
 *
 *   collector [-c ems.conf] [--confm FILE]    the daemon (the guardian's way)
 *   collector [-c ems.conf] --once            one run, then exit
 */
#include "collector.h"

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "stats.h"

#include <time.h>

static struct collector_settings set;

/* Reads the collector.* keys from the instance's confm when it has one
 * (a file in ems.conf syntax), else from ems.conf.  Returns 0 or -1. */
static int read_settings(const struct daemon *d, struct collector_settings *out)
{
	struct ems_config *own = d->p->confm != NULL ? config_load(d->p->confm) : NULL;
	const struct ems_config *from = own != NULL ? own : d->cfg;
	if (d->p->confm != NULL && own == NULL)
		return -1;      /* config_load() said why */
	out->interval_s = config_int(from, "collector.interval_s");
	out->expunged_keep_s = config_int(from, "collector.expunged_keep_s");
	out->queue_keep_s = config_int(from, "collector.queue_keep_s");
	out->message_grace_s = config_int(from, "collector.message_grace_s");
	out->statistics_keep_s = config_int(from, "collector.statistics_keep_s");
	out->batch = (int)config_int(from, "collector.batch");
	out->vacuum_pages = (int)config_int(from, "collector.vacuum_pages");
	config_free(own);
	return 0;
}

static int setup(struct daemon *d)
{
	if (read_settings(d, &set) < 0)
		return -1;
	daemon_set_interval(d, set.interval_s);
	return 0;
}

static int once(struct daemon *d)
{
	struct collector_result res;
	return collector_run(d->store, &set, (int64_t)time(NULL), &res) < 0;
}

static void run(struct daemon *d)
{
	struct collector_result res;
	collector_run(d->store, &set, (int64_t)time(NULL), &res);
	int stale = stats_sweep(d->run_dir);
	if (stale > 0)
		log_info("stats_swept", "segments=%d", stale);
}

static int start(struct daemon *d)
{
	(void)d;
	log_info("started", "interval_s=%lld batch=%d", (long long)set.interval_s, set.batch);
	return 0;
}

/* SIGHUP (oomgr refresh): reread the settings. */
static void reload(struct daemon *d)
{
	struct collector_settings fresh;
	if (read_settings(d, &fresh) < 0)
		return;     /* keep the settings in force */
	set = fresh;
	daemon_set_interval(d, set.interval_s);
	log_info("reloaded", "interval_s=%lld", (long long)set.interval_s);
}

static const struct daemon_spec spec = {
	.program = "collector",
	.summary = "Removes what nothing references any more from the ems store; see collector(8).",
	.once_help = "run one collection now, then exit",
	.flags = DAEMON_STORE | DAEMON_RUN_AT_START | DAEMON_RUN_ON_REQUEST |
	         DAEMON_RUN_ON_USR1 | DAEMON_REQUEST_RESTARTS,
	.setup = setup,
	.once = once,
	.run = run,
	.start = start,
	.reload = reload,
};

int main(int argc, char **argv)
{
	return daemon_main(&spec, argc, argv);
}
