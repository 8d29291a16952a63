/*
 * imap_objectid.h - the object identifiers of RFC 8474 (OBJECTID):
 * MAILBOXID, from the mailbox's UIDVALIDITY, which no other mailbox of
 * the store ever has and which RENAME keeps; EMAILID, from the content
 * hash of the single-instance message, so a copy or a move keeps it and
 * no other content ever gets it.  ems has no threads: THREADID is NIL.
 */
#ifndef IMAP_OBJECTID_H
#define IMAP_OBJECTID_H

#include "imap_client.h"

#include <stdint.h>

struct store_mailbox;

/* Room for an id and its NUL ("M" or "E" and up to 24 more). */
#define IMAP_OBJECTID_MAX 32

/* OUT gets MB's MAILBOXID. */
void imap_mailboxid(const struct store_mailbox *mb, char out[IMAP_OBJECTID_MAX]);

/* OUT gets the EMAILID of message MESSAGE_ID, read through ST: 0, or -1
 * after a store failure (logged). */
int imap_emailid(struct store *st, int64_t message_id, char out[IMAP_OBJECTID_MAX]);

/* *MESSAGE_ID gets the message whose EMAILID is ID, read through ST (a
 * read job's handle): 0, 1 when no message has it (or ID is no EMAILID
 * ems could have given), -1 after a store failure (logged). */
int imap_emailid_find(struct store *st, const char *id, int64_t *message_id);

#endif
