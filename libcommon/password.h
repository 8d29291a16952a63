/*
 * password.h - salted password hashes (yescrypt through libcrypt) and
 * their constant-time verification.  Used by the store when persons are
 * created or log in; nothing else should see a hash.
 *
 * Hashes are crypt(3) strings, so the scheme and its cost are part of the
 * stored value: "$y$j9T$salt$hash" is yescrypt at the default cost, the
 * current scheme.  password_verify() still accepts older ones ("$6$"
 * SHA-512-crypt, "$5$", yescrypt at another cost) and says so, and the
 * store then rewrites the hash: that is the upgrade path when the scheme
 * or its cost changes.  Passwords are never logged.
 */
#ifndef EMS_PASSWORD_H
#define EMS_PASSWORD_H

#include <stddef.h>

/* Big enough for any hash password_hash() writes. */
#define PASSWORD_HASH_MAX 256

enum password_result {
	PASSWORD_BAD = 0,
	PASSWORD_OK,
	PASSWORD_OK_REHASH,   /* correct, but store a fresh password_hash() */
};

/*
 * Writes a new hash of PLAIN, salted from the kernel's random source,
 * into OUT (OUTLEN >= PASSWORD_HASH_MAX).  Returns 0, or -1 after logging
 * why (never the password).
 */
int password_hash(const char *plain, char *out, size_t outlen);

/*
 * Checks PLAIN against STORED, comparing in constant time.  Returns
 * PASSWORD_OK, PASSWORD_OK_REHASH when right but STORED uses an older
 * scheme or another cost than password_hash() would, or PASSWORD_BAD when
 * wrong, when either is NULL, or when STORED is malformed or locked
 * ("", "*", "!").  Logs nothing.
 */
enum password_result password_verify(const char *plain, const char *stored);

#endif
