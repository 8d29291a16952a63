/*
 * wakeup.h - tells every interested process that a mailbox changed.
 *
 * After a commit that changes a mailbox (a delivery, an APPEND, a flag
 * change, an expunge), the writer calls wakeup_mailbox().  Processes that
 * keep sessions open on mailboxes (imap4srv for IDLE and untagged updates,
 * pop3srv for nothing yet) create a wakeup listener: a unix datagram socket
 * in <run_dir>/wakeup/, whose fd they add to their event loop.  Each
 * datagram names one mailbox id; the listener drains them with
 * wakeup_read().  No polling, no shared memory; a process that is not
 * running simply has no socket (a stale socket is removed on first send
 * failure with ECONNREFUSED).
 *
 * Delivery is best effort: a full socket buffer drops the datagram, which
 * is fine because readers re-check the store when they wake up anyway and
 * also check on their own timer.
 *
 * Across machines (the store in PostgreSQL) the notify relay,
 * notifyrelay(8), listens on every channel like a reader and carries the
 * wake-ups to the other nodes and theirs back; writers and readers here
 * stay as they are.
 */
#ifndef EMS_WAKEUP_H
#define EMS_WAKEUP_H

#include <stddef.h>
#include <stdint.h>

struct wakeup_listener;

/*
 * Creates the listener socket <run_dir>/wakeup/<name>.sock (NAME such as
 * "imap4srv01"), non-blocking and close-on-exec, replacing a stale one.
 * Returns NULL after logging the reason.
 */
struct wakeup_listener *wakeup_listen(const char *run_dir, const char *name);

/* The fd to watch for EV_READ. */
int wakeup_fd(const struct wakeup_listener *l);

/*
 * Reads pending notifications into IDS (at most MAX); returns how many
 * (0 when none are pending), never blocks.
 */
size_t wakeup_read(struct wakeup_listener *l, int64_t *ids, size_t max);

/* Closes the socket and removes its file. */
void wakeup_close(struct wakeup_listener *l);

/*
 * Sends MAILBOX_ID to every listener in <run_dir>/wakeup/.  Returns the
 * number of listeners reached; failures are logged at debug level only,
 * since a missing reader is normal.
 */
int wakeup_mailbox(const char *run_dir, int64_t mailbox_id);

/*
 * The same mechanism on another channel: a directory <run_dir>/<CHANNEL>/
 * of its own, so that notices of one kind reach only the processes that
 * want them.  ems uses WAKEUP_CHANNEL_SUBMISSION (smtpgw -> postman: new
 * mail queued) and WAKEUP_CHANNEL_OUTBOUND (postman -> smtpgw: mail to
 * send out); the number sent is the queue item id (0: "look").  Return
 * values as wakeup_listen() and wakeup_mailbox().
 */
#define WAKEUP_CHANNEL_MAILBOX    "wakeup"   /* wakeup_mailbox()'s own */
#define WAKEUP_CHANNEL_SUBMISSION "submission"
#define WAKEUP_CHANNEL_OUTBOUND   "outbound"

struct wakeup_listener *wakeup_listen_on(const char *run_dir, const char *channel,
                                         const char *name);
int wakeup_send(const char *run_dir, const char *channel, int64_t id);

/*
 * wakeup_send() to every listener of CHANNEL but the one named EXCEPT (a
 * NAME given to wakeup_listen_on()): the notify relay hands on what
 * other nodes sent without hearing it back.  EXCEPT NULL excludes none.
 */
int wakeup_send_except(const char *run_dir, const char *channel, int64_t id,
                       const char *except);

#endif
