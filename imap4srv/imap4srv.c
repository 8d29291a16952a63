/*
 * imap4srv.c - the IMAP4rev1 worker: one event loop serving up to
 * maxclt clients, handed over by iolistener (or, for development and
 * tests, accepted on its own --listen addresses).  main() reads the
 * parameters and ems.conf, opens the store, the TLS context and the
 * wake-up listener, and runs the loop.  See imap4srv(8).
 *
 *   imap4srv.c          main, settings, signals, wake-ups
 *   imap_conn.c         a connection: what IMAP adds to libcommon/client_conn.c
 *   imap_command.c      input into commands, dispatch, tagged answers
 *   imap_output.c       everything written to a client
 *   imap_parse.c        the grammar's terminals
 *   imap_seqset.c, imap_seqlist.c   message sets
 *   imap_view.c         the selected mailbox and its sync with the store
 *   imap_view_flags.c   the FLAGS a session was told (new keywords announced)
 *   imap_cmd_*.c, imap_fetch.c, imap_idle.c, imap_quota.c   commands
 *   imap_fetch_att.c    FETCH attributes
 *   imap_list_tree.c    the names LIST and LSUB choose from
 *   imap_status.c       STATUS items (STATUS, LIST-STATUS)
 *   imap_objectid.c     MAILBOXID and EMAILID (OBJECTID)
 *   imap_search_*.c     SEARCH criteria
 *   imap_message.c      a stored message: raw bytes, top-level header
 *   imap_message_mime.c its MIME structure: sections, ENVELOPE, BODYSTRUCTURE
 *   imap_names.c, imap_utf7.c   mailbox names
 *   imap_flags.c, imap_date.c   flags and dates on the wire
 *   imap_trace.c        Server-Trace files
 */
#include "config.h"
#include "evloop.h"
#include "handoff.h"
#include "imap_auth.h"
#include "imap_client.h"
#include "imap_server.h"
#include "log.h"
#include "params.h"
#include "program.h"
#include "spool.h"
#include "stats.h"
#include "store.h"
#include "tcp_listen.h"
#include "tls.h"
#include "wakeup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "imap4srv"
/* How often idling sessions re-check their mailbox even without a
 * wake-up (a lost datagram costs at most this long). */
#define RECHECK_MS 30000
/* Wake-ups taken from the socket per read. */
#define WAKEUP_BATCH 64
/* When maxclt is 0. */
#define DEFAULT_MAXCLT 1000
/* How often a finished client is told to iolistener at the latest (a new
 * one is told at once). */
#define LOAD_REPORT_MS 200

static const char usage_text[] =
    "usage: imap4srv [OPTIONS] [--listen ADDR:PORT] [--listen-tls ADDR:PORT]\n"
    "IMAP4rev1 worker of ems; normally started by the guardian.\n\n"
    "%s"
    "  --listen ADDR:PORT      accept clients here directly (development, tests)\n"
    "  --listen-tls ADDR:PORT  the same with implicit TLS\n";

static struct imap_server srv;
/* The link to iolistener when not running on --listen sockets. */
/* --listen and --listen-tls addresses at the most. */
#define LISTENERS_MAX 8

static struct handoff_worker *handoff;
static struct tcp_listener *listeners[LISTENERS_MAX];
static int nlisteners;
static struct ev_timer *load_timer;

static void on_signal(int signo, void *arg)
{
	(void)arg;
	if (signo == SIGHUP) {
		log_reopen();
		log_info("imap_reopen", NULL);
		return;
	}
	log_info("imap_stop", "signal=%d clients=%u", signo, srv.clients.n);
	evloop_stop(srv.loop);
}

static void on_wakeup(struct ev_io *io, unsigned events, void *arg)
{
	int64_t ids[WAKEUP_BATCH];
	size_t n;
	(void)io;
	(void)events;
	(void)arg;
	while ((n = wakeup_read(srv.wakeup, ids, WAKEUP_BATCH)) > 0)
		for (size_t i = 0; i < n; i++)
			imap_server_mailbox_changed(&srv, ids[i]);
}

static void on_recheck(struct ev_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	imap_server_mailbox_changed(&srv, 0);
}

/* Sent only when it changed (handoff.h), so the timer may call it
 * freely. */
static void report_load(void)
{
	if (handoff != NULL)
		handoff_worker_load(handoff, srv.clients.n);
}

static void on_load_timer(struct ev_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	report_load();
}

/* A client from iolistener: the same path as a --listen one. */
static void on_handed_client(const struct handoff_client *c, void *arg)
{
	char peer[INET6_ADDRSTRLEN + 8];
	(void)arg;
	handoff_peer_text(c, peer, sizeof peer);
	imap_client_new(&srv, c->fd, peer, c->flags);
	report_load();
}

/* Without --listen, clients come from iolistener (imap4srv(8)). */
static void on_listen_accept(int fd, const char *peer, const struct sockaddr_storage *ss,
                             unsigned flags, void *arg)
{
	(void)ss;
	imap_client_new(arg, fd, peer, flags);
}

static int open_handoff(const struct proc_params *p)
{
	handoff = handoff_worker_open(srv.loop, srv.run_dir, "imap", p->instance,
	                              p->flags, srv.set.maxclt, on_handed_client,
	                              NULL);
	load_timer = evloop_add_timer(srv.loop, LOAD_REPORT_MS, true,
	                              on_load_timer, NULL);
	return handoff && load_timer ? 0 : -1;
}

