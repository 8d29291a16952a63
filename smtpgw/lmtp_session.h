/*
 * lmtp_session.h - one LMTP conversation (RFC 2033) on an accepted
 * socket, driven by the daemon's event loop.  lmtp_server.c creates
 * sessions; a session closes and frees itself when the client leaves,
 * times out or misbehaves.
 */
#ifndef EMS_LMTP_SESSION_H
#define EMS_LMTP_SESSION_H

#include <stdbool.h>

struct smtpgw;
struct worker;

/*
 * Takes over the nonblocking FD (closed by the session) from a client at
 * PEER (text for logs and the Received field) that came in on a listener
 * with FLAGS, puts it on W's clients, greets it and serves it; STARTTLS
 * is offered when TLS_OFFERED and the worker has a certificate for the
 * lmtp service.  Returns 0, or -1 after logging (FD is closed then too).
 */
int lmtp_session_start(struct smtpgw *g, struct worker *w, int fd, const char *peer,
                       unsigned flags, bool tls_offered);


#endif
