/*
 * pop3_retr.h - RETR and TOP: a stored message sent dot-stuffed, read
 * from the store in chunks as the client takes it, so a big message is
 * never held whole in memory and a slow client stalls only itself.
 */
#ifndef POP3_RETR_H
#define POP3_RETR_H

#include "pop3_client.h"
#include "pop3_maildrop.h"

/* Answers RETR (LINES < 0: the whole of message M) or TOP (its header
 * and first LINES body lines): once the store says M is still there,
 * "+OK" and the transfer starts, else "-ERR".  Both are reads, run as
 * store_read.h says: the session takes no input meanwhile. */
void pop3_retr(struct pop3_client *c, struct pop3_msg *m, long lines);

/* Sends more of the transfer until the output is full, a chunk is being
 * read on the pool (c->read_job), or the message is done (c->xfer.active
 * false).  Returns 0, or -1 when the connection must end (the message
 * could not be read: the client cannot be told in the middle of a
 * multi-line answer). */
int pop3_retr_continue(struct pop3_client *c);

#endif
