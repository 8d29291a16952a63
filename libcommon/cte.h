/*
 * cte.h - decoding a MIME body from its Content-Transfer-Encoding
 * (RFC 2045 section 6), for IMAP's FETCH BINARY (RFC 3516).  Unlike
 * base64.h, which refuses anything not canonical, this is the lenient
 * reading mail needs: base64 split over lines, characters outside the
 * alphabet skipped, quoted-printable soft line breaks and stray "=".
 */
#ifndef EMS_CTE_H
#define EMS_CTE_H

#include <stddef.h>

/* Base64 up to the first "=": what is not in the alphabet (line breaks,
 * junk) is skipped, as RFC 2045 6.8 asks; a last partial group of one
 * character is dropped.  Writes at most LEN bytes to OUT; returns how
 * many.  (Also RFC 2047's "B" encoded words.) */
size_t cte_base64(const char *in, size_t len, char *out);

/* The value of hexadecimal digit CH (either case), or -1. */
int cte_hex_value(int ch);

/*
 * Decodes the LEN bytes of IN, written in transfer encoding ENCODING
 * (any case; NULL means 7bit), into *OUT (malloc'ed, caller frees; a NUL
 * follows the data, which may itself hold NULs) and *OUT_LEN.  7bit, 8bit
 * and binary are copied as they are.  Returns 0; 1 when ENCODING is
 * none of those nor base64 or quoted-printable (nothing is allocated);
 * -1 when out of memory.
 */
int cte_decode(const char *encoding, const char *in, size_t len, char **out,
               size_t *out_len);

#endif
