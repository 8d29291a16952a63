/*
 * worker.h - the skeleton every protocol worker runs on (imap4srv,
 * pop3srv, smtpgw's LMTP server): one event loop, its signals, the
 * service's TLS context, the heartbeat and counters, the ways clients
 * arrive (the iolistener hand-off, --listen sockets, sockets of the
 * protocol's own), maxclt with the "busy" refusal, the load reports,
 * refresh and the orderly shutdown.  The protocol gives a small table of
 * worker_ops and keeps only its protocol: what a new client is, what its
 * own resources are.
 *
 * Life of a worker (worker_main()):
 *   loop, signals, stats, TLS  ->  the store pool  ->  ops->open
 *   ->  --listen sockets or the hand-off  ->  loop  ->  the pool drained
 *   ->  every client freed  ->  ops->close (the protocol's resources)
 *   ->  the pool freed  ->  the rest.
 *
 * The store pool (store_pool.h, sized by the instance's --pool or else
 * ems.conf's store.pool or store.threads) is where
 * the protocol's store writes run, never on the loop; the protocol
 * submits to w->pool.  Draining it before the goodbyes of a shutdown
 * gives every command whose job is running its answer first.
 *
 * Signals: SIGHUP is the guardian's refresh (oomgr refresh NAME): the log
 * is reopened and ems.conf re-read for the log level; other settings are
 * read at start only.  SIGTERM and SIGINT shut down in order: no new
 * client is taken (the listening sockets close, iolistener is left, so
 * it sends clients to the other instances), each client gets its
 * protocol's goodbye (client_conn_ops.goodbye) and is closed once that is
 * out; the loop ends when the last one has gone, or after
 * WORKER_SHUTDOWN_MS at the latest.
 */
#ifndef EMS_WORKER_H
#define EMS_WORKER_H
#include "client_conn.h"
#include "config.h"
#include "evloop.h"
#include "params.h"
#include "tcp_listen.h"
#include "tls.h"
#include <stdbool.h>
#include <stdint.h>
/* Listening sockets of one worker at the most (--listen, --listen-tls,
 * the protocol's own). */
#define WORKER_LISTENERS_MAX 8
/* The longest an orderly shutdown waits for clients to take their
 * goodbye; below the guardian's shutdown timeout, so a worker ends on
 * its own. */
#define WORKER_SHUTDOWN_MS 3000
struct handoff_worker;
struct store_pool;
struct worker;
/* Where a client comes from. */
struct worker_peer {
	char text[TCP_PEER_TEXT_MAX];   /* "192.0.2.7:4242", "local" (unix socket) */
	char addr[TCP_PEER_TEXT_MAX];   /* the address alone, for limits */
	bool local;                     /* a unix socket: no TLS offered */
};
struct worker_ops {
	const char *prog;        /* "imap4srv": log, statistics, worker name */
	const char *service;     /* "imap", "pop", "lmtp": iolistener's service
	                            name and the refusal lines (refusal.h) */
	const char *tls_service; /* tls_server_for_service(): "imap", "pop3" */
	unsigned default_maxclt; /* when the process table gives none */
	/* The protocol's own resources (store, authenticator, sockets of its
	 * own through worker_listen_*()), once the loop, TLS context and
	 * statistics run.  0, or -1 (logged): the worker exits. */
	int (*open)(struct worker *w);
	/* A client the worker has room for: the protocol owns FD (non-
	 * blocking) from now on, puts it on w->clients or closes it.
	 * FLAGS are its listener's (PROC_FLAG_SSL: implicit TLS). */
	void (*client)(struct worker *w, int fd, const struct worker_peer *peer,
	               unsigned flags);
	/* Frees the protocol's resources, after the worker freed every
	 * client left (client_conn_ops.free), while the loop still exists.
	 * Called even when open failed half-way. */
	void (*close)(struct worker *w);
	/* The start-up line's extra fields ("apop=yes"), or NULL. */
	const char *(*start_fields)(const struct worker *w);
};
/* One worker process.  The protocol's server struct embeds it; PROTO
 * points back to that struct for the callbacks. */
struct worker {
	const struct worker_ops *ops;
	void *proto;                  /* the protocol's server, for its callbacks */
	struct evloop *loop;
	struct ems_config *cfg;
	struct proc_params params;
	const char *run_dir;
	struct tls_server *tls;       /* the service's, NULL without a certificate */
	struct store_pool *pool;      /* store writes of the protocol's jobs */
	struct client_list clients;
	unsigned maxclt;
	char name[32];                /* "imap4srv01": sessions, wake-ups */
	/* the skeleton's own */
	uint64_t sessions;            /* numbers the sessions */
	struct handoff_worker *handoff;
	struct tcp_listener *listeners[WORKER_LISTENERS_MAX];
	int nlisteners;
	bool stopping;                /* no new clients; the loop ends when empty */
	struct ev_timer *stop_timer;
};
/*
 * The whole main() of a worker: program_start() with USAGE (a printf
 * format with one %s for the common options), then worker_main().
 * Returns the exit code.
 */
int worker_run(struct worker *w, const struct worker_ops *ops, void *proto, int argc,
               char **argv, const char *usage);
/*
 * A worker whose parameters P and ems.conf CFG (the worker owns it from
 * now on and frees it) are already read: runs it to the end as described
 * above.  ARGV[NEXT] to ARGV[ARGC - 1] are --listen / --listen-tls
 * options; without them (and without sockets of the protocol's own
 * unless ems.conf's listeners name the service) clients come from
 * iolistener.  Returns the exit code.
 */
int worker_main(struct worker *w, const struct worker_ops *ops, void *proto,
                const struct proc_params *p, struct ems_config *cfg, int argc, char **argv,
                int next);
/* For ops->open: listens on ADDRESS:PORT (numeric) or on the unix
 * socket PATH (MODE) of the protocol's own.  0, or -1 (logged). */
int worker_listen_tcp(struct worker *w, const char *address, long long port);
int worker_listen_unix(struct worker *w, const char *path, unsigned mode);
/* The next session name, "imap4srv01.17", into OUT (CAP bytes). */
void worker_session_name(struct worker *w, char *out, size_t cap);
/* The guardian's refresh (SIGHUP): reopens the log (logrotate) and
 * sets the log level ems.conf (or the process table) names now; an
 * ems.conf that does not load is logged and changes nothing. */
void worker_refresh(struct worker *w);
/*
 * Stops taking clients (listeners closed, iolistener left) and ends the
 * loop once the last client has gone.  With GOODBYE, every client is
 * told so in its protocol and closed, and WORKER_SHUTDOWN_MS bounds the
 * wait; without (POP3's XTND SHUTDOWN), clients finish their sessions.
 * Either way the store pool is drained first: jobs running or queued
 * finish and their commands are answered.
 */
void worker_shutdown(struct worker *w, bool goodbye);
#endif
