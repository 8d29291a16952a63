/*
 * password.h - salted password hashes (yescrypt through libcrypt) and
 * their constant-time verification.
 *
 * Hashes are crypt(3) strings, so the scheme is part of the stored value:
 * "$y$..." (yescrypt, current) or "$6$..." (SHA-512-crypt, accepted and
 * upgraded).  password_verify() says when a correct password sits under
 * an older scheme, and the store then rewrites the hash: that is the
 * upgrade path when the scheme changes.  Passwords are never logged.
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

/* Writes a new salted hash of PLAIN into OUT (OUTLEN >= PASSWORD_HASH_MAX).
 * Returns 0, or -1 after logging why (never the password). */
int password_hash(const char *plain, char *out, size_t outlen);

/* Compares PLAIN with STORED in constant time.  Malformed or locked
 * hashes ("", "*", "!") never match. */
enum password_result password_verify(const char *plain, const char *stored);

#endif
