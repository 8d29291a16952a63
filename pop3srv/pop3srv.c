/*
 * pop3srv.c - the POP3 worker: one event loop serving up to maxclt
 * clients, handed over by iolistener (or, for development and tests,
 * accepted on its own --listen addresses).  main() reads the parameters
 * and ems.conf, opens the store, the authenticator and the TLS context,
 * and runs the loop.  See pop3srv(8).
 *
 *   pop3srv.c          main, settings, signals, arriving clients
 *   pop3_conn.c        a connection: what POP3 adds to libcommon/client_conn.c
 *   pop3_cmd.c         the command parser (pure)
 *   pop3_session.c     the state machine and the TRANSACTION commands
 *   pop3_cmd_auth.c    USER/PASS, APOP, AUTH, STLS
 *   pop3_maildrop.c    the maildrop: lock, messages, UPDATE's changes
 *   pop3_quit.c        QUIT: the UPDATE state on the store pool
 *   pop3_retr.c        RETR and TOP, streamed
 *   pop3_xtnd.c        XTND CLIENT / LOGLEVEL / STATS / SHUTDOWN
 */
#include "config.h"
#include "evloop.h"
#include "handoff.h"
#include "log.h"
#include "params.h"
#include "pop3_client.h"
#include "pop3_server.h"
#include "program.h"
#include "stats.h"
#include "store.h"
#include "store_pool.h"
#include "tcp_listen.h"
#include "tls.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROG "pop3srv"
/* When maxclt is 0. */
#define DEFAULT_MAXCLT 1000

static const char usage_text[] =
    "usage: pop3srv [OPTIONS] [--listen ADDR:PORT] [--listen-tls ADDR:PORT]\n"
    "POP3 worker of ems; normally started by the guardian, which has the\n"
    "iolistener hand it clients.\n\n"
    "%s"
    "  --listen ADDR:PORT      accept clients here directly (development, tests)\n"
    "  --listen-tls ADDR:PORT  the same with implicit TLS (POP3S)\n";

static struct pop3_server srv;

/* ---- clients arriving and leaving ---- */

