/*
 * password.c - yescrypt hashing and constant-time verification through
 * libcrypt; see password.h.
 */
#include "password.h"
#include "log.h"

#include <crypt.h>
#include <string.h>

#include <openssl/crypto.h>

#define PASSWORD_PREFIX "$y$"

int password_hash(const char *plain, char *out, size_t outlen)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data data;

	if (outlen < PASSWORD_HASH_MAX) {
		log_error("password_hash", "error=\"output buffer too small\"");
		return -1;
	}
	/* NULL random bytes: libcrypt takes the salt from the kernel. */
	if (crypt_gensalt_rn(PASSWORD_PREFIX, 0, NULL, 0, salt, sizeof salt) == NULL) {
		log_error("password_hash", "error=\"cannot make a salt\"");
		return -1;
	}
	memset(&data, 0, sizeof data);
	const char *h = crypt_rn(plain, salt, &data, sizeof data);
	if (h == NULL || h[0] == '*' || strlen(h) >= outlen) {
		log_error("password_hash", "error=\"crypt failed\"");
		return -1;
	}
	strcpy(out, h);
	explicit_bzero(&data, sizeof data);
	return 0;
}

enum password_result password_verify(const char *plain, const char *stored)
{
	struct crypt_data data;

	if (stored == NULL || stored[0] != '$' || plain == NULL)
		return PASSWORD_BAD;
	memset(&data, 0, sizeof data);
	const char *h = crypt_rn(plain, stored, &data, sizeof data);
	size_t n = strlen(stored);
	enum password_result r = PASSWORD_BAD;
	if (h != NULL && h[0] != '*' && strlen(h) == n &&
	    CRYPTO_memcmp(h, stored, n) == 0)
		r = strncmp(stored, PASSWORD_PREFIX, strlen(PASSWORD_PREFIX)) == 0
		        ? PASSWORD_OK : PASSWORD_OK_REHASH;
	explicit_bzero(&data, sizeof data);
	return r;
}
