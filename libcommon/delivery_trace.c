/*
 * delivery_trace.c - the Return-Path and Delivered-To fields on top of
 * each delivered copy, and the Delivered-To loop rule; see
 * delivery_trace.h.  Used by postman and by smtpgw's one-hop delivery.
 */
#include "delivery_trace.h"

#include "header.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *delivery_trace_to(const char *rcpt, const char *person)
{
	char local[ADDR_LOCAL_MAX + 1], domain[ADDR_DOMAIN_MAX + 1], bare[ADDR_MAX + 1];

	if (addr_equal(rcpt, person))
		return rcpt;
	if (addr_split(rcpt, local, sizeof local, domain, sizeof domain) < 0)
		return person;
	addr_cut_detail(local);
	if (snprintf(bare, sizeof bare, "%s@%s", local, domain) >= (int)sizeof bare)
		return person;
	return addr_equal(bare, person) ? rcpt : person;
}

size_t delivery_trace(char *out, const char *sender, const char *rcpt, const char *person)
{
	int n = snprintf(out, DELIVERY_TRACE_MAX, "Return-Path: <%s>\r\nDelivered-To: %s\r\n",
	                 sender, delivery_trace_to(rcpt, person));
	return n < 0 ? 0 : (size_t)n < DELIVERY_TRACE_MAX ? (size_t)n : DELIVERY_TRACE_MAX - 1;
}

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
