/*
 * ctlproto.h - the typed messages oomgr and the guardian exchange over
 * the guardian's control socket (<run_dir>/guardian.sock).
 *
 * A message is a frame: a 4-byte type and a 4-byte payload length (host
 * byte order; the socket is local), then the payload: a sequence of
 * "key=value" fields, each ending in a NUL byte.  Values may hold any
 * byte but NUL.  A client sends one request and reads replies until
 * CTL_REP_OK or CTL_REP_ERROR; the guardian handles each request type in
 * one switch and drops a peer that sends anything else.
 *
 * Request fields:
 *   CTL_REQ_STARTUP, CTL_REQ_SHUTDOWN  name=NAME|all [instance=N]
 *   CTL_REQ_REFRESH                    name=NAME|all
 *   CTL_REQ_DISP                       (none)
 *   CTL_REQ_SET                        name= instance= param= value=
 *   CTL_REQ_STOP                       (none): shut the suite down, exit
 * Reply fields:
 *   CTL_REP_ROW    one process instance of `disp process` (name,
 *                  instance, program, state, pid, restarts, started,
 *                  wakeup (its own Last Wakeup, 0 when it keeps none),
 *                  uptime, flags, confm, maxclt, loglevel, autostart)
 *   CTL_REP_OK     text=a sentence for the administrator
 *   CTL_REP_ERROR  text=a sentence saying what went wrong
 *
 * The same frames travel on the control channel between the guardian
 * and each child it spawned (control_chan.h), with their own types:
 *   CTL_CHILD_HELLO     child -> guardian once: pid=PID (the child reads
 *                       the channel; until then the guardian signals it)
 *   CTL_CHILD_SHUTDOWN  finish and exit 0               (none)
 *   CTL_CHILD_REFRESH   reopen the log, reread ems.conf (none)
 *   CTL_CHILD_LOGLEVEL  level=error|warn|info|debug
 *   CTL_CHILD_RUN       do the periodic work now        (none)
 */
#ifndef EMS_CTLPROTO_H
#define EMS_CTLPROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Largest payload of one message; a table row or a sentence is far less. */
#define CTL_PAYLOAD_MAX 8192
#define CTL_HEADER_SIZE 8
/* The socket's name in the run directory. */
#define CTL_SOCKET_NAME "guardian.sock"

enum ctl_type {
	CTL_REQ_STARTUP = 1,
	CTL_REQ_SHUTDOWN,
	CTL_REQ_REFRESH,
	CTL_REQ_DISP,
	CTL_REQ_SET,
	CTL_REQ_STOP,
	CTL_REP_ROW = 100,
	CTL_REP_OK,
	CTL_REP_ERROR,
	CTL_CHILD_HELLO = 200,
	CTL_CHILD_SHUTDOWN,
	CTL_CHILD_REFRESH,
	CTL_CHILD_LOGLEVEL,
	CTL_CHILD_RUN,
};

struct ctl_msg {
	uint32_t type;
	uint32_t len;                   /* bytes used in payload */
	char payload[CTL_PAYLOAD_MAX];
};

/* Empties M and sets its type. */
void ctl_msg_init(struct ctl_msg *m, enum ctl_type type);

/* Appends the field KEY=<printf FMT>.  Returns 0, or -1 (logged) when the
 * payload would exceed CTL_PAYLOAD_MAX or KEY holds '=' or is empty. */
int ctl_msg_add(struct ctl_msg *m, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Value of the first field KEY, pointing into M (valid while M is), or
 * NULL when M has no such field. */
const char *ctl_msg_get(const struct ctl_msg *m, const char *key);

/*
 * Iterates over the fields: *POS starts at 0; each call stores the next
 * field's key (length in *KEYLEN) and value and returns 1, or returns 0
 * after the last field.
 */
int ctl_msg_next(const struct ctl_msg *m, size_t *pos, const char **key,
                 size_t *keylen, const char **value);

/* Bytes M occupies on the wire. */
size_t ctl_msg_size(const struct ctl_msg *m);

/*
 * Decodes one frame from the LEN bytes at BUF into M.  Returns the bytes
 * the frame used (> 0), 0 when BUF holds only part of a frame, or -1
 * (logged) when the bytes cannot be a frame: a payload over
 * CTL_PAYLOAD_MAX or one whose last field lacks its NUL.
 */
ssize_t ctl_msg_decode(const void *buf, size_t len, struct ctl_msg *m);

/* Writes M whole to FD (blocking; retries short writes and EINTR).
 * Returns 0, or -1 (logged) on a write error. */
int ctl_send(int fd, const struct ctl_msg *m);

/* Reads one whole message from blocking FD into M.  Returns 1, 0 when the
 * peer closed the connection before a new frame, or -1 (logged) on a read
 * error, a frame cut short or a malformed frame. */
int ctl_recv(int fd, struct ctl_msg *m);

/*
 * Connects a stream socket to the unix socket PATH.  Returns the fd
 * (close-on-exec), or -1 with errno set (ENOENT, ECONNREFUSED, EACCES,
 * ENAMETOOLONG ...) and nothing logged: oomgr turns errno into a sentence
 * for the administrator, and the guardian uses it to probe for a running
 * peer.
 */
int ctl_connect(const char *path);

#endif
