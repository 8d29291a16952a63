/*
 * imap_quota.h - the person's quota as QUOTA (RFC 9208) reports it and
 * as APPEND, COPY and MOVE enforce it: one quota root "" over all the
 * person's mailboxes, STORAGE in KiB and MESSAGE counts.
 */
#ifndef IMAP_QUOTA_H
#define IMAP_QUOTA_H

#include "imap_client.h"

#include <stdint.h>

/* 0 when ADD_BYTES in ADD_MESSAGES more messages still fit PERSON_ID's
 * quota, 1 when they do not, -1 after a store failure (logged): read
 * through ST inside the write job that adds them, so that two sessions
 * cannot both take the last room. */
int imap_quota_check(struct store *st, int64_t person_id, int64_t add_bytes,
                     int64_t add_messages);

#endif
