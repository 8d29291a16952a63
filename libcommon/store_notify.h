/*
 * store_notify.h - change notices between ems nodes through the shared
 * PostgreSQL database (LISTEN/NOTIFY), for the notify relay
 * (notifyrelay(8)).
 *
 * On one machine a writer wakes readers with wakeup.h's datagrams.  With
 * the store in PostgreSQL, readers on other machines must hear of the
 * change too: each node's relay forwards its local wake-ups as
 * notifications on the database channel "ems_<CHANNEL>" (CHANNEL a
 * wakeup.h channel: "wakeup", "submission", "outbound"), each carrying
 * "<node>:<id>", and hands the notifications of other nodes back to its
 * local readers.  This module is the SQL half of that: one libpq
 * connection, its LISTENs and NOTIFYs, and the fd to watch.
 *
 * Every call blocks until the server answers (a NOTIFY is one round
 * trip); the relay is a process of its own, so nothing else waits.  A
 * call that fails leaves the connection in whatever state libpq reports:
 * store_notify_ok() says whether it is still usable, and a lost one is
 * closed and connected anew by the caller.  Nothing here logs: the
 * caller decides how often an outage is worth a line.
 */
#ifndef EMS_STORE_NOTIFY_H
#define EMS_STORE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest channel and node names a notice carries (longer ones are
 * refused when sent and dropped when received). */
#define STORE_NOTIFY_CHANNEL_MAX 32
#define STORE_NOTIFY_NODE_MAX    64
/* Seconds a connection attempt may take unless the conninfo says
 * otherwise (connect_timeout). */
#define STORE_NOTIFY_CONNECT_TIMEOUT_S 10

struct store_notify;

/* One notification received: from NODE, on CHANNEL, about ID. */
struct store_notice {
	char channel[STORE_NOTIFY_CHANNEL_MAX];
	char node[STORE_NOTIFY_NODE_MAX];
	int64_t id;
};

/*
 * Connects to the database of CONNINFO (a libpq connection string or
 * URI).  Returns the connection, or NULL with the server's or libpq's
 * reason in ERR (one line, ERRSZ bytes at most).
 */
struct store_notify *store_notify_connect(const char *conninfo, char *err, size_t errsz);

/* Closes the connection; NULL is ignored. */
void store_notify_close(struct store_notify *sn);

/* True while the connection is usable. */
bool store_notify_ok(const struct store_notify *sn);

/* The last error of SN as one line ("" when none). */
const char *store_notify_error(const struct store_notify *sn);

/* The socket to watch for readability (notifications, or the server
 * going away); -1 once the connection is lost. */
int store_notify_fd(const struct store_notify *sn);

/* Subscribes to CHANNEL's notices.  Returns 0 or -1. */
int store_notify_listen(struct store_notify *sn, const char *channel);

/* Most ids one store_notify_send() takes. */
#define STORE_NOTIFY_SEND_MAX 64

/* Sends "ID changed" on CHANNEL from NODE for each of the N ids of IDS
 * (1 to STORE_NOTIFY_SEND_MAX), in one round trip, to every node
 * listening (the sender's own connection included).  Returns 0 or -1. */
int store_notify_send(struct store_notify *sn, const char *channel, const char *node,
                      const int64_t *ids, size_t n);

/*
 * Reads what the server has sent and returns up to MAX pending notices
 * in OUT; never waits.  Returns the number stored (0 when none), or -1
 * when the connection is lost.  Notices of unknown form are skipped.
 * Call it again while it returns MAX, and after store_notify_send() and
 * store_notify_listen() too: libpq takes in notices that arrive while it
 * waits for an answer, and those no longer make the fd readable.
 */
int store_notify_read(struct store_notify *sn, struct store_notice *out, size_t max);

#endif
