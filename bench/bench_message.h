/*
 * bench_message.h - the test messages the bench delivers and appends:
 * RFC 5322 with CRLF line ends, of about the size asked, each unique
 * (its number is in Message-ID, Subject and body) so a single-instance
 * store cannot fold them into one.
 */
#ifndef EMS_BENCH_MESSAGE_H
#define EMS_BENCH_MESSAGE_H

#include <stddef.h>

/* Builds message SEQ of about SIZE bytes (at least its headers) for RCPT.
 * No line starts with '.', so it needs no dot-stuffing.  Returns a
 * malloc'd buffer (length in *LEN), or NULL when out of memory. */
char *bench_message(unsigned long seq, size_t size, const char *rcpt, size_t *len);

/* A number unique to this process and call, for SEQ. */
unsigned long bench_message_seq(void);

#endif
