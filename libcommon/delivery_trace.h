/*
 * delivery_trace.h - the trace fields a delivered copy carries on top of
 * the shared message (Return-Path, Delivered-To: RFC 5321 4.4 and the
 * Delivered-To convention of Postfix, Dovecot and Cyrus), and the loop
 * rule that reads Delivered-To back.  Both ways into a mailbox write
 * them here: postman for what needs expanding, smtpgw for what it files
 * in one hop (smtpgw/deliver_local.c), so a copy looks the same byte for
 * byte whichever way it came.
 */
#ifndef EMS_DELIVERY_TRACE_H
#define EMS_DELIVERY_TRACE_H

#include "address.h"

#include <stdbool.h>
#include <stddef.h>

/* The longest trace prefix (two fields with an address each). */
#define DELIVERY_TRACE_MAX (2 * (ADDR_MAX + 32))

/*
 * The address the copy for the person at PERSON was delivered to: the
 * envelope recipient RCPT as the MTA gave it when it names the person
 * itself (in any case, with a "+detail" or not), else PERSON (reached
 * through an alias or a list).  Returns RCPT or PERSON.
 */
const char *delivery_trace_to(const char *rcpt, const char *person);

/*
 * Writes "Return-Path: <SENDER>" and "Delivered-To: " the address
 * delivery_trace_to() names, CRLF-terminated, into OUT
 * (DELIVERY_TRACE_MAX bytes).  Returns their length.
 */
size_t delivery_trace(char *out, const char *sender, const char *rcpt, const char *person);

/* True when the header of DATA (LEN bytes) holds a field
 * "Delivered-To: ADDRESS" (or "<ADDRESS>"), in any case: the message has
 * been delivered to ADDRESS before, so this is a loop. */
bool header_delivered_to(const char *data, size_t len, const char *address);

#endif
