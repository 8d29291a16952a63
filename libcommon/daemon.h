/*
 * daemon.h - the skeleton of ems's periodic service daemons (collector,
 * monitor, statistics, postman): one main() for all of them, each
 * program giving only what it does differently.
 *
 *   prog [COMMON OPTIONS] [--once]
 *
 * daemon_main() parses the common parameters (params.h; --help prints
 * the usage), takes "--once" as the only own argument, loads ems.conf,
 * opens the log (at ems.conf's log.level), opens the store when the
 * program wants one and calls its setup.  With --once it calls the
 * program's once and exits with its answer.  Otherwise it runs the
 * daemon: an event loop stopped by SIGTERM and SIGINT; SIGHUP reopens
 * the log and calls the program's reload; the stats segment with its
 * heartbeat (stats.h); a repeating interval timer that calls run; on
 * request a run now (`oomgr startup NAME` over the control channel, and
 * SIGUSR1 where asked); the program's start; one run at start where
 * asked; "stopping signal=N" when stopped.  Everything is closed again in
 * the reverse order, whatever failed.
 *
 * Exit codes: 0; 1 when the configuration, the store, setup or the
 * daemon's start failed (the reason logged); 2 at a bad argument.
 */
#ifndef EMS_DAEMON_H
#define EMS_DAEMON_H

#include "config.h"
#include "evloop.h"
#include "params.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

/* Flags of a daemon_spec. */
enum {
	DAEMON_STORE = 1u << 0,           /* open the store before setup */
	DAEMON_RUN_AT_START = 1u << 1,    /* one run once the loop is set up */
	DAEMON_RUN_ON_REQUEST = 1u << 2,  /* the guardian's run request runs now */
	DAEMON_RUN_ON_USR1 = 1u << 3,     /* so does SIGUSR1 */
	/* a requested run logs run_requested and restarts the interval */
	DAEMON_REQUEST_RESTARTS = 1u << 4,
};

struct daemon;

struct daemon_spec {
	const char *program;      /* its name for the log, stats and usage */
	const char *summary;      /* the usage's second line, or NULL */
	const char *once_help;    /* what --once does, for the usage */
	const char *interval_key; /* ems.conf key of the interval in seconds */
	unsigned flags;           /* DAEMON_* */
	/* Reads the program's settings; config, log and store are open.
	 * Returns 0, or -1 (logged) to exit 1.  May be NULL. */
	int (*setup)(struct daemon *d);
	/* The work of --once; returns the exit code. */
	int (*once)(struct daemon *d);
	/* One run of the daemon (timer, request, start). */
	void (*run)(struct daemon *d);
	/* Adds the program's own sources to d->loop and logs "started";
	 * returns 0, or -1 (logged) to exit 1.  May be NULL. */
	int (*start)(struct daemon *d);
	/* After SIGHUP reopened the log: rereads what may change.  May be
	 * NULL. */
	void (*reload)(struct daemon *d);
	/* Closes the program's own sources, after stats_close() and before
	 * the loop is freed.  May be NULL. */
	void (*cleanup)(struct daemon *d);
};

/* What the skeleton holds for the program's callbacks. */
struct daemon {
	const struct daemon_spec *spec;
	const struct proc_params *p;
	struct ems_config *cfg;
	struct store *store;          /* NULL without DAEMON_STORE */
	const char *run_dir;          /* ems.conf's run_dir */
	struct evloop *loop;          /* NULL with --once */
	struct ev_timer *interval;
	int64_t interval_s;           /* from interval_key, or setup's */
};

/* The whole main() of the daemon SPEC; returns its exit code. */
int daemon_main(const struct daemon_spec *spec, int argc, char **argv);

/* Sets the interval to SECONDS (from setup or reload); a running timer
 * restarts with it. */
void daemon_set_interval(struct daemon *d, int64_t seconds);

#endif