static void read_settings(struct imap_server *s, const struct proc_params *p)
{
	struct imap_settings *set = &s->set;
	const struct ems_config *cfg = s->cfg;
	set->banner = config_str(cfg, "imap.banner");
	set->idle_timeout_s = (unsigned)config_int(cfg, "imap.idle_timeout_s");
	set->message_cap = (uint32_t)config_int(cfg, "imap.message_cap");
	set->server_trace = config_bool(cfg, "imap.server_trace");
	set->trace_synch = (unsigned)config_int(cfg, "imap.trace_synch");
	set->trace_literal_max = (size_t)config_int(cfg, "imap.trace_literal_max");
	set->unixgwy = config_strlist(cfg, "imap.unixgwy", &set->n_unixgwy);
	set->plaintextmincipher = (int)config_int(cfg, "auth.plaintextmincipher");
	set->max_append = (size_t)config_int(cfg, "imap.max_append_size");
	set->max_line = (size_t)config_int(cfg, "imap.max_line");
	set->maxclt = p->maxclt > 0 ? (unsigned)p->maxclt : DEFAULT_MAXCLT;
}

/* The TLS context of the imap service (its own installed certificate,
 * or tls.certificate; SNI alternatives): STARTTLS and implicit TLS need
 * it; without one imap4srv serves cleartext only (logged). */
static void open_tls(void)
{
	srv.tls = tls_server_for_service(srv.cfg, "imap");
}

static int open_everything(const struct proc_params *p)
{
	srv.store = store_open(config_path(srv.cfg, "store"),
	                       (int)config_int(srv.cfg, "store.busy_timeout_ms"));
	if (srv.store == NULL || imap_auth_open(&srv) < 0)
		return -1;
	open_tls();
	spool_prepare(srv.spool_dir);   /* a failure is logged; APPENDs will say so */
	srv.loop = evloop_new();
	if (srv.loop == NULL)
		return -1;
	if (program_add_signals(srv.loop, on_signal, NULL) < 0)
		return -1;
	srv.pool = store_pool_from_config(srv.loop, srv.cfg);
	if (srv.pool == NULL)
		return -1;
	snprintf(srv.name, sizeof srv.name, "%s%02d", PROG, p->instance);
	srv.wakeup = wakeup_listen(srv.run_dir, srv.name);
	if (srv.wakeup == NULL)
		return -1;
	srv.wakeup_io = evloop_add_io(srv.loop, wakeup_fd(srv.wakeup), EV_READ, on_wakeup, NULL);
	srv.recheck = evloop_add_timer(srv.loop, RECHECK_MS, true, on_recheck, NULL);
	stats_start(srv.loop, srv.run_dir, PROG, p->instance);   /* counters, heartbeat */
	return srv.wakeup_io && srv.recheck ? 0 : -1;
}

/* On the way out: the writes running or queued finish, and their
 * clients get their answers before the connections close. */
static void drain(void)
{
	if (srv.pool == NULL)
		return;
	for (struct client_conn *cc = srv.clients.head; cc != NULL; cc = cc->next)
		cc->closing = true;
	store_pool_drain(srv.pool);
}

static void close_everything(void)
{
	drain();
	while (srv.clients.head != NULL)
		imap_client_free(srv.clients.head->client);
	for (int i = 0; i < nlisteners; i++)
		tcp_listen_close(listeners[i]);
	handoff_worker_close(handoff);
	evloop_del_timer(load_timer);
	evloop_del_io(srv.wakeup_io);
	evloop_del_timer(srv.recheck);
	wakeup_close(srv.wakeup);
	stats_close();
	imap_auth_close();    /* its check threads watch the loop */
	store_pool_free(srv.pool);
	evloop_free(srv.loop);
	tls_server_free(srv.tls);
	store_close(srv.store);
	free(srv.set.unixgwy);
	config_free(srv.cfg);
	log_close();
}

/* --listen / --listen-tls after the common parameters; without them
 * the clients come through iolistener. */
static int own_options(int argc, char **argv, int next,
                       const struct proc_params *p)
{
	if (next >= argc)
		return open_handoff(p);
	return tcp_listen_options(srv.loop, argc, argv, next, listeners, LISTENERS_MAX,
	                          &nlisteners, on_listen_accept, &srv);
}

int main(int argc, char **argv)
{
	struct proc_params p;
	int next, rc;
	if ((rc = program_start(&p, argc, argv, &next, usage_text, PROG, &srv.cfg)) !=
	    PROGRAM_GO_ON)
		return rc;
	srv.run_dir = config_path(srv.cfg, "run_dir");
	srv.spool_dir = config_path(srv.cfg, "spool_dir");
	srv.log_dir = config_path(srv.cfg, "log_dir");
	read_settings(&srv, &p);
	int status = 1;
	if (open_everything(&p) == 0 && own_options(argc, argv, next, &p) == 0) {
		log_info("imap_start", "instance=%d maxclt=%u tls=%s", p.instance, srv.set.maxclt,
		         srv.tls ? "yes" : "no");
		status = evloop_run(srv.loop) == 0 ? 0 : 1;
	}
	close_everything();
	return status;
}
