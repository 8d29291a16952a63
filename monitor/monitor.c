/*
 * monitor.c - main of the monitor, ems's health watcher (see monitor.h
 * for its parts and monitor(8) for its use).  It checks at start and
 * every monitor.interval_s, and when asked (`oomgr startup Monitor` on a
 * running monitor).
 *
 *   monitor [-c ems.conf]            the daemon (the guardian's way)
 *   monitor [-c ems.conf] --once     one check, then exit
 */
#include "monitor.h"

#include "config.h"
#include "evloop.h"
#include "log.h"
#include "params.h"
#include "stats.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static struct {
	struct ems_config *cfg;
	struct monitor_settings set;
	struct monitor_state state;
	struct evloop *loop;
	struct ev_timer *interval;
} m;

static void read_settings(const struct ems_config *cfg, struct monitor_settings *set)
{
	set->store_path = config_path(cfg, "store");
	set->log_dir = config_path(cfg, "log_dir");
	set->run_dir = config_path(cfg, "run_dir");
	set->disk_warn_mb = config_int(cfg, "monitor.disk_warn_mb");
	set->disk_hard_mb = config_int(cfg, "monitor.disk_hard_mb");
	set->store_warn_mb = config_int(cfg, "monitor.store_warn_mb");
	set->heartbeat_timeout_ms = config_int(cfg, "monitor.heartbeat_timeout_s") * 1000;
}

static void check(void *arg)
{
	(void)arg;
	monitor_check(&m.set, &m.state);
}

static void on_timer(struct ev_timer *t, void *arg)
{
	(void)t;
	check(arg);
}

static void on_stop(int signo, void *arg)
{
	(void)arg;
	log_info("stopping", "signal=%d", signo);
	evloop_stop(m.loop);
}

/* SIGHUP (oomgr refresh, logrotate): reopen the log, reread the
 * thresholds (the paths stay as at start). */
static void on_hup(int signo, void *arg)
{
	(void)signo;
	(void)arg;
	log_reopen();
	struct ems_config *cfg = config_load(config_file(m.cfg));
	if (cfg == NULL)
		return;     /* keep what is in force; config_load() said why */
	m.set.disk_warn_mb = config_int(cfg, "monitor.disk_warn_mb");
	m.set.disk_hard_mb = config_int(cfg, "monitor.disk_hard_mb");
	m.set.store_warn_mb = config_int(cfg, "monitor.store_warn_mb");
	m.set.heartbeat_timeout_ms = config_int(cfg, "monitor.heartbeat_timeout_s") * 1000;
	evloop_timer_set(m.interval, (unsigned)config_int(cfg, "monitor.interval_s") * 1000);
	config_free(cfg);
	log_info("reloaded", NULL);
	check(NULL);
}

static int run_daemon(const struct proc_params *p)
{
	if ((m.loop = evloop_new()) == NULL ||
	    evloop_add_signal(m.loop, SIGTERM, on_stop, NULL) < 0 ||
	    evloop_add_signal(m.loop, SIGINT, on_stop, NULL) < 0 ||
	    evloop_add_signal(m.loop, SIGHUP, on_hup, NULL) < 0 ||
	    (m.interval = evloop_add_timer(m.loop,
	                                   (unsigned)config_int(m.cfg, "monitor.interval_s") * 1000,
	                                   true, on_timer, NULL)) == NULL)
		return -1;
	stats_open(m.set.run_dir, "monitor", p->instance);
	stats_on_run_request(check, NULL);
	if (stats_heartbeat_start(m.loop, STATS_HEARTBEAT_MS) < 0)
		return -1;
	log_info("started", "interval_s=%lld disk_warn_mb=%lld disk_hard_mb=%lld",
	         config_int(m.cfg, "monitor.interval_s"), m.set.disk_warn_mb,
	         m.set.disk_hard_mb);
	check(NULL);
	return evloop_run(m.loop);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: monitor [OPTIONS] [--once]\n"
	             "Watches free disk space, store size and heartbeats of ems; see monitor(8).\n%s"
	             "  --once                    check once now, then exit\n",
	        params_usage);
}

int main(int argc, char **argv)
{
	struct proc_params p;
	bool once = false;
	int next, rc;

	switch (params_parse(&p, argc, argv, &next)) {
	case PARAMS_HELP: usage(stdout); return 0;
	case PARAMS_ERROR: usage(stderr); return 2;
	default: break;
	}
	for (; next < argc; next++) {
		if (strcmp(argv[next], "--once") != 0) {
			fprintf(stderr, "monitor: unknown argument %s\n", argv[next]);
			usage(stderr);
			return 2;
		}
		once = true;
	}
	if ((m.cfg = config_load(p.config_path)) == NULL)
		return 1;
	int level = log_level_parse(config_str(m.cfg, "log.level"));
	log_open(config_path(m.cfg, "node"), "monitor", p.instance,
	         config_path(m.cfg, "log_dir"),
	         level < 0 ? LOG_LVL_INFO : (enum log_level)level, config_bool(m.cfg, "log.syslog"));
	read_settings(m.cfg, &m.set);
	if (once) {
		check(NULL);
		rc = 0;
	} else {
		rc = run_daemon(&p) < 0;
	}
	stats_close();
	evloop_free(m.loop);
	config_free(m.cfg);
	log_close();
	return rc;
}
