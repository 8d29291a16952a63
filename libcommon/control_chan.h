/*
 * control_chan.h - a child's end of the guardian's control channel.
 *
 * The guardian creates a socketpair for every process it spawns and
 * leaves the child's end open across exec on the descriptor right after
 * the listening sockets (3 for a program without any), named in the
 * environment as EMS_CONTROL_FD.  Every other descriptor of the guardian
 * is close-on-exec.  Frames are ctlproto's (ctlproto.h), types
 * CTL_CHILD_*: the child says CTL_CHILD_HELLO once, then the guardian
 * sends requests, which the child's event loop reads:
 *
 *   shutdown   the program's stop handler, as SIGTERM would (it finishes
 *              and exits 0)
 *   refresh    the program's reload handler, as SIGHUP would (reopen the
 *              log, reread ems.conf where the program supports it)
 *   loglevel   log_set_level() at once
 *   run        the function given to control_chan_on_run(), if any
 *
 * GUARDIAN GONE.  Like a Postfix daemon whose master went away, a child
 * whose channel reaches end of file (the guardian died, even by SIGKILL)
 * logs guardian_gone and stops as on shutdown: a new guardian starts its
 * own children, and a worker without its supervisor would keep the store
 * and clients nobody restarts.  The guardian spawns every child with the
 * kernel's parent-death SIGKILL; control_chan_open() clears it, since
 * from then on the channel tells the child in good order.  A program
 * that never opens the channel (a script) keeps the SIGKILL.
 *
 * A frame of another type, or one that cannot be decoded, is a broken
 * channel: logged, and handled as the guardian gone.
 */
#ifndef EMS_CONTROL_CHAN_H
#define EMS_CONTROL_CHAN_H

#include "evloop.h"

/* The environment variable naming the child's end. */
#define CONTROL_FD_ENV "EMS_CONTROL_FD"

/*
 * Takes the descriptor EMS_CONTROL_FD names (and removes the variable,
 * so the program's own children neither see nor inherit it), says hello
 * and watches it on LOOP; shutdown and a lost guardian call CB(SIGTERM,
 * ARG), refresh calls CB(SIGHUP, ARG).  Returns 0, also when there is no
 * channel (a program run by hand); -1 (logged) when the channel could
 * not be watched.
 */
int control_chan_open(struct evloop *loop, ev_signal_cb *cb, void *arg);

/* Sets the function a run request calls (with ARG); NULL: requests are
 * logged and ignored. */
void control_chan_on_run(void (*fn)(void *arg), void *arg);

/* Stops watching and closes the channel (before LOOP is freed; safe
 * when none is open).  The guardian then sees the child as gone. */
void control_chan_close(void);

#endif
