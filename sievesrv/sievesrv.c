/*
 * sievesrv.c - the ManageSieve worker (RFC 5804): persons upload, list,
 * fetch and activate their Sieve scripts (sieve.h, store_sieve.h), which
 * postman runs at delivery.  Clients are handed over by iolistener
 * (service "sieve", port 4190) or, for development and tests, accepted
 * on --listen addresses.  The loop, TLS, hand-off and shutdown are
 * libcommon's worker skeleton (worker.h).  See sievesrv(8).
 *
 *   sievesrv.c      main, settings
 *   msv_conn.c      a connection on libcommon/client_conn.h, replies
 *   msv_args.c      a command's arguments: atoms, quoted strings, literals
 *   msv_cmd.c       the dispatch, CAPABILITY, NOOP, LOGOUT, UNAUTHENTICATE
 *   msv_auth.c      AUTHENTICATE (SASL PLAIN), STARTTLS
 *   msv_script.c    LISTSCRIPTS, GETSCRIPT, CHECKSCRIPT, HAVESPACE
 *   msv_write.c     PUTSCRIPT, SETACTIVE, DELETESCRIPT, RENAMESCRIPT
 */
#include "msv.h"

#include "config.h"
#include "log.h"
#include "store.h"

#include <stdio.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: sievesrv [OPTIONS] [--listen ADDR:PORT]\n"
    "ManageSieve worker of ems (RFC 5804); normally started by the guardian,\n"
    "which has the iolistener hand it clients.\n\n"
    "%s"
    "  --listen ADDR:PORT      accept clients here directly (development, tests)\n";

static struct msv_server srv;

static void on_client(struct worker *w, int fd, const struct worker_peer *peer, unsigned flags)
{
	(void)w;
	msv_client_new(&srv, fd, peer, flags);
}

static void read_settings(void)
{
	struct msv_settings *set = &srv.set;
	const struct ems_config *cfg = srv.w.cfg;
	set->implementation = config_str(cfg, "sieve.implementation");
	set->idle_timeout_s = (unsigned)config_int(cfg, "sieve.idle_timeout_s");
	set->max_errors = (unsigned)config_int(cfg, "sieve.max_errors");
	set->max_scripts = (unsigned)config_int(cfg, "sieve.max_scripts");
	set->max_line = (size_t)config_int(cfg, "sieve.max_line");
	set->plaintextmincipher = (int)config_int(cfg, "auth.plaintextmincipher");
	if (gethostname(srv.hostname, sizeof srv.hostname - 1) < 0 || !srv.hostname[0])
		snprintf(srv.hostname, sizeof srv.hostname, "localhost");
}

static int open_sieve(struct worker *w)
{
	read_settings();
	srv.store = store_open_loop(w->cfg);
	if (srv.store == NULL)
		return -1;
	srv.auth = auth_from_config(w->cfg, srv.store, NULL);
	return srv.auth != NULL ? 0 : -1;
}

static void close_sieve(struct worker *w)
{
	(void)w;
	auth_pool_free(srv.auth_pool);
	auth_free(srv.auth);
	store_close(srv.store);
}

static const struct worker_ops sieve_worker = {
	.prog = "sievesrv",
	.service = "sieve",
	.tls_service = "sieve",
	.default_maxclt = 200,
	.open = open_sieve,
	.client = on_client,
	.close = close_sieve,
};

int main(int argc, char **argv)
{
	return worker_run(&srv.w, &sieve_worker, &srv, argc, argv, usage_text);
}
