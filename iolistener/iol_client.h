/*
 * iol_client.h - what the iolistener does with one accepted client:
 * checks it against the access filters (looking its host name up first
 * when a filter needs it, without holding up anyone else), then hands it
 * to a worker of its service, or refuses it with its protocol's line and
 * closes it.  Every decision is logged with the filter that made it.
 */
#ifndef IOL_CLIENT_H
#define IOL_CLIENT_H

#include <sys/socket.h>

/* Clients that may wait for a host-name lookup at once; more are decided
 * without a name (logged), never queued without bound. */
#define IOL_CLIENT_WAITING_MAX 1024

struct iol;
struct iol_socket;

/* Takes accepted client FD (the callee's from now on) that came in on S
 * from PEER.  Cannot fail: every outcome is logged. */
void iol_client_accepted(struct iol *iol, const struct iol_socket *s, int fd,
                         const struct sockaddr *peer, socklen_t peer_len);

/* Closes every client still waiting for a lookup (at shutdown). */
void iol_client_close_all(struct iol *iol);

#endif
