/*
 * handoff.h - how iolistener gives accepted client sockets to the
 * pop3srv and imap4srv workers.
 *
 * The listener owns a SOCK_SEQPACKET unix socket, <run_dir>/handoff.sock.
 * Each worker instance connects to it, registers (service, instance,
 * flags, maxclt) and reports its load whenever its number of clients
 * changes.  For each accepted client the listener picks the least-loaded
 * worker of the client's service that has room and sends it the socket
 * (SCM_RIGHTS, fdpass.h) together with the peer and local addresses and
 * the flags of the listening socket the client came in on.
 *
 * SSL: a worker registered with flags bit 64 (PROC_FLAG_SSL) is dedicated
 * to clients of SSL listeners, a worker without it to plain ones, as in
 * the seeds' process table.  When a service has no registered worker of
 * the matching kind at all, any worker of the service takes the client;
 * the worker starts TLS from the client's flags, not its own.
 *
 * Messages are typed records with a protocol version (handoff_wire.h);
 * each side handles them in one switch, and a record of the wrong
 * version or type, or malformed, drops the peer that sent it.
 *
 * A worker whose connection closes (it died) stops receiving clients at
 * once.  The worker side reconnects with a backoff when the listener is
 * absent or restarts, and registers again.
 *
 * handoff_worker.c holds the worker side, handoff_listener.c the
 * listener side, handoff_wire.c the records.
 */
#ifndef EMS_HANDOFF_H
#define EMS_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct evloop;

/* File name of the listener's socket inside the run directory. */
#define HANDOFF_SOCKET_NAME "handoff.sock"
/* Longest service name ("pop", "imap"), terminator excluded. */
#define HANDOFF_SERVICE_MAX 15

/* One client as a worker receives it. */
struct handoff_client {
	int fd;                          /* the client's socket, non-blocking,
	                                    close-on-exec; the callback owns it */
	const char *service;             /* "pop", "imap" */
	unsigned flags;                  /* the listener's flags (bit 64: the
	                                    client expects implicit TLS) */
	struct sockaddr_storage peer;    /* the client's address */
	socklen_t peer_len;              /* 0 when unknown */
	struct sockaddr_storage local;   /* the address it connected to */
	socklen_t local_len;             /* 0 when unknown */
};

/* ---------------------------------------------------------------- worker */

struct handoff_worker;

/*
 * Called from the loop for each client the listener sends.  The callback
 * owns C->fd from then on and must close it (for instance at once, after
 * writing a refusal, when it has no room).  C is valid only during the
 * call.
 */
typedef void handoff_client_cb(const struct handoff_client *c, void *arg);

/*
 * Starts the worker side: connects to RUN_DIR/handoff.sock through LOOP
 * and registers as SERVICE ("pop", "imap") instance INSTANCE with FLAGS
 * and room for MAXCLT clients; each received client goes to CB with ARG.
 * A listener that is absent or goes away is retried in the background
 * with a growing delay (HANDOFF_RETRY_MIN_MS to HANDOFF_RETRY_MAX_MS),
 * and the worker registers again, with its current load, on each new
 * connection; that is logged, never fatal.  Returns the handle, or NULL
 * after logging why (bad arguments, a run directory path too long for a
 * unix socket, out of memory).
 */
struct handoff_worker *handoff_worker_open(struct evloop *loop,
                                           const char *run_dir,
                                           const char *service, int instance,
                                           unsigned flags, unsigned maxclt,
                                           handoff_client_cb *cb, void *arg);

#define HANDOFF_RETRY_MIN_MS 100
/* A connect to a unix socket is cheap, and every second a restarted
 * listener goes without its workers is a second of "unavailable". */
#define HANDOFF_RETRY_MAX_MS 1000

/*
 * Tells the listener the worker now serves NCLIENTS clients.  Call it
 * from the client callback after taking (or refusing) the client, and
 * whenever a client ends; a report that changes nothing is not sent, so
 * calling it often (from a timer) is cheap.  After each callback the
 * listener is also told that the client arrived, so a client the
 * callback refused without reporting still frees its place.  Returns 0
 * when the report was sent, not needed, or kept for the next
 * registration while disconnected; -1 (logged) only when the connection
 * failed, which also starts a reconnection.
 */
int handoff_worker_load(struct handoff_worker *w, unsigned nclients);

/* Writes C's peer address as "192.0.2.7:4242" or "[2001:db8::7]:4242"
 * ("unknown" when it has none) into BUF (CAP bytes, terminated). */
void handoff_peer_text(const struct handoff_client *c, char *buf, size_t cap);

/* True while the listener has acknowledged the registration. */
bool handoff_worker_registered(const struct handoff_worker *w);

/* Disconnects (the listener stops sending at once) and frees W; NULL is
 * ignored. */
void handoff_worker_close(struct handoff_worker *w);

/* -------------------------------------------------------------- listener */

struct handoff_listener;

/*
 * Creates RUN_DIR/handoff.sock (replacing a stale one; mode 0660) and
 * accepts workers on it through LOOP.  Returns the listener, or NULL
 * after logging why.
 */
struct handoff_listener *handoff_listener_open(struct evloop *loop,
                                               const char *run_dir);

enum handoff_result {
	HANDOFF_SENT,       /* a worker has the client */
	HANDOFF_NO_WORKER,  /* no worker of the service is registered */
	HANDOFF_BUSY,       /* every worker of the service is full */
};

/*
 * Gives client FD of SERVICE, accepted on a listener with FLAGS, to the
 * least-loaded registered worker of the service with room (see the SSL
 * rule above); PEER / LOCAL (lengths may be 0) travel with it.  A worker
 * whose socket fails is dropped and the next one is tried.  The caller
 * keeps FD and closes it in every case (the worker has its own copy after
 * HANDOFF_SENT).  When WORKER is not NULL, it receives the chosen
 * worker's "service#instance" (WORKER_CAP bytes, terminated) for the log.
 * Cannot fail otherwise.
 */
enum handoff_result handoff_listener_send(struct handoff_listener *l,
                                          const char *service, unsigned flags,
                                          int fd,
                                          const struct sockaddr *peer,
                                          socklen_t peer_len,
                                          const struct sockaddr *local,
                                          socklen_t local_len,
                                          char *worker, size_t worker_cap);

/* Number of registered workers of SERVICE (all of them when NULL). */
size_t handoff_listener_workers(const struct handoff_listener *l,
                                const char *service);

/* Closes every worker connection and the socket (which is removed) and
 * frees L; NULL is ignored. */
void handoff_listener_close(struct handoff_listener *l);

/* "sent", "no_worker", "busy", for log fields. */
const char *handoff_result_name(enum handoff_result r);

#endif
