/* Unit tests for libcommon/password.c: hash, verify, reject, upgrade. */
#include "password.h"
#include "tap.h"

#include <crypt.h>
#include <string.h>

int main(void)
{
	char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];

	plan(10);
	is_int(password_hash("demo", h1, sizeof h1), 0, "hash made");
	ok(strncmp(h1, "$y$", 3) == 0, "yescrypt scheme");
	is_int(password_verify("demo", h1), PASSWORD_OK, "right password accepted");
	is_int(password_verify("Demo", h1), PASSWORD_BAD, "wrong password rejected");
	is_int(password_verify("", h1), PASSWORD_BAD, "empty password rejected");
	password_hash("demo", h2, sizeof h2);
	ok(strcmp(h1, h2) != 0, "two hashes of one password differ (salted)");

	struct crypt_data cd;
	memset(&cd, 0, sizeof cd);
	const char *old = crypt_rn("legacy", "$6$abcdefgh$", &cd, sizeof cd);
	is_int(password_verify("legacy", old), PASSWORD_OK_REHASH,
	       "SHA-512-crypt accepted and flagged for rehash");
	is_int(password_verify("wrong", old), PASSWORD_BAD, "wrong password on old hash");
	is_int(password_verify("demo", "*"), PASSWORD_BAD, "locked hash never matches");
	is_int(password_verify("demo", ""), PASSWORD_BAD, "empty hash never matches");
	return exit_status();
}
