/*
 * notifyrelay.h - the notify relay: one per node when the store is in
 * PostgreSQL, carrying wake-ups (wakeup.h) between the nodes through the
 * database's LISTEN/NOTIFY (store_notify.h).  See notifyrelay(8).
 *
 *   notifyrelay.c   main: the daemon skeleton (daemon.h), the local
 *                   listener sockets, local -> database
 *   relay_link.c    the database connection: connect with back-off, an
 *                   outage logged once, database -> local, "look" after
 *                   an outage
 */
#ifndef EMS_NOTIFYRELAY_H
#define EMS_NOTIFYRELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct evloop;

/* The channels relayed: every wakeup.h channel. */
extern const char *const relay_channels[];
#define RELAY_CHANNELS 3

/* Seconds between connection attempts: doubled after each failure from
 * the first to the last, then kept; while connected, how often the
 * connection is looked at. */
#define RELAY_RETRY_FIRST_S 1
#define RELAY_RETRY_LAST_S  30
#define RELAY_CHECK_S       30

struct relay_settings {
	const char *conninfo;     /* store.conninfo */
	const char *node;         /* this node's name, in every notice */
	const char *run_dir;
	char self[32];            /* our listener name: "notifyrelay01" */
};

/* The relay's settings, filled by notifyrelay.c's setup. */
extern struct relay_settings relay_set;

/*
 * Connects when not connected (the daemon's timer, and at start): on
 * success LISTENs on every channel and sends the "look" (id 0) to every
 * local listener and to the other nodes, since wake-ups were lost while
 * there was no connection; on failure logs once per outage and sets the
 * next try further off.  Connected, it looks whether the link still
 * lives.  LOOP gets the connection's fd.
 */
void relay_link_tick(struct daemon *d);

/* Forwards the N local wake-ups IDS (at most STORE_NOTIFY_SEND_MAX) of
 * CHANNEL to the other nodes in one round trip; drops them while there
 * is no connection (the "look" at reconnection covers them). */
void relay_link_forward(struct daemon *d, const char *channel, const int64_t *ids, size_t n);

/* One connection attempt and its LISTENs (--once).  Returns 0 or -1
 * (logged). */
int relay_link_check(void);

/* Closes the connection (at exit). */
void relay_link_close(void);

#endif
