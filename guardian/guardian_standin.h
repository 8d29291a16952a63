/*
 * guardian_standin.h - the guardian answering on the mail ports while no
 * listener process runs (crash-loop cool-down, back-off, stopped by an
 * administrator, the suite shutting down).  The guardian holds the
 * listening sockets for iolistener (guardian_sockets.h); with nobody
 * accepting, a client would sit in the kernel's backlog without a word
 * for as long as the listener is down.  So while it is down the guardian
 * accepts each client itself, writes its protocol's "temporarily
 * unavailable" line (refusal.h: IMAP * BYE [UNAVAILABLE], POP3 -ERR
 * [SYS/TEMP], LMTP 421 4.3.0; a TLS port is only closed) and closes the
 * connection.  Once a listener runs again the guardian stops accepting
 * and leaves the sockets to it.
 */
#ifndef EMS_GUARDIAN_STANDIN_H
#define EMS_GUARDIAN_STANDIN_H

#include <stdbool.h>

struct ems_config;
struct evloop;
struct listen_sockets;

/* Clients answered per readiness event of one socket, so that a flood on
 * one port cannot hold up the guardian's other work. */
#define STANDIN_ACCEPT_BATCH 64
/* After an accept error other than "nothing waiting" (out of
 * descriptors ...), the stand-in rests this long instead of spinning. */
#define STANDIN_PAUSE_MS 1000

/*
 * Registers the sockets of LS (identified from CFG, as iolistener does)
 * with LOOP, idle until standin_update() says the listener is down.
 * Returns 0, or -1 (logged) when out of memory.
 */
int standin_open(struct evloop *loop, const struct listen_sockets *ls,
                 const struct ems_config *cfg);

/* Answers clients while LISTENER_UP is false, at NOW (monotonic ms);
 * leaves them to the listener while it is true.  Logged on each change. */
void standin_update(bool listener_up, long long now);

/* When standin_update() should be called again to end a pause, or -1. */
long long standin_next_deadline(void);

/* Unregisters the sockets (they stay open: guardian_sockets owns them). */
void standin_close(void);

#endif
