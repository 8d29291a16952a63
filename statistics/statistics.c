/*
 * statistics.c - the statistics process: every statistics.interval_s it
 * reads the counters of every running ems process from their segments
 * (stats.h) and writes them into the store (store_stats.h), one short
 * transaction per process, for `oomgr disp stats NAME history`.  Only
 * counters that are not zero are written.  The collector removes samples
 * older than collector.statistics_keep_s.  It also serves the counters
 * to Prometheus when statistics.prometheus_listen is set
 * (statistics_http.c).  The event loop is the daemon skeleton's
 * (daemon.h).  See statistics(8).
 *
 *   statistics [-c ems.conf]            the daemon (the guardian's way)
 *   statistics [-c ems.conf] --once     one sample, then exit
 */
#include "statistics.h"

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "stats.h"
#include "store_stats.h"

#include <stdio.h>
#include <time.h>

static struct {
	struct store *store;
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

static void sample(struct daemon *d)
{
	stats_wakeup();
	s.store = d->store;
	s.taken = (int64_t)time(NULL);
	s.processes = s.failed = 0;
	int64_t began = stats_now_ms();
	stats_each(d->run_dir, sample_one, NULL);
	log_event(s.failed ? LOG_LVL_WARN : LOG_LVL_DEBUG, "sampled",
	          "processes=%d failed=%d duration_ms=%lld", s.processes, s.failed,
	          (long long)(stats_now_ms() - began));
}

static int once(struct daemon *d)
{
	sample(d);
	return s.failed > 0;
}

static int start(struct daemon *d)
{
	const char *listen = config_str(d->cfg, "statistics.prometheus_listen");
	if (*listen != '\0' && http_start(d->loop, listen, d->run_dir) < 0)
		return -1;
	log_info("started", "interval_s=%u", (unsigned)d->interval_s);
	return 0;
}

/* SIGHUP (oomgr refresh): reread the interval. */
static void reload(struct daemon *d)
{
	struct ems_config *cfg = config_load(config_file(d->cfg));
	if (cfg == NULL)
		return;     /* keep what is in force; config_load() said why */
	daemon_set_interval(d, config_int(cfg, "statistics.interval_s"));
	log_info("reloaded", "interval_s=%lld", (long long)d->interval_s);
	config_free(cfg);
}

static void cleanup(struct daemon *d)
{
	(void)d;
	http_stop();
}

static const struct daemon_spec spec = {
	.program = "statistics",
	.summary = "Samples the counters of every ems process into the store; see statistics(8).",
	.once_help = "sample once now, then exit",
	.interval_key = "statistics.interval_s",
	.flags = DAEMON_STORE | DAEMON_RUN_AT_START | DAEMON_RUN_ON_REQUEST,
	.once = once,
	.run = sample,
	.start = start,
	.reload = reload,
	.cleanup = cleanup,
};

int main(int argc, char **argv)
{
	return daemon_main(&spec, argc, argv);
}
