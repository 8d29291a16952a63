/*
 * guardian_control.h - the guardian's control socket, where oomgr (and
 * `guardian stop`) send the requests of ctlproto.h.  Each connection
 * carries one request; startup, shutdown and refresh are answered once
 * the processes concerned have settled (up, FAILED or down), so oomgr
 * can print "Started successfully." or name what failed.
 */
#ifndef EMS_GUARDIAN_CONTROL_H
#define EMS_GUARDIAN_CONTROL_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Creates <RUN_DIR>/CTL_SOCKET_NAME (replacing a stale one: the caller
 * holds the lock file), mode 0660, group GID when SET_GROUP, and watches
 * it in the guardian's loop.  Returns 0 or -1 (logged).
 */
int control_open(const char *run_dir, bool set_group, gid_t gid);

/* Answers the clients whose processes have settled or whose wait ran
 * out; called after every change of the process table. */
void control_check_waiters(long long now);

/* The earliest deadline of a waiting client, or -1. */
long long control_next_deadline(void);

/* Closes every connection and removes the socket. */
void control_close(void);

#endif
