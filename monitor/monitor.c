/*
 * monitor.c - main of the monitor, ems's health watcher (see monitor.h
 * for its parts and monitor(8) for its use).  It checks at start and
 * every monitor.interval_s, and when asked (`oomgr startup Monitor` on a
 * running monitor); the event loop is the daemon skeleton's (daemon.h).
 *
 *   monitor [-c ems.conf]            the daemon (the guardian's way)
 *   monitor [-c ems.conf] --once     one check, then exit
 */
#include "monitor.h"

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "tls_certstore.h"

#include <string.h>

static struct {
	struct monitor_settings set;
	struct monitor_state state;
} m;

/* The thresholds, which SIGHUP rereads. */
static void read_thresholds(const struct ems_config *cfg, struct monitor_settings *set)
{
	set->disk_warn_mb = config_int(cfg, "monitor.disk_warn_mb");
	set->disk_hard_mb = config_int(cfg, "monitor.disk_hard_mb");
	set->store_warn_mb = config_int(cfg, "monitor.store_warn_mb");
	set->heartbeat_timeout_ms = config_int(cfg, "monitor.heartbeat_timeout_s") * 1000;
	set->cert_warn_days = config_int(cfg, "monitor.cert_warn_days");
}

static int setup(struct daemon *d)
{
	/* A PostgreSQL store is no file here: its size is the collector's
	 * figure, its disk the database server's. */
	if (strcmp(config_str(d->cfg, "store.backend"), "sqlite") == 0)
		m.set.store_path = config_path(d->cfg, "store");
	m.set.log_dir = config_path(d->cfg, "log_dir");
	m.set.run_dir = d->run_dir;
	m.set.tls_certificate = config_path(d->cfg, "tls_certificate");
	if (tls_certstore_dir(d->cfg, m.set.cert_dir, sizeof m.set.cert_dir) < 0)
		m.set.cert_dir[0] = '\0';
	read_thresholds(d->cfg, &m.set);
	return 0;
}

static void run(struct daemon *d)
{
	(void)d;
	monitor_check(&m.set, &m.state);
}

static int once(struct daemon *d)
{
	run(d);
	return 0;
}

static int start(struct daemon *d)
{
	log_info("started", "interval_s=%lld disk_warn_mb=%lld disk_hard_mb=%lld",
	         (long long)d->interval_s, m.set.disk_warn_mb, m.set.disk_hard_mb);
	return 0;
}

/* SIGHUP (oomgr refresh): reread the thresholds and the interval (the
 * paths stay as at start), then check. */
static void reload(struct daemon *d)
{
	struct ems_config *cfg = config_load(config_file(d->cfg));
	if (cfg == NULL)
		return;     /* keep what is in force; config_load() said why */
	read_thresholds(cfg, &m.set);
	daemon_set_interval(d, config_int(cfg, "monitor.interval_s"));
	config_free(cfg);
	log_info("reloaded", NULL);
	run(d);
}

static const struct daemon_spec spec = {
	.program = "monitor",
	.summary = "Watches free disk space, store size and heartbeats of ems; see monitor(8).",
	.once_help = "check once now, then exit",
	.interval_key = "monitor.interval_s",
	.flags = DAEMON_RUN_AT_START | DAEMON_RUN_ON_REQUEST,
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
