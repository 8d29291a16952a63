/*
 * iol_sockets.h - the listening sockets of the iolistener.  It never
 * binds a port: the guardian (or systemd, under socket activation) passes
 * the sockets from descriptor 3 on with LISTEN_FDS, LISTEN_PID and
 * LISTEN_FDNAMES.  Each socket is told apart by its local address, which
 * is looked up in ems.conf's `listeners` to learn its service and flags;
 * a socket no entry describes is identified by its name (pop, imap,
 * lmtp) or its well-known port (110, 995, 143, 993) and otherwise left
 * unserved (logged).
 *
 * Accepting runs on the event loop; when the process runs out of
 * descriptors, accepting pauses for IOL_ACCEPT_PAUSE_MS instead of
 * spinning.
 */
#ifndef IOL_SOCKETS_H
#define IOL_SOCKETS_H

#include <sys/socket.h>

#define IOL_SOCKETS_MAX 64
#define IOL_SERVICE_MAX 15
/* Clients taken per readiness event of one socket, so that a flood on
 * one port cannot starve the others. */
#define IOL_ACCEPT_BATCH 64
#define IOL_ACCEPT_PAUSE_MS 1000

struct ems_config;
struct iol;
struct iol_sockets;

/* One listening socket as the rest of the program sees it. */
struct iol_socket {
	int fd;
	char service[IOL_SERVICE_MAX + 1];   /* "" while not identified */
	unsigned flags;                       /* bit 64: implicit TLS */
	char where[64];                       /* "127.0.0.1:1143" for the log */
	struct ev_io *io;
	struct iol_sockets *owner;
};

/* Called for each accepted client: FD (non-blocking, close-on-exec) is
 * the callee's. */
typedef void iol_accept_cb(struct iol *iol, const struct iol_socket *s,
                           int fd, const struct sockaddr *peer,
                           socklen_t peer_len);

/*
 * Takes the passed sockets (and removes the LISTEN_* variables from the
 * environment), identifies them from CFG and starts accepting on those
 * identified, calling CB.  Returns the set, or NULL after logging why:
 * no socket was passed, none could be identified, or the loop failed.
 */
struct iol_sockets *iol_sockets_open(struct iol *iol, const struct ems_config *cfg,
                                     iol_accept_cb *cb);

/* Identifies the sockets again from CFG (a refresh: flags may have
 * changed); a socket CFG no longer describes keeps what it had.  Cannot
 * fail. */
void iol_sockets_identify(struct iol_sockets *ss, const struct ems_config *cfg);

/* Closes every socket and frees SS; NULL is ignored. */
void iol_sockets_close(struct iol_sockets *ss);

#endif
