/*
 * refusal.h - the one line written to a mail client that no worker will
 * serve, in the client's own protocol, so that the client shows its user
 * why instead of waiting: refused by the access filters, every worker
 * full, or nothing that could serve it running (no worker registered,
 * or the listener itself down while the guardian holds its sockets).
 * iolistener and the guardian both answer this way.
 *
 * Clients of SSL listeners get no line (they expect a TLS handshake
 * first and would read plain text as garbage); they are only
 * disconnected.
 */
#ifndef EMS_REFUSAL_H
#define EMS_REFUSAL_H

enum refusal {
	REFUSE_DENIED,       /* an access filter refused the client */
	REFUSE_BUSY,         /* every worker of the service is full */
	REFUSE_UNAVAILABLE,  /* nothing runs that could serve the client */
};

/* The line, CRLF included, for SERVICE ("pop", "imap", "lmtp"; another
 * name gets a protocol-neutral line).  Static text:
 *   POP3  -ERR [SYS/PERM] ... | -ERR [SYS/TEMP] ...   (RFC 3206)
 *   IMAP  * BYE [NOPERM] ...  | * BYE [UNAVAILABLE] ... (RFC 5530)
 *   LMTP  554 5.7.1 ... | 421 4.3.2 (busy) | 421 4.3.0 (unavailable) */
const char *refusal_line(const char *service, enum refusal why);

/* Writes that line to FD (non-blocking, through an iostream), unless
 * FLAGS has the SSL bit.  Returns 0 when it went out whole or was not
 * due, -1 when the socket did not take it (not logged: the caller logs
 * the refusal with the outcome). */
int refusal_send(int fd, const char *service, unsigned flags,
                 enum refusal why);

/* "denied", "busy", "unavailable", for log fields. */
const char *refusal_name(enum refusal why);

#endif
