/*
 * collector.c - main of the collector, ems's garbage remover (see
 * collector.h for its parts and collector(8) for its use).  It sleeps on
 * its event loop and runs a collection at start, every
 * collector.interval_s, on SIGUSR1 and when `oomgr startup Collector`
 * asks a running collector for a run (stats_request_run()).
 *
 *   collector [-c ems.conf] [--confm FILE]    the daemon (the guardian's way)
 *   collector [-c ems.conf] --once            one run, then exit
 */
#include "collector.h"

#include "config.h"
#include "evloop.h"
#include "log.h"
#include "params.h"
#include "stats.h"
#include "store.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static struct {
	const struct proc_params *p;
	struct ems_config *cfg;
	struct collector_settings set;
	struct store *store;
	struct evloop *loop;
	struct ev_timer *interval;
} c;

/* Reads the collector.* keys from the instance's confm when it has one
 * (a file in ems.conf syntax), else from ems.conf.  Returns 0 or -1. */
static int read_settings(struct collector_settings *set)
{
	struct ems_config *own = c.p->confm != NULL ? config_load(c.p->confm) : NULL;
	const struct ems_config *from = own != NULL ? own : c.cfg;
	if (c.p->confm != NULL && own == NULL)
		return -1;      /* config_load() said why */
	set->interval_s = config_int(from, "collector.interval_s");
	set->expunged_keep_s = config_int(from, "collector.expunged_keep_s");
	set->queue_keep_s = config_int(from, "collector.queue_keep_s");
	set->message_grace_s = config_int(from, "collector.message_grace_s");
	set->statistics_keep_s = config_int(from, "collector.statistics_keep_s");
	set->batch = (int)config_int(from, "collector.batch");
	set->vacuum_pages = (int)config_int(from, "collector.vacuum_pages");
	config_free(own);
	return 0;
}

static void run_once(void)
{
	struct collector_result res;
	collector_run(c.store, &c.set, (int64_t)time(NULL), &res);
	int stale = stats_sweep(config_path(c.cfg, "run_dir"));
	if (stale > 0)
		log_info("stats_swept", "segments=%d", stale);
}

static void on_timer(struct ev_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	run_once();
}

static void on_request(void *arg)
{
	(void)arg;
	log_info("run_requested", NULL);
	run_once();
	evloop_timer_reset(c.interval);
}

static void on_usr1(int signo, void *arg)
{
	(void)signo;
	on_request(arg);
}

static void on_stop(int signo, void *arg)
{
	(void)arg;
	log_info("stopping", "signal=%d", signo);
	evloop_stop(c.loop);
}

/* SIGHUP (oomgr refresh, logrotate): reopen the log, reread settings. */
static void on_hup(int signo, void *arg)
{
	struct collector_settings set;
	(void)signo;
	(void)arg;
	log_reopen();
	if (read_settings(&set) < 0)
		return;     /* keep the settings in force */
	c.set = set;
	evloop_timer_set(c.interval, (unsigned)c.set.interval_s * 1000);
	log_info("reloaded", "interval_s=%lld", (long long)c.set.interval_s);
}

static int run_daemon(void)
{
	if ((c.loop = evloop_new()) == NULL ||
	    evloop_add_signal(c.loop, SIGTERM, on_stop, NULL) < 0 ||
	    evloop_add_signal(c.loop, SIGINT, on_stop, NULL) < 0 ||
	    evloop_add_signal(c.loop, SIGHUP, on_hup, NULL) < 0 ||
	    evloop_add_signal(c.loop, SIGUSR1, on_usr1, NULL) < 0 ||
	    (c.interval = evloop_add_timer(c.loop, (unsigned)c.set.interval_s * 1000, true,
	                                   on_timer, NULL)) == NULL)
		return -1;
	stats_open(config_path(c.cfg, "run_dir"), "collector", c.p->instance);
	stats_on_run_request(on_request, NULL);
	if (stats_heartbeat_start(c.loop, STATS_HEARTBEAT_MS) < 0)
		return -1;
	log_info("started", "interval_s=%lld batch=%d", (long long)c.set.interval_s,
	         c.set.batch);
	run_once();
	return evloop_run(c.loop);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: collector [OPTIONS] [--once]\n"
	             "Removes what nothing references any more from the ems store; see collector(8).\n%s"
	             "  --once                    run one collection now, then exit\n",
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
			fprintf(stderr, "collector: unknown argument %s\n", argv[next]);
			usage(stderr);
			return 2;
		}
		once = true;
	}
	c.p = &p;
	if ((c.cfg = config_load(p.config_path)) == NULL)
		return 1;
	int level = log_level_parse(config_str(c.cfg, "log.level"));
	log_open(config_path(c.cfg, "node"), "collector", p.instance,
	         config_path(c.cfg, "log_dir"),
	         level < 0 ? LOG_LVL_INFO : (enum log_level)level, config_bool(c.cfg, "log.syslog"));
	if (read_settings(&c.set) == 0 &&
	    (c.store = store_open(config_path(c.cfg, "store"),
	                          (int)config_int(c.cfg, "store.busy_timeout_ms"))) != NULL) {
		if (once) {
			struct collector_result res;
			rc = collector_run(c.store, &c.set, (int64_t)time(NULL), &res) < 0;
		} else {
			rc = run_daemon() < 0;
		}
	}
	stats_close();
	evloop_free(c.loop);
	store_close(c.store);
	config_free(c.cfg);
	log_close();
	return rc;
}
