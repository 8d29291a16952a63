/*
 * base64.h - strict base64 (RFC 4648 section 4, with padding) for SASL
 * exchanges, where a malformed response must be refused rather than
 * guessed at.
 */
#ifndef EMS_BASE64_H
#define EMS_BASE64_H

#include <stddef.h>
#include <sys/types.h>

/* Bytes base64_encode() writes for LEN input bytes, with the NUL. */
#define BASE64_ENCODED_SIZE(len) ((((len) + 2) / 3) * 4 + 1)

/* Encodes LEN bytes of IN into OUT (CAP bytes, NUL-terminated).
 * Returns the length written, or -1 when CAP is too small. */
ssize_t base64_encode(const void *in, size_t len, char *out, size_t cap);

/* The value (0-63) of base64 character CH, or -1 outside the alphabet. */
int base64_value(int ch);

/*
 * Decodes LEN characters of IN into OUT (CAP bytes), adding a NUL after
 * the data (which may itself hold NULs).  Returns the decoded length, or
 * -1 when IN is not canonical base64 (length not a multiple of 4, a
 * character outside the alphabet, misplaced padding) or OUT is too small.
 */
ssize_t base64_decode(const char *in, size_t len, void *out, size_t cap);

#endif
