/*
 * imap4srv.c - the IMAP4rev1 worker: one event loop serving up to
 * maxclt clients, handed over by iolistener (or, for development and
 * tests, accepted on its own --listen addresses).  The loop, signals,
 * TLS context, hand-off, maxclt and shutdown are libcommon's worker
 * skeleton (worker.h); this file gives it IMAP's part: the settings,
 * the store, the authenticator and the wake-up listener.  See
 * imap4srv(8).
 *
 *   imap4srv.c          main, settings, wake-ups
 *   imap_conn.c         a connection: what IMAP adds to libcommon/client_conn.c
 *   imap_command.c      input into commands, dispatch, tagged answers
 *   imap_output.c       everything written to a client
 *   imap_parse.c        the grammar's terminals
 *   imap_seqset.c, imap_seqlist.c   message sets
 *   imap_view.c         the selected mailbox and its sync with the store
 *   imap_view_sync.c    that sync as a read job, before a tagged answer
 *   imap_mailbox_share.c  one read of a mailbox's changes for all its views
 *   imap_job.c          store work off the loop: writes, and reads on PostgreSQL
 *   imap_idle_job.c     idling sessions' updates read off the loop
 *   imap_claims.c       \Recent claims, through one handle that never waits
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
 *   imap_flags.c                flags on the wire (dates: libcommon/imap_date.c)
 *   imap_trace.c        Server-Trace files
 */
#include "config.h"
#include "evloop.h"
#include "imap_auth.h"
#include "imap_client.h"
#include "imap_server.h"
#include "log.h"
#include "spool.h"
#include "store.h"
#include "wakeup.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>

/* How often idling sessions re-check their mailbox even without a
 * wake-up (a lost datagram costs at most this long). */
#define RECHECK_MS 30000
/* Wake-ups taken from the socket per read. */
#define WAKEUP_BATCH 64

static const char usage_text[] =
    "usage: imap4srv [OPTIONS] [--listen ADDR:PORT] [--listen-tls ADDR:PORT]\n"
    "IMAP4rev1 worker of ems; normally started by the guardian.\n\n"
    "%s"
    "  --listen ADDR:PORT      accept clients here directly (development, tests)\n"
    "  --listen-tls ADDR:PORT  the same with implicit TLS\n";

static struct imap_server srv;

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

static void on_client(struct worker *w, int fd, const struct worker_peer *peer, unsigned flags)
{
	(void)w;
	imap_client_new(&srv, fd, peer->text, flags);
}

static void read_settings(struct imap_server *s)
{
	struct imap_settings *set = &s->set;
	const struct ems_config *cfg = s->w.cfg;
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
}

static int open_imap(struct worker *w)
{
	srv.log_dir = config_path(w->cfg, "log_dir");
	read_settings(&srv);
	srv.store = store_open_loop(w->cfg);
	if (srv.store == NULL || imap_claims_open(&srv.claims, w->cfg) < 0 ||
	    imap_auth_open(&srv) < 0)
		return -1;
	srv.spool_dir = config_path(w->cfg, "spool_dir");
	spool_prepare(srv.spool_dir);   /* a failure is logged; APPENDs will say so */
	srv.wakeup = wakeup_listen(w->run_dir, w->name);
	if (srv.wakeup == NULL)
		return -1;
	srv.wakeup_io = evloop_add_io(w->loop, wakeup_fd(srv.wakeup), EV_READ, on_wakeup, NULL);
	srv.recheck = evloop_add_timer(w->loop, RECHECK_MS, true, on_recheck, NULL);
	return srv.wakeup_io && srv.recheck ? 0 : -1;
}

static void close_imap(struct worker *w)
{
	(void)w;
	evloop_del_io(srv.wakeup_io);
	evloop_del_timer(srv.recheck);
	wakeup_close(srv.wakeup);
	imap_auth_close();    /* its check threads watch the loop */
	imap_claims_close(&srv.claims);
	store_close(srv.store);
	free(srv.set.unixgwy);
}

static const struct worker_ops imap_worker = {
	.prog = "imap4srv",
	.service = "imap",
	.tls_service = "imap",
	.default_maxclt = 1000,
	.open = open_imap,
	.client = on_client,
	.close = close_imap,
};

int main(int argc, char **argv)
{
	return worker_run(&srv.w, &imap_worker, &srv, argc, argv, usage_text);
}
