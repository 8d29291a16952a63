/*
 * password.c - yescrypt hashing and constant-time verification through
 * libcrypt (libxcrypt); see password.h.
 */
#include "password.h"
#include "log.h"

#include <crypt.h>
#include <string.h>

#include <openssl/crypto.h>

/* The scheme new hashes use; cost 0 means libcrypt's default. */
#define PASSWORD_PREFIX "$y$"
#define PASSWORD_COST   0
/* Salt bytes for new hashes (yescrypt's default length). */
#define PASSWORD_SALT_BYTES 16

int password_hash(const char *plain, char *out, size_t outlen)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data data;

	if (plain == NULL || outlen < PASSWORD_HASH_MAX) {
		log_error("password_hash", "error=\"no password or output buffer too small\"");
		return -1;
	}
	/* NULL random bytes: libcrypt takes the salt from getrandom(2). */
	if (crypt_gensalt_rn(PASSWORD_PREFIX, PASSWORD_COST, NULL, 0, salt,
	                     sizeof salt) == NULL) {
		log_error("password_hash", "error=\"cannot make a salt\"");
		return -1;
	}
	memset(&data, 0, sizeof data);
	const char *h = crypt_rn(plain, salt, &data, sizeof data);
	int ok = h != NULL && h[0] == '$' && strlen(h) < outlen;
	if (ok)
		strcpy(out, h);
	explicit_bzero(&data, sizeof data);
	if (!ok)
		log_error("password_hash", "error=\"crypt failed\"");
	return ok ? 0 : -1;
}

/*
 * True when STORED was made by the current scheme at the current cost:
 * it starts like a setting password_hash() would make ("$y$j9T$"), up to
 * and including the '$' after the cost field.
 */
static int current_scheme(const char *stored)
{
	static const char zero_salt[PASSWORD_SALT_BYTES];
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];

	if (crypt_gensalt_rn(PASSWORD_PREFIX, PASSWORD_COST, zero_salt, sizeof zero_salt,
	                     setting, sizeof setting) == NULL)
		return 0;
	const char *cost_end = strchr(setting + strlen(PASSWORD_PREFIX), '$');
	if (cost_end == NULL)
		return 0;
	size_t n = (size_t)(cost_end - setting) + 1;
	return strncmp(stored, setting, n) == 0 && crypt_checksalt(stored) == CRYPT_SALT_OK;
}

enum password_result password_verify(const char *plain, const char *stored)
{
	struct crypt_data data;

	/* Locked ("*", "!...") and empty hashes start otherwise; so do the
	 * ancient DES ones, which are not worth accepting. */
	if (plain == NULL || stored == NULL || stored[0] != '$')
		return PASSWORD_BAD;
	memset(&data, 0, sizeof data);
	const char *h = crypt_rn(plain, stored, &data, sizeof data);
	size_t n = strlen(stored);
	int match = h != NULL && h[0] == '$' && strlen(h) == n &&
	            CRYPTO_memcmp(h, stored, n) == 0;
	explicit_bzero(&data, sizeof data);
	if (!match)
		return PASSWORD_BAD;
	return current_scheme(stored) ? PASSWORD_OK : PASSWORD_OK_REHASH;
}