static void refuse(int fd, unsigned flags, const char *why)
{
	static const char busy[] = "-ERR [SYS/TEMP] too many connections, try later\r\n";
	stats_inc(STAT_CONN_TOO_MANY);
	log_warn("pop3_connect", "error=%s maxclt=%u clients=%u", log_quote(why),
	         srv.set.maxclt, srv.clients.n);
	if (!(flags & PROC_FLAG_SSL) &&
	    send(fd, busy, sizeof busy - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("pop3_connect", "error=%s", log_quote(strerror(errno)));
	close(fd);
}

void pop3_server_accept(struct pop3_server *s, int fd, const char *peer, const char *addr,
                        unsigned flags)
{
	if (s->shutting_down) {
		refuse(fd, flags, "shutting down");
		return;
	}
	if (s->set.maxclt && s->clients.n >= s->set.maxclt) {
		refuse(fd, flags, "too many clients");
		return;
	}
	pop3_client_new(s, fd, peer, addr, flags);
	if (s->handoff != NULL)
		handoff_worker_load(s->handoff, s->clients.n);
}

void pop3_server_client_gone(struct pop3_server *s)
{
	if (s->handoff != NULL)
		handoff_worker_load(s->handoff, s->clients.n);
	if (s->shutting_down && s->clients.n == 0)
		evloop_stop(s->loop);
}

void pop3_server_shutdown(struct pop3_server *s)
{
	s->shutting_down = true;
	for (int i = 0; i < s->nlisteners; i++)
		tcp_listen_close(s->listeners[i]);
	s->nlisteners = 0;
	handoff_worker_close(s->handoff);
	s->handoff = NULL;
	log_info("pop3_shutdown", "clients=%u", s->clients.n);
	/* the client that asked is still connected: the loop stops when it
	 * and every other one have gone */
}

static void on_listen_accept(int fd, const char *peer, const struct sockaddr_storage *ss,
                             unsigned flags, void *arg)
{
	char addr[TCP_PEER_TEXT_MAX];
	tcp_addr_text(ss, NULL, 0, addr, sizeof addr);
	pop3_server_accept(arg, fd, peer, addr, flags);
}

static void on_handoff(const struct handoff_client *hc, void *arg)
{
	char peer[TCP_PEER_TEXT_MAX], addr[TCP_PEER_TEXT_MAX];
	if (hc->peer_len > 0) {
		tcp_addr_text(&hc->peer, peer, sizeof peer, addr, sizeof addr);
	} else {
		snprintf(peer, sizeof peer, "unknown");
		snprintf(addr, sizeof addr, "unknown");
	}
	pop3_server_accept(arg, hc->fd, peer, addr, hc->flags);
}

/* ---- start and stop ---- */

static void on_signal(int signo, void *arg)
{
	(void)arg;
	if (signo == SIGHUP) {
		log_reopen();
		log_info("pop3_reopen", NULL);
		return;
	}
	log_info("pop3_stop", "signal=%d clients=%u", signo, srv.clients.n);
	evloop_stop(srv.loop);
}

static void read_settings(const struct proc_params *p)
{
	struct pop3_settings *set = &srv.set;
	set->banner = config_str(srv.cfg, "pop3.banner");
	set->idle_timeout_s = (unsigned)config_int(srv.cfg, "pop3.idle_timeout_s");
	set->max_errors = (unsigned)config_int(srv.cfg, "pop3.max_errors");
	set->max_line = (size_t)config_int(srv.cfg, "pop3.max_line");
	set->plaintextmincipher = (int)config_int(srv.cfg, "auth.plaintextmincipher");
	set->maxclt = p->maxclt > 0 ? (unsigned)p->maxclt : DEFAULT_MAXCLT;
	if (gethostname(srv.hostname, sizeof srv.hostname - 1) < 0 || !srv.hostname[0])
		snprintf(srv.hostname, sizeof srv.hostname, "localhost");
}

/* The TLS context of the pop3 service (its own installed certificate,
 * or tls.certificate; SNI alternatives): STLS and implicit TLS need it;
 * without one pop3srv serves cleartext only (logged). */
static void open_tls(void)
{
	srv.tls = tls_server_for_service(srv.cfg, "pop3");
}

static int open_everything(const struct proc_params *p)
{
	struct auth_settings as;
	srv.store = store_open(config_path(srv.cfg, "store"),
	                       (int)config_int(srv.cfg, "store.busy_timeout_ms"));
	if (srv.store == NULL)
		return -1;
	auth_settings_read(srv.cfg, &as);
	srv.auth = auth_new(&as, srv.store);
	if (srv.auth == NULL)
		return -1;
	open_tls();
	srv.loop = evloop_new();
	if (srv.loop == NULL)
		return -1;
	if (program_add_signals(srv.loop, on_signal, NULL) < 0)
		return -1;
	snprintf(srv.name, sizeof srv.name, "%s%02d", PROG, p->instance);
	if (stats_open(srv.run_dir, PROG, p->instance) == 0)
		stats_heartbeat_start(srv.loop, STATS_HEARTBEAT_MS);
	srv.started = time(NULL);
	return 0;
}

static void close_everything(void)
{
	store_pool_drain(srv.pool);   /* UPDATEs in flight commit and are answered */
	while (srv.clients.head != NULL)
		pop3_client_free(srv.clients.head->client);
	for (int i = 0; i < srv.nlisteners; i++)
		tcp_listen_close(srv.listeners[i]);
	handoff_worker_close(srv.handoff);
	stats_close();        /* deletes its heartbeat timer: before the loop */
	auth_pool_free(srv.auth_pool);   /* watches the loop too */
	store_pool_free(srv.pool);
	evloop_free(srv.loop);
	tls_server_free(srv.tls);
	auth_free(srv.auth);
	store_close(srv.store);
	config_free(srv.cfg);
	log_close();
}

/* --listen / --listen-tls after the common parameters; without any, the
 * clients come from the iolistener. */
static int own_options(int argc, char **argv, int next, const struct proc_params *p)
{
	if (tcp_listen_options(srv.loop, argc, argv, next, srv.listeners, POP3_LISTENERS_MAX,
	                       &srv.nlisteners, on_listen_accept, &srv) < 0)
		return -1;
	if (srv.nlisteners > 0)
		return 0;
	srv.handoff = handoff_worker_open(srv.loop, srv.run_dir, "pop", p->instance, p->flags,
	                                  srv.set.maxclt, on_handoff, &srv);
	return srv.handoff ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct proc_params p;
	int next, rc;
	if ((rc = program_start(&p, argc, argv, &next, usage_text, PROG, &srv.cfg)) !=
	    PROGRAM_GO_ON)
		return rc;
	srv.run_dir = config_path(srv.cfg, "run_dir");
	read_settings(&p);
	int status = 1;
	if (open_everything(&p) == 0 && own_options(argc, argv, next, &p) == 0) {
		log_info("pop3_start", "instance=%d maxclt=%u tls=%s apop=%s", p.instance,
		         srv.set.maxclt, srv.tls ? "yes" : "no",
		         auth_settings(srv.auth)->retrievable_secrets ? "yes" : "no");
		status = evloop_run(srv.loop) == 0 ? 0 : 1;
	}
	close_everything();
	return status;
}
