/*
 * iol_reply.h - the one line the iolistener writes to a client it does
 * not hand to a worker, in the client's protocol, so that the client
 * shows its user why: refused by the access filters, or no worker with
 * room.  Clients of SSL listeners get no line (they expect a TLS
 * handshake first and would read plain text as garbage); they are only
 * disconnected.
 */
#ifndef IOL_REPLY_H
#define IOL_REPLY_H

enum iol_refusal {
	IOL_REFUSE_DENIED,   /* an access filter refused the client */
	IOL_REFUSE_BUSY,     /* no registered worker with room */
};

/* The line, CRLF included, for SERVICE ("pop", "imap", "lmtp"; another
 * name gets a protocol-neutral line).  Static text. */
const char *iol_reply_line(const char *service, enum iol_refusal why);

/* Writes that line to FD (non-blocking, through an iostream), unless
 * FLAGS has the SSL bit.  Returns 0 when it went out whole or was not
 * due, -1 when the socket did not take it (not logged: the caller logs
 * the refusal with the outcome). */
int iol_reply_send(int fd, const char *service, unsigned flags,
                   enum iol_refusal why);

#endif
