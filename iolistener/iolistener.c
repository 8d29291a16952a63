/*
 * iolistener.c - the listener of the mail ports: takes the listening
 * sockets the guardian (or systemd) passes, checks every client against
 * the access filters and hands it to a pop3srv or imap4srv worker over
 * <run_dir>/handoff.sock.  One event loop; host-name lookups on helper
 * threads.  See iolistener(8).
 *
 *   iolistener.c     main, settings, signals, refresh
 *   iol_sockets.c    the passed sockets: identification, accepting
 *   iol_client.c     one client: filters, lookup, hand-off or refusal
 *   iol_resolve.c    reverse + forward lookups off the loop
 *   iol_filters.c    the filter set from ems.conf
 *   libcommon/handoff_listener.c   worker registrations and fd passing
 *   libcommon/refusal.c            refusal lines per protocol
 *   libcommon/listen_ident.c       what a passed socket serves
 *
 * Privilege: the guardian binds the ports as root and starts iolistener
 * as the unprivileged suite user; iolistener never binds a port, so it
 * has nothing to drop.
 */
#include "access_filter.h"
#include "config.h"
#include "evloop.h"
#include "handoff.h"
#include "iol.h"
#include "iol_client.h"
#include "iol_filters.h"
#include "iol_resolve.h"
#include "iol_sockets.h"
#include "log.h"
#include "params.h"
#include "program.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "iolistener"

static const char usage_text[] =
    "usage: iolistener [OPTIONS]\n"
    "Listener of the ems mail ports: applies the access filters and hands\n"
    "each client to a pop3srv or imap4srv worker.  Started by the guardian\n"
    "(or systemd) with the listening sockets from descriptor 3 on\n"
    "(LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES).  SIGHUP reloads ems.conf.\n\n"
    "%s";

static struct iol iol;

static void apply_settings(const struct ems_config *cfg)
{
	iol.dns_timeout_ms = (unsigned)config_int(cfg, "access.dns_timeout_ms");
	log_set_level(program_wanted_level(cfg));
}

/* SIGHUP: re-read ems.conf.  Anything wrong keeps what is in force; the
 * reason is logged with its file and place. */
static void refresh(void)
{
	log_reopen();
	struct ems_config *cfg = config_load(iol.config_path);
	if (cfg == NULL) {
		log_error("refresh_failed", "file=%s error=\"configuration not "
		          "valid; keeping the one in force\"",
		          log_quote(iol.config_path));
		return;
	}
	struct access_filters *f = iol_filters_load(cfg);
	if (f == NULL) {
		log_error("refresh_failed", "file=%s error=\"access filters not "
		          "valid; keeping the ones in force\"", log_quote(config_file(cfg)));
		config_free(cfg);
		return;
	}
	access_filters_free(iol.filters);
	iol.filters = f;
	iol_sockets_identify(iol.sockets, cfg);
	config_free(iol.cfg);
	iol.cfg = cfg;
	apply_settings(cfg);
	log_info("refresh_done", "file=%s workers=%zu", log_quote(config_file(cfg)),
	         handoff_listener_workers(iol.handoff, NULL));
}

static void on_signal(int signo, void *arg)
{
	(void)arg;
	if (signo == SIGHUP) {
		refresh();
		return;
	}
	log_info("iolistener_stop", "signal=%d", signo);
	evloop_stop(iol.loop);
}

static int open_everything(void)
{
	iol.loop = evloop_new();
	if (iol.loop == NULL || program_add_signals(iol.loop, on_signal, NULL) < 0)
		return -1;
	/* Threads start after the signals are blocked, so only the loop
	 * ever sees them. */
	iol.resolver = iol_resolver_new(iol.loop);
	if (iol.resolver == NULL)
		return -1;
	iol.handoff = handoff_listener_open(iol.loop, config_path(iol.cfg, "run_dir"));
	if (iol.handoff == NULL)
		return -1;
	iol.sockets = iol_sockets_open(&iol, iol.cfg, iol_client_accepted);
	return iol.sockets != NULL ? 0 : -1;
}

static void close_everything(void)
{
	iol_client_close_all(&iol);
	iol_sockets_close(iol.sockets);
	handoff_listener_close(iol.handoff);
	iol_resolver_free(iol.resolver);
	evloop_free(iol.loop);
	access_filters_free(iol.filters);
	config_free(iol.cfg);
	log_close();
}

int main(int argc, char **argv)
{
	struct proc_params p;
	int next, rc;
	if ((rc = program_params(&p, argc, argv, &next, usage_text)) != PROGRAM_GO_ON)
		return rc;
	if (next < argc) {
		log_error("iolistener_usage", "argument=%s error=\"unknown option\"",
		          log_quote(argv[next]));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	iol.config_path = p.config_path;
	iol.cfg = config_load(p.config_path);
	if (iol.cfg == NULL)
		return 1;
	program_log_open(iol.cfg, PROG, p.instance, program_wanted_level(iol.cfg));
	apply_settings(iol.cfg);
	iol.filters = iol_filters_load(iol.cfg);
	int status = 1;
	if (iol.filters != NULL && open_everything() == 0) {
		log_info("iolistener_start", "instance=%d dns_timeout_ms=%u",
		         p.instance, iol.dns_timeout_ms);
		status = evloop_run(iol.loop) == 0 ? 0 : 1;
	}
	close_everything();
	return status;
}
