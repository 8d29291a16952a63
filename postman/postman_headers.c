/*
 * postman_headers.c - the header rule of postman's own: loop detection
 * by Delivered-To.  The fields postman decides by (Received for hop
 * counting, Auto-Submitted, Precedence and List-* for auto-replies,
 * Subject and Message-ID for the mail it writes) are read with
 * libcommon's header.h, which accepts the store's CRLF and bare LF.
 */
#include "postman.h"

#include <string.h>
#include <strings.h>

struct address_match {
	const char *address;
	bool found;
};

/* Compares a Delivered-To value ("addr" or "<addr>") with the address. */
static int same_address(const char *value, size_t len, void *arg)
{
	struct address_match *m = arg;
	if (len >= 2 && value[0] == '<' && value[len - 1] == '>') {
		value++;
		len -= 2;
	}
	m->found = strlen(m->address) == len && strncasecmp(value, m->address, len) == 0;
	return m->found;
}

bool header_delivered_to(const char *data, size_t len, const char *address)
{
	struct address_match m = { address, false };
	header_each(data, len, "Delivered-To", same_address, &m);
	return m.found;
}
