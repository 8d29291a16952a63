/*
 * imap_status.h - the items of a mailbox's status, as STATUS (RFC 3501,
 * SIZE of RFC 8438, MAILBOXID of RFC 8474) and LIST ... RETURN (STATUS (...)) (RFC 5819) ask
 * for and answer them.
 */
#ifndef IMAP_STATUS_H
#define IMAP_STATUS_H

#include "imap_client.h"
#include "store.h"

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

/* What the store says of one mailbox, for its STATUS line: found by
 * imap_status_read() (a read, for a job), sent by imap_status_send(). */
struct imap_status_of {
	struct store_mailbox mb;
	struct store_mailbox_counts k;
};

/* Reads mailbox NAME of PERSON_ID into *OUT (free with
 * imap_status_clear()).  Returns 0, or -1 after a store failure
 * (store_last_error(ST): STORE_E_NOTFOUND when there is no such one). */
int imap_status_read(struct store *st, int64_t person_id, const char *name,
                     struct imap_status_of *out);

/* Frees what imap_status_read() gave. */
void imap_status_clear(struct imap_status_of *s);

/* Writes "* STATUS name (MESSAGES 3 ...)" of S.  0, or -1 when the
 * output failed. */
int imap_status_send(struct imap_client *c, const struct imap_status_of *s,
                     const struct imap_status_ask *ask);

#endif
