/*
 * imap_objectid.c - MAILBOXID and EMAILID (RFC 8474); see
 * imap_objectid.h.
 */
#include "imap_objectid.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

/* Bytes of the content hash an EMAILID shows: 96 bits, so two contents
 * sharing one are not to be expected. */
#define EMAILID_HASH_BYTES 12

void imap_mailboxid(const struct store_mailbox *mb, char out[IMAP_OBJECTID_MAX])
{
	snprintf(out, IMAP_OBJECTID_MAX, "M%u", mb->uidvalidity);
}

int imap_emailid(struct store *st, int64_t message_id, char out[IMAP_OBJECTID_MAX])
{
	unsigned char hash[STORE_HASH_LEN];
	if (store_message_hash(st, message_id, hash) < 0)
		return -1;
	out[0] = 'E';
	for (int i = 0; i < EMAILID_HASH_BYTES; i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", hash[i]);
	return 0;
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

int imap_emailid_find(struct store *st, const char *id, int64_t *message_id)
{
	unsigned char prefix[EMAILID_HASH_BYTES];
	if (id[0] != 'E' || strlen(id) != 1 + 2 * EMAILID_HASH_BYTES)
		return 1;
	for (int i = 0; i < EMAILID_HASH_BYTES; i++) {
		int hi = hex_value(id[1 + 2 * i]), lo = hex_value(id[2 + 2 * i]);
		if (hi < 0 || lo < 0)
			return 1;
		prefix[i] = (unsigned char)(hi << 4 | lo);
	}
	if (store_message_find_hash(st, prefix, sizeof prefix, message_id) == 0)
		return 0;
	return store_last_error(st) == STORE_E_NOTFOUND ? 1 : -1;
}
