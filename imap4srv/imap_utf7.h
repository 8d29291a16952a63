/*
 * imap_utf7.h - mailbox names between the wire and the store.  IMAP
 * clients name mailboxes in modified UTF-7 (RFC 3501 section 5.1.3); the
 * store keeps them in UTF-8 so every other tool shows them as written.
 */
#ifndef IMAP_UTF7_H
#define IMAP_UTF7_H

#include <stddef.h>

/*
 * Writes UTF8 (a NUL-terminated UTF-8 string) as modified UTF-7 into OUT
 * (OUTLEN bytes, NUL-terminated).  Returns 0, or -1 when UTF8 is not
 * valid UTF-8 or OUT is too small.  Logs nothing.
 */
int imap_utf7_encode(const char *utf8, char *out, size_t outlen);

/*
 * Writes modified UTF-7 MUTF7 as UTF-8 into OUT (OUTLEN bytes,
 * NUL-terminated).  Returns 0, or -1 when MUTF7 is not valid modified
 * UTF-7 in its one canonical form: a shifted run that is not terminated,
 * holds bad base64, non-zero padding bits, a lone surrogate, a printable
 * ASCII character or NUL, or follows another shifted run directly; a
 * raw byte outside printable ASCII; or OUT too small.  Logs nothing.
 */
int imap_utf7_decode(const char *mutf7, char *out, size_t outlen);

#endif
