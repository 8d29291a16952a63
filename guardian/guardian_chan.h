/*
 * guardian_chan.h - the guardian's ends of its children's control
 * channels (control_chan.h has the child's side and the verbs).
 *
 * spawn_instance() hands over the guardian's end of each new child's
 * socketpair; chan_attach() watches it.  A child that speaks the channel
 * says CTL_CHILD_HELLO first: from then on shutdown and refresh reach it
 * as requests.  A child that has not said hello (a script, a program
 * still starting) gets SIGTERM and SIGHUP instead, so stopping never
 * depends on the child's reading.  Log level and run now have no signal:
 * asked before the hello, they are sent with it; a child that never says
 * hello never gets them.  Anything else a child sends
 * breaks its channel: logged, and closed (the child then stops, as on a
 * lost guardian).
 */
#ifndef EMS_GUARDIAN_CHAN_H
#define EMS_GUARDIAN_CHAN_H

#include "evloop.h"

#include <stdbool.h>
#include <sys/types.h>

/* The loop the channels are watched on (before the first attach). */
void chan_init(struct evloop *loop);

/* Watches FD, the guardian's end of child PID's channel; takes FD (closed
 * at once when it cannot be watched, logged). */
void chan_attach(pid_t pid, int fd);

/* Closes the channel of PID (reaped), if any. */
void chan_forget(pid_t pid);

/* Closes every channel (the guardian's exit). */
void chan_close_all(void);

/* Asks PID to stop in order: the shutdown request, else SIGTERM.
 * Returns 0, or -1 (logged) when neither could be sent. */
int chan_stop(pid_t pid);

/* Asks PID to reopen its log and reread: refresh, else SIGHUP.  Returns
 * 0, or -1 when neither could be sent. */
int chan_reload(pid_t pid);

/* Asks the running instances of NAME (INSTANCE, 0 for all) to do their
 * periodic work now (`oomgr startup NAME` on a running one); "all" asks
 * none.  Logs run_requested for each asked. */
void chan_request_run(const char *name, int instance);

/* Asks the running instances of NAME ("all": every process; INSTANCE, 0
 * for all) to switch to log level LEVEL at once.  Returns how many were
 * asked (0 for a level that is no level). */
int chan_request_loglevel(const char *name, int instance, const char *level);

#endif
