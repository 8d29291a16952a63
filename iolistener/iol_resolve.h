/*
 * iol_resolve.h - the client host-name lookups of the access filters,
 * off the event loop.  A lookup is a reverse lookup of the client's
 * address followed by a forward lookup of the name found, which must give
 * the address back (otherwise the name is not trusted).  The resolver
 * library blocks, so lookups run as jobs on libcommon's pool
 * (store_pool.h, without a store), which hands the results back to the
 * loop: the process has no thread of its own.  Each lookup has a deadline on the
 * loop: when it passes, the caller is answered "no name" at once and the
 * late result is thrown away, so a slow DNS server never holds up the
 * client longer than the deadline, nor any other client at all.
 */
#ifndef IOL_RESOLVE_H
#define IOL_RESOLVE_H

#include "access_filter.h"

#include <sys/socket.h>

/* Pool threads, and lookups that may wait for one (beyond that a
 * client is decided without a name, logged). */
#define IOL_RESOLVE_THREADS 4
#define IOL_RESOLVE_QUEUE_MAX 1024

struct evloop;
struct iol_resolver;
struct iol_lookup;

/* The answer: STATE is ACCESS_HOST_VERIFIED (HOSTNAME is the name),
 * ACCESS_HOST_MISMATCH (HOSTNAME is the name the address claimed) or
 * ACCESS_HOST_NONAME (HOSTNAME is ""; also after the deadline).
 * HOSTNAME is valid during the call only. */
typedef void iol_resolved_cb(void *arg, enum access_host_state state,
                             const char *hostname);

/* Starts the pool's threads (after the loop took its signals, so the
 * threads never see them).  Returns the resolver or NULL (logged). */
struct iol_resolver *iol_resolver_new(struct evloop *loop);

/*
 * Looks up PEER (LEN bytes) within TIMEOUT_MS and calls CB(ARG, ...)
 * from the loop exactly once, unless cancelled first.  Returns the
 * lookup, or NULL when the queue is full or memory ran out (logged; CB
 * is not called then).
 */
struct iol_lookup *iol_resolve_start(struct iol_resolver *r,
                                     const struct sockaddr *peer,
                                     socklen_t len, unsigned timeout_ms,
                                     iol_resolved_cb *cb, void *arg);

/* Forgets lookup LK: CB will not be called.  NULL is ignored. */
void iol_resolve_cancel(struct iol_resolver *r, struct iol_lookup *lk);

/* Stops the threads and frees R; a thread still inside a lookup
 * finishes it first (the resolver's own timeouts bound that).  NULL is
 * ignored. */
void iol_resolver_free(struct iol_resolver *r);

#endif
