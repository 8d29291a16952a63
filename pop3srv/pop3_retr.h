/*
 * pop3_retr.h - RETR and TOP: a stored message sent dot-stuffed, read
 * from the store in chunks as the client takes it, so a big message is
 * never held whole in memory and a slow client stalls only itself.
 */
#ifndef POP3_RETR_H
#define POP3_RETR_H

#include "pop3_client.h"
#include "pop3_maildrop.h"

/* Starts sending message M: the whole of it (LINES < 0, RETR) or its
 * header and first LINES body lines (TOP).  Queues the +OK line. */
void pop3_retr_start(struct pop3_client *c, struct pop3_msg *m, long lines);

/* Sends more of the transfer until the output is full or the message is
 * done (c->xfer.active false).  Returns 0, or -1 when the connection
 * must end (the message could not be read: the client cannot be told in
 * the middle of a multi-line answer). */
int pop3_retr_continue(struct pop3_client *c);

#endif
