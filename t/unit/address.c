/* Unit tests for libcommon/address.c: envelope addresses in normal form,
 * and a bare user name qualified with the default domain (sendmail's $u,
 * LMTP RCPT TO:<user>). */
#include "address.h"
#include "tap.h"

#include <string.h>

static char out[ADDR_MAX + 1];

static void test_normalize(void)
{
	ok(addr_normalize(" <Demo@Example.TEST> ", out, sizeof out, false) == 0 &&
	   strcmp(out, "Demo@example.test") == 0, "brackets and blanks go, the domain is lower-cased");
	ok(addr_normalize("<>", out, sizeof out, true) == 0 && out[0] == '\0',
	   "the null sender when allowed");
	ok(addr_normalize("demo", out, sizeof out, false) == -1, "no '@' is no address");
}

static void test_qualify(void)
{
	is_int(addr_qualify("ann@Example.TEST", "example.test", out, sizeof out), 0,
	       "a whole address is taken as it is");
	is_str(out, "ann@example.test", "in normal form");
	is_int(addr_qualify("demo", "Example.TEST", out, sizeof out), 0,
	       "a bare user name is qualified");
	is_str(out, "demo@example.test", "with the default domain");
	is_int(addr_qualify("<demo+work>", "example.test", out, sizeof out), 0,
	       "in brackets and with a detail too");
	is_str(out, "demo+work@example.test", "the detail is kept");
	is_int(addr_qualify("demo", "", out, sizeof out), ADDR_NO_DOMAIN,
	       "without a default domain a bare name is told apart");
	is_str(out, "demo", "and OUT holds it for the error message");
	is_int(addr_qualify("demo", NULL, out, sizeof out), ADDR_NO_DOMAIN, "NULL: no default");
	is_int(addr_qualify("", "example.test", out, sizeof out), -1, "empty is no address");
	is_int(addr_qualify("<>", "example.test", out, sizeof out), -1, "nor is the null path");
	is_int(addr_qualify("de mo", "example.test", out, sizeof out), -1, "a blank inside");
	is_int(addr_qualify("a\"b", "example.test", out, sizeof out), -1, "a quote");
	is_int(addr_qualify("@", "example.test", out, sizeof out), -1, "an '@' alone");
	char longname[ADDR_LOCAL_MAX + 2];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	is_int(addr_qualify(longname, "example.test", out, sizeof out), -1,
	       "a local part longer than ADDR_LOCAL_MAX");
}

int main(void)
{
	test_normalize();
	test_qualify();
	done_testing();
	return exit_status();
}
