/*
 * fdpass.h - sends an open descriptor and a small metadata record across a
 * unix socket (SCM_RIGHTS).  iolistener hands accepted client sockets to
 * pop3srv/imap4srv workers with it; the record (peer address, service,
 * flags) is whatever bytes the caller defines.
 *
 * The socket must be SOCK_SEQPACKET: each record is one message, so the
 * metadata and its descriptor always arrive together, whole, and never
 * merge with the next record.
 */
#ifndef EMS_FDPASS_H
#define EMS_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* Largest metadata record fdpass carries. */
#define FDPASS_META_MAX 1024

/*
 * Sends FD (no descriptor when FD is -1) with META_LEN bytes of META (at
 * least 1, at most FDPASS_META_MAX).  Returns 0 when the whole record was
 * queued.  Returns -1 with errno EAGAIN, not logged, when a non-blocking
 * socket is full; -1 after logging on any other failure (EPIPE: the peer
 * is gone).  The caller still owns FD and closes it when it likes; the
 * peer holds its own copy once the call returned 0.
 */
int fdpass_send(int sock, int fd, const void *meta, size_t meta_len);

/*
 * Receives one record: its metadata into META (up to META_CAP bytes) and
 * its descriptor, if it carried one, into *FD_OUT, which is -1 otherwise
 * (a caller that requires a descriptor checks for -1).  A received
 * descriptor is close-on-exec and belongs to the caller.  Returns the
 * metadata length, 0 when the peer closed the socket, or -1: with errno
 * EAGAIN (not logged) when nothing is waiting on a non-blocking socket,
 * EMSGSIZE (logged) when the record is malformed (longer than META_CAP,
 * more than one descriptor, or empty with a descriptor) -- any descriptor
 * that did arrive is closed then, never leaked -- or another errno
 * (logged) when the socket failed.
 */
ssize_t fdpass_recv(int sock, int *fd_out, void *meta, size_t meta_cap);

#endif
