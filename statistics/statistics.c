/*
 * statistics.c - the statistics process: every statistics.interval_s it
 * reads the counters of every running ems process from their segments
 * (stats.h) and writes them into the store (store_stats.h), one short
 * transaction per process, for `oomgr disp stats NAME history`.  Only
 * counters that are not zero are written.  The collector removes samples
 * older than collector.statistics_keep_s.  It also serves the counters
 * to Prometheus when statistics.prometheus_listen is set
 * (statistics_http.c).  See statistics(8).
 *
 *   statistics [-c ems.conf]            the daemon (the guardian's way)
 *   statistics [-c ems.conf] --once     one sample, then exit
 */
#include "statistics.h"

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
	struct ems_config *cfg;
	struct store *store;
	const char *run_dir;
	struct evloop *loop;
	struct ev_timer *interval;
	int64_t taken;
	int processes, failed;
} s;

static int sample_one(const struct stats_snapshot *snap, void *ctx)
{
	struct store_stat_value values[STAT_COUNTERS];
	char process[STATS_NAME_MAX + 8];
	size_t n = 0;
	(void)ctx;
	for (int c = 0; c < STAT_COUNTERS; c++)
		if (snap->values[c] != 0)
			values[n++] = (struct store_stat_value){
				stats_counter_name((enum stats_counter)c), snap->values[c] };
	snprintf(process, sizeof process, "%s%02d", snap->program, snap->instance);
	if (store_stats_add(s.store, process, s.taken, values, n) < 0)
		s.failed++;
	s.processes++;
	stats_heartbeat();
	return 0;
}

static void sample(void *arg)
{
	(void)arg;
	stats_wakeup();
	s.taken = (int64_t)time(NULL);
	s.processes = s.failed = 0;
	int64_t start = stats_now_ms();
	stats_each(s.run_dir, sample_one, NULL);
	log_event(s.failed ? LOG_LVL_WARN : LOG_LVL_DEBUG, "sampled",
	          "processes=%d failed=%d duration_ms=%lld", s.processes, s.failed,
	          (long long)(stats_now_ms() - start));
}

static void on_timer(struct ev_timer *t, void *arg)
{
	(void)t;
	sample(arg);
}

static void on_stop(int signo, void *arg)
{
	(void)arg;
	log_info("stopping", "signal=%d", signo);
	evloop_stop(s.loop);
}

/* SIGHUP (oomgr refresh, logrotate): reopen the log, reread the interval. */
static void on_hup(int signo, void *arg)
{
	(void)signo;
	(void)arg;
	log_reopen();
	struct ems_config *cfg = config_load(config_file(s.cfg));
	if (cfg == NULL)
		return;
	evloop_timer_set(s.interval, (unsigned)config_int(cfg, "statistics.interval_s") * 1000);
	log_info("reloaded", "interval_s=%lld", config_int(cfg, "statistics.interval_s"));
	config_free(cfg);
}

static int run_daemon(const struct proc_params *p)
{
	unsigned interval_ms = (unsigned)config_int(s.cfg, "statistics.interval_s") * 1000;
	if ((s.loop = evloop_new()) == NULL ||
	    evloop_add_signal(s.loop, SIGTERM, on_stop, NULL) < 0 ||
	    evloop_add_signal(s.loop, SIGINT, on_stop, NULL) < 0 ||
	    evloop_add_signal(s.loop, SIGHUP, on_hup, NULL) < 0 ||
	    (s.interval = evloop_add_timer(s.loop, interval_ms, true, on_timer, NULL)) == NULL)
		return -1;
	stats_open(s.run_dir, "statistics", p->instance);
	stats_on_run_request(sample, NULL);
	if (stats_heartbeat_start(s.loop, STATS_HEARTBEAT_MS) < 0)
		return -1;
	const char *listen = config_str(s.cfg, "statistics.prometheus_listen");
	if (*listen != '\0' && http_start(s.loop, listen, s.run_dir) < 0)
		return -1;
	log_info("started", "interval_s=%u", interval_ms / 1000);
	sample(NULL);
	return evloop_run(s.loop);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: statistics [OPTIONS] [--once]\n"
	             "Samples the counters of every ems process into the store; see statistics(8).\n%s"
	             "  --once                    sample once now, then exit\n",
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
			fprintf(stderr, "statistics: unknown argument %s\n", argv[next]);
			usage(stderr);
			return 2;
		}
		once = true;
	}
	if ((s.cfg = config_load(p.config_path)) == NULL)
		return 1;
	int level = log_level_parse(config_str(s.cfg, "log.level"));
	log_open(config_path(s.cfg, "node"), "statistics", p.instance,
	         config_path(s.cfg, "log_dir"),
	         level < 0 ? LOG_LVL_INFO : (enum log_level)level, config_bool(s.cfg, "log.syslog"));
	s.run_dir = config_path(s.cfg, "run_dir");
	s.store = store_open(config_path(s.cfg, "store"),
	                     (int)config_int(s.cfg, "store.busy_timeout_ms"));
	if (s.store != NULL) {
		if (once) {
			sample(NULL);
			rc = s.failed > 0;
		} else {
			rc = run_daemon(&p) < 0;
		}
	}
	stats_close();
	http_stop();
	evloop_free(s.loop);
	store_close(s.store);
	config_free(s.cfg);
	log_close();
	return rc;
}
