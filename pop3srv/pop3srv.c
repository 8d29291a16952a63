/*
 * pop3srv.c - the POP3 worker: one event loop serving up to maxclt
 * clients, handed over by iolistener (or, for development and tests,
 * accepted on its own --listen addresses).  The loop, signals, TLS
 * context, hand-off, maxclt and shutdown are libcommon's worker skeleton
 * (worker.h); this file gives it POP3's part: the settings, the store
 * and the authenticator.  See pop3srv(8).
 *
 *   pop3srv.c          main, settings
 *   pop3_conn.c        a connection: what POP3 adds to libcommon/client_conn.c
 *   pop3_cmd.c         the command parser (pure)
 *   pop3_session.c     the state machine and the TRANSACTION commands
 *   pop3_cmd_auth.c    USER/PASS, APOP, AUTH, STLS
 *   pop3_maildrop.c    the maildrop: lock, messages, UPDATE
 *   pop3_retr.c        RETR and TOP, streamed
 *   pop3_xtnd.c        XTND CLIENT / LOGLEVEL / STATS / SHUTDOWN
 */
#include "auth.h"
#include "config.h"
#include "log.h"
#include "pop3_client.h"
#include "pop3_server.h"
#include "store.h"
#include "worker.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: pop3srv [OPTIONS] [--listen ADDR:PORT] [--listen-tls ADDR:PORT]\n"
    "POP3 worker of ems; normally started by the guardian, which has the\n"
    "iolistener hand it clients.\n\n"
    "%s"
    "  --listen ADDR:PORT      accept clients here directly (development, tests)\n"
    "  --listen-tls ADDR:PORT  the same with implicit TLS (POP3S)\n";

static struct pop3_server srv;

static void on_client(struct worker *w, int fd, const struct worker_peer *peer, unsigned flags)
{
	(void)w;
	pop3_client_new(&srv, fd, peer, flags);
}

static void read_settings(void)
{
	struct pop3_settings *set = &srv.set;
	const struct ems_config *cfg = srv.w.cfg;
	set->banner = config_str(cfg, "pop3.banner");
	set->idle_timeout_s = (unsigned)config_int(cfg, "pop3.idle_timeout_s");
	set->max_errors = (unsigned)config_int(cfg, "pop3.max_errors");
	set->max_line = (size_t)config_int(cfg, "pop3.max_line");
	set->plaintextmincipher = (int)config_int(cfg, "auth.plaintextmincipher");
	if (gethostname(srv.hostname, sizeof srv.hostname - 1) < 0 || !srv.hostname[0])
		snprintf(srv.hostname, sizeof srv.hostname, "localhost");
}

static int open_pop3(struct worker *w)
{
	read_settings();
	srv.store = store_open_loop(w->cfg);
	if (srv.store == NULL)
		return -1;
	srv.auth = auth_from_config(w->cfg, srv.store, NULL);
	srv.started = time(NULL);
	return srv.auth != NULL ? 0 : -1;
}

static void close_pop3(struct worker *w)
{
	(void)w;
	auth_pool_free(srv.auth_pool);   /* watches the loop too */
	auth_free(srv.auth);
	store_close(srv.store);
}

static const char *start_fields(const struct worker *w)
{
	(void)w;
	return srv.auth != NULL && auth_settings(srv.auth)->retrievable_secrets ? "apop=yes"
	                                                                         : "apop=no";
}

static const struct worker_ops pop3_worker = {
	.prog = "pop3srv",
	.service = "pop",
	.tls_service = "pop3",
	.default_maxclt = 1000,
	.open = open_pop3,
	.client = on_client,
	.close = close_pop3,
	.start_fields = start_fields,
};

int main(int argc, char **argv)
{
	return worker_run(&srv.w, &pop3_worker, &srv, argc, argv, usage_text);
}
