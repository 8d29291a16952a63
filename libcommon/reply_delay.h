/*
 * reply_delay.h - an answer held back for a while: a failed login's
 * (auth.h decides how long), so that guessing passwords is slow.  While
 * it is held the protocol reads nothing from that client (its
 * input_held() asks reply_delay_pending()); the other clients go on.
 * Used by pop3srv and sievesrv.
 */
#ifndef EMS_REPLY_DELAY_H
#define EMS_REPLY_DELAY_H

#include "client_conn.h"
#include "evloop.h"

#include <stdbool.h>

struct reply_delay {
	struct client_conn *cc;
	struct ev_timer *timer;
	char *line;                 /* sent when the timer fires */
	bool close;                 /* ... and the connection then closes */
};

/*
 * Holds LINE (CRLF added) for DELAY_MS on LOOP, then writes it to CC,
 * marks CC to close when CLOSE and runs its pump (which may free the
 * client).  With no delay, or when the timer or the copy cannot be
 * made, LINE goes out at once.
 */
void reply_delay_start(struct reply_delay *d, struct client_conn *cc, struct evloop *loop,
                       unsigned delay_ms, const char *line, bool close);

/* True while a line is held. */
bool reply_delay_pending(const struct reply_delay *d);

/* Drops the held line and the timer (the client is going away). */
void reply_delay_clear(struct reply_delay *d);

#endif
