/*
 * imap_status.h - the items of a mailbox's status, as STATUS (RFC 3501,
 * SIZE of RFC 8438, MAILBOXID of RFC 8474) and LIST ... RETURN (STATUS (...)) (RFC 5819) ask
 * for and answer them.
 */
#ifndef IMAP_STATUS_H
#define IMAP_STATUS_H

#include "imap_client.h"

struct store_mailbox;

/* Items one command asks for. */
#define IMAP_STATUS_ITEMS_MAX 9

struct imap_status_ask {
	unsigned order[IMAP_STATUS_ITEMS_MAX];   /* in the client's order */
	int n;
};

/* Parses "(MESSAGES UNSEEN ...)" into ASK: 0, or -1 with p->error set
 * (an unknown item is a syntax error). */
int imap_status_parse(struct imap_parser *p, struct imap_status_ask *ask);

/* True when ASK names HIGHESTMODSEQ, a CONDSTORE-enabling item. */
bool imap_status_asks_modseq(const struct imap_status_ask *ask);

/* Writes "* STATUS name (MESSAGES 3 ...)" for MB.  0, or -1 after a
 * store failure (logged), with nothing written. */
int imap_status_write(struct imap_client *c, const struct store_mailbox *mb,
                      const struct imap_status_ask *ask);

#endif
