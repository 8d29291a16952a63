/*
 * daemon.c - the main() of the periodic service daemons (see daemon.h).
 * One daemon per process, so its state is one static struct the loop's
 * callbacks reach.
 */
#include "daemon.h"

#include "control_chan.h"
#include "log.h"
#include "program.h"
#include "stats.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

/* Room for the usage text: the common options are printed apart. */
#define DAEMON_USAGE_MAX 512

static struct daemon dm;

static unsigned interval_ms(void)
{
	return (unsigned)dm.interval_s * 1000;
}

void daemon_set_interval(struct daemon *d, int64_t seconds)
{
	d->interval_s = seconds;
	if (d->interval != NULL)
		evloop_timer_set(d->interval, interval_ms());
}

static void on_timer(struct ev_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	dm.spec->run(&dm);
}

static void on_request(void *arg)
{
	(void)arg;
	if (dm.spec->flags & DAEMON_REQUEST_RESTARTS)
		log_info("run_requested", NULL);
	dm.spec->run(&dm);
	if (dm.spec->flags & DAEMON_REQUEST_RESTARTS)
		evloop_timer_reset(dm.interval);
}

static void on_usr1(int signo, void *arg)
{
	(void)signo;
	on_request(arg);
}

/* SIGTERM, SIGINT stop; SIGHUP (oomgr refresh, logrotate) reopens the log
 * and has the program reread. */
static void on_signal(int signo, void *arg)
{
	(void)arg;
	if (signo == SIGHUP) {
		log_reopen();
		if (dm.spec->reload != NULL)
			dm.spec->reload(&dm);
		return;
	}
	log_info("stopping", "signal=%d", signo);
	evloop_stop(dm.loop);
}

static int add_signals(void)
{
	if (program_add_signals(dm.loop, on_signal, NULL) < 0)
		return -1;
	if ((dm.spec->flags & DAEMON_RUN_ON_USR1) &&
	    evloop_add_signal(dm.loop, SIGUSR1, on_usr1, NULL) < 0)
		return -1;
	return 0;
}

static int run_daemon(void)
{
	const struct daemon_spec *spec = dm.spec;
	if ((dm.loop = evloop_new()) == NULL || add_signals() < 0 ||
	    (dm.interval = evloop_add_timer(dm.loop, interval_ms(), true, on_timer,
	                                    NULL)) == NULL)
		return -1;
	stats_open(dm.run_dir, spec->program, dm.p->instance); /* counts privately on failure */
	if (spec->flags & DAEMON_RUN_ON_REQUEST)
		control_chan_on_run(on_request, NULL);
	if (stats_heartbeat_start(dm.loop, STATS_HEARTBEAT_MS) < 0)
		return -1;
	if (spec->start != NULL && spec->start(&dm) < 0)
		return -1;
	if (spec->flags & DAEMON_RUN_AT_START)
		spec->run(&dm);
	return evloop_run(dm.loop);
}

/* Opens what the program's work needs and does it; returns the exit code. */
static int work(bool once)
{
	const struct daemon_spec *spec = dm.spec;
	dm.run_dir = config_path(dm.cfg, "run_dir");
	if (spec->interval_key != NULL)
		dm.interval_s = config_int(dm.cfg, spec->interval_key);
	if ((spec->flags & DAEMON_STORE) &&
	    (dm.store = store_open_config(dm.cfg)) == NULL)
		return 1;
	if (spec->setup != NULL && spec->setup(&dm) < 0)
		return 1;
	if (once)
		return spec->once(&dm);
	return run_daemon() < 0;
}

static void usage_text(const struct daemon_spec *spec, char *buf, size_t size)
{
	snprintf(buf, size, "usage: %s [OPTIONS] [--once]\n%s%s%%s"
	                    "  --once                    %s\n",
	         spec->program, spec->summary ? spec->summary : "", spec->summary ? "\n" : "",
	         spec->once_help);
}

int daemon_main(const struct daemon_spec *spec, int argc, char **argv)
{
	struct proc_params p;
	char usage[DAEMON_USAGE_MAX];
	bool once = false;
	int next, rc;

	usage_text(spec, usage, sizeof usage);
	if ((rc = program_params(&p, argc, argv, &next, usage)) != PROGRAM_GO_ON)
		return rc;
	for (; next < argc; next++) {
		if (strcmp(argv[next], "--once") != 0) {
			fprintf(stderr, "%s: unknown argument %s\n", spec->program, argv[next]);
			fprintf(stderr, usage, params_usage);
			return 2;
		}
		once = true;
	}
	dm.spec = spec;
	dm.p = &p;
	if ((dm.cfg = config_load(p.config_path)) == NULL)
		return 1;
	program_log_open(dm.cfg, spec->program, p.instance, program_config_level(dm.cfg));
	rc = work(once);
	stats_close();
	if (spec->cleanup != NULL)
		spec->cleanup(&dm);
	evloop_free(dm.loop);
	store_close(dm.store);
	config_free(dm.cfg);
	log_close();
	return rc;
}
