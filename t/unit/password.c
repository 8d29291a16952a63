/* Unit tests for libcommon/password.c: yescrypt hashes, verification,
 * refusal of wrong passwords and malformed hashes, and the rehash signal
 * for older schemes that drives the upgrade path in the store. */
#include "password.h"
#include "tap.h"

#include <crypt.h>
#include <string.h>

/* crypt(3) of PLAIN with SETTING, for hashes of other schemes. */
static const char *legacy(const char *plain, const char *setting)
{
	static struct crypt_data cd;
	memset(&cd, 0, sizeof cd);
	return crypt_rn(plain, setting, &cd, sizeof cd);
}

int main(void)
{
	char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX], small[8];

	is_int(password_hash("demo", h1, sizeof h1), 0, "hash made");
	ok(strncmp(h1, "$y$", 3) == 0, "yescrypt scheme (%.7s...)", h1);
	ok(strstr(h1, "demo") == NULL, "the hash does not hold the password");
	is_int(password_verify("demo", h1), PASSWORD_OK, "right password accepted");
	is_int(password_verify("Demo", h1), PASSWORD_BAD, "wrong case rejected");
	is_int(password_verify("demo ", h1), PASSWORD_BAD, "trailing blank rejected");
	is_int(password_verify("", h1), PASSWORD_BAD, "empty password rejected");
	is_int(password_verify(NULL, h1), PASSWORD_BAD, "no password rejected");
	is_int(password_hash("demo", h2, sizeof h2), 0, "second hash made");
	ok(strcmp(h1, h2) != 0, "two hashes of one password differ (salted)");
	is_int(password_verify("demo", h2), PASSWORD_OK, "and both verify");
	is_int(password_hash("demo", small, sizeof small), -1, "too small a buffer refused");

	const char *sha512 = legacy("legacy", "$6$abcdefgh$");
	ok(sha512 != NULL && strncmp(sha512, "$6$", 3) == 0, "SHA-512-crypt hash made");
	is_int(password_verify("legacy", sha512), PASSWORD_OK_REHASH,
	       "SHA-512-crypt accepted and flagged for rehash");
	is_int(password_verify("wrong", sha512), PASSWORD_BAD, "wrong password on old hash");

	char cheap_setting[CRYPT_GENSALT_OUTPUT_SIZE];
	crypt_gensalt_rn("$y$", 3, NULL, 0, cheap_setting, sizeof cheap_setting);
	char cheap[PASSWORD_HASH_MAX];
	strcpy(cheap, legacy("cheap", cheap_setting));
	is_int(password_verify("cheap", cheap), PASSWORD_OK_REHASH,
	       "yescrypt at a lower cost flagged for rehash");

	is_int(password_verify("demo", "*"), PASSWORD_BAD, "locked hash '*' never matches");
	is_int(password_verify("demo", "!$y$j9T$x$y"), PASSWORD_BAD, "locked '!' hash never matches");
	is_int(password_verify("demo", ""), PASSWORD_BAD, "empty hash never matches");
	is_int(password_verify("demo", NULL), PASSWORD_BAD, "missing hash never matches");
	is_int(password_verify("demo", "$y$"), PASSWORD_BAD, "truncated hash never matches");
	is_int(password_verify("demo", "$y$j9T$garbage$garbage"), PASSWORD_BAD,
	       "malformed hash never matches");
	char cut[PASSWORD_HASH_MAX];
	strcpy(cut, h1);
	cut[strlen(cut) - 3] = '\0';
	is_int(password_verify("demo", cut), PASSWORD_BAD, "shortened hash never matches");
	done_testing();
	return exit_status();
}
