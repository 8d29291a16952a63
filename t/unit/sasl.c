/* Unit tests for libcommon/sasl.c and base64.c: the PLAIN, LOGIN,
 * CRAM-MD5 and EXTERNAL exchanges, malformed responses, and the digests against the
 * RFCs' own examples. */
#include "base64.h"
#include "sasl.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

static void b64(const char *raw, size_t len, char *out, size_t cap)
{
	base64_encode(raw, len, out, cap);
}

static void test_base64(void)
{
	char out[64], back[64];
	is_int(base64_encode("ab", 2, out, sizeof out), 4, "two bytes encode to four characters");
	is_str(out, "YWI=", "  with one pad");
	is_int(base64_decode("YWI=", 4, back, sizeof back), 2, "and decode back");
	is_str(back, "ab", "  to the same bytes");
	ok(base64_decode("YWI", 3, back, sizeof back) < 0, "a length not a multiple of 4 is refused");
	ok(base64_decode("Y=I=", 4, back, sizeof back) < 0, "padding in the middle is refused");
	ok(base64_decode("YW!=", 4, back, sizeof back) < 0, "a character outside the alphabet is refused");
	ok(base64_decode("YWJj", 4, back, 3) < 0, "output that does not fit is refused");
	ok(base64_encode("abc", 3, out, 4) < 0, "encoding into too small a buffer fails");
}

static void test_plain(void)
{
	char out[SASL_OUT_MAX], in[256];
	struct sasl_session *s = sasl_new(SASL_MECH_PLAIN, "h");
	is_int(sasl_start(s, NULL, 0, out, sizeof out), SASL_CHALLENGE,
	       "PLAIN without initial response asks");
	is_str(out, "", "  with an empty challenge");
	b64("\0tim\0tanstaaftanstaaf", 21, in, sizeof in);
	is_int(sasl_step(s, in, strlen(in), out, sizeof out), SASL_DONE, "the response completes it");
	const struct sasl_creds *c = sasl_creds(s);
	ok(strcmp(c->authcid, "tim") == 0 && strcmp(c->password, "tanstaaftanstaaf") == 0 &&
	   c->authzid[0] == '\0', "  giving RFC 4616's name and password, no authzid");
	sasl_free(s);

	s = sasl_new(SASL_MECH_PLAIN, "h");
	b64("Ursel\0Kurt\0xipj3plmq", 20, in, sizeof in);
	is_int(sasl_start(s, in, strlen(in), out, sizeof out), SASL_DONE,
	       "an initial response completes PLAIN at once");
	ok(strcmp(sasl_creds(s)->authzid, "Ursel") == 0, "  and keeps the authzid");
	sasl_free(s);

	s = sasl_new(SASL_MECH_PLAIN, "h");
	b64("tim\0secret", 10, in, sizeof in);
	is_int(sasl_start(s, in, strlen(in), out, sizeof out), SASL_BAD,
	       "a PLAIN message with one NUL is malformed");
	ok(strstr(sasl_error(s), "PLAIN") != NULL, "  and says so");
	sasl_free(s);

	s = sasl_new(SASL_MECH_PLAIN, "h");
	is_int(sasl_start(s, "=", 1, out, sizeof out), SASL_BAD, "an empty initial response is malformed");
	sasl_free(s);

	s = sasl_new(SASL_MECH_PLAIN, "h");
	is_int(sasl_start(s, "####", 4, out, sizeof out), SASL_BAD, "bad base64 is refused");
	is_str(sasl_error(s), "invalid base64", "  with the reason");
	sasl_free(s);
}

static void test_login(void)
{
	char out[SASL_OUT_MAX], in[256], dec[64];
	struct sasl_session *s = sasl_new(SASL_MECH_LOGIN, "h");
	is_int(sasl_start(s, NULL, 0, out, sizeof out), SASL_CHALLENGE, "LOGIN asks");
	base64_decode(out, strlen(out), dec, sizeof dec);
	is_str(dec, "Username:", "  for the user name");
	b64("demo", 4, in, sizeof in);
	is_int(sasl_step(s, in, strlen(in), out, sizeof out), SASL_CHALLENGE, "then asks again");
	base64_decode(out, strlen(out), dec, sizeof dec);
	is_str(dec, "Password:", "  for the password");
	b64("pw x", 4, in, sizeof in);
	is_int(sasl_step(s, in, strlen(in), out, sizeof out), SASL_DONE, "and is done");
	ok(strcmp(sasl_creds(s)->authcid, "demo") == 0 &&
	   strcmp(sasl_creds(s)->password, "pw x") == 0, "  with both");
	sasl_free(s);

	s = sasl_new(SASL_MECH_LOGIN, "h");
	b64("demo", 4, in, sizeof in);
	is_int(sasl_start(s, in, strlen(in), out, sizeof out), SASL_CHALLENGE,
	       "LOGIN's initial response is the user name");
	b64("a\0b", 3, in, sizeof in);
	is_int(sasl_step(s, in, strlen(in), out, sizeof out), SASL_BAD, "a NUL in the password is refused");
	sasl_free(s);
}

static void test_cram(void)
{
	char out[SASL_OUT_MAX], in[256], dec[SASL_CHALLENGE_MAX], d[33];
	/* RFC 2195's example */
	is_int(sasl_cram_md5_digest("tanstaaftanstaaf",
	                            "<1896.697170952@postoffice.reston.mci.net>", d), 0,
	       "HMAC-MD5 computes");
	is_str(d, "b913a602c7eda7a495b4e6e7334d3890", "  RFC 2195's digest");
	/* RFC 1939's APOP example */
	is_int(sasl_apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf", d), 0,
	       "APOP's MD5 computes");
	is_str(d, "c4c9334bac560ecc979e58001b3e22fb", "  RFC 1939's digest");

	struct sasl_session *s = sasl_new(SASL_MECH_CRAM_MD5, "mail.example.test");
	is_int(sasl_start(s, NULL, 0, out, sizeof out), SASL_CHALLENGE, "CRAM-MD5 challenges");
	base64_decode(out, strlen(out), dec, sizeof dec);
	ok(dec[0] == '<' && strstr(dec, "@mail.example.test>") != NULL,
	   "  with a message id naming the host");
	is_str(sasl_creds(s)->challenge, dec, "  and keeps it");
	char resp[128];
	sasl_cram_md5_digest("secret", dec, d);
	int n = snprintf(resp, sizeof resp, "joe user %s", d);
	for (char *p = resp + n - 32; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);   /* upper case hex is accepted */
	b64(resp, (size_t)n, in, sizeof in);
	is_int(sasl_step(s, in, strlen(in), out, sizeof out), SASL_DONE, "the response completes it");
	is_str(sasl_creds(s)->authcid, "joe user", "  the name may hold a space");
	is_str(sasl_creds(s)->digest, d, "  the digest is kept in lower case");
	sasl_free(s);

	s = sasl_new(SASL_MECH_CRAM_MD5, "h");
	is_int(sasl_start(s, "YQ==", 4, out, sizeof out), SASL_BAD, "CRAM-MD5 takes no initial response");
	sasl_free(s);
	s = sasl_new(SASL_MECH_CRAM_MD5, "h");
	sasl_start(s, NULL, 0, out, sizeof out);
	b64("joe 1234", 8, in, sizeof in);
	is_int(sasl_step(s, in, strlen(in), out, sizeof out), SASL_BAD, "a short digest is malformed");
	sasl_free(s);
	s = sasl_new(SASL_MECH_CRAM_MD5, "h");
	sasl_start(s, NULL, 0, out, sizeof out);
	b64("joe zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", 36, in, sizeof in);
	is_int(sasl_step(s, in, strlen(in), out, sizeof out), SASL_BAD, "a digest that is not hex is malformed");
	sasl_free(s);
}

static void test_external(void)
{
	char out[SASL_OUT_MAX], in[64];
	struct sasl_session *s = sasl_new(SASL_MECH_EXTERNAL, "h");
	is_int(sasl_start(s, "=", 1, out, sizeof out), SASL_BAD,
	       "EXTERNAL without a certificate's name is refused");
	sasl_free(s);
	s = sasl_new(SASL_MECH_EXTERNAL, "h");
	ok(sasl_set_external(s, "") < 0, "an empty certificate name is not taken");
	ok(sasl_set_external(s, "tim") == 0, "the certificate's name is taken");
	is_int(sasl_start(s, "=", 1, out, sizeof out), SASL_DONE,
	       "an empty initial response completes EXTERNAL");
	ok(strcmp(sasl_creds(s)->authcid, "tim") == 0 && sasl_creds(s)->authzid[0] == '\0',
	   "  as the certificate's name, with no authorization identity");
	sasl_free(s);
	s = sasl_new(SASL_MECH_EXTERNAL, "h");
	sasl_set_external(s, "tim");
	is_int(sasl_start(s, NULL, 0, out, sizeof out), SASL_CHALLENGE,
	       "EXTERNAL without initial response asks");
	is_str(out, "", "  with an empty challenge");
	b64("tim@x.test", 10, in, sizeof in);
	is_int(sasl_step(s, in, strlen(in), out, sizeof out), SASL_DONE,
	       "the authorization identity completes it");
	ok(strcmp(sasl_creds(s)->authzid, "tim@x.test") == 0 &&
	   strcmp(sasl_creds(s)->authcid, "tim") == 0,
	   "  kept beside the certificate's name, which the client cannot change");
	sasl_free(s);
	s = sasl_new(SASL_MECH_PLAIN, "h");
	ok(sasl_set_external(s, "tim") < 0, "only EXTERNAL takes a certificate's name");
	sasl_free(s);
}

static void test_names(void)
{
	is_int(sasl_mech_from_name("cram-md5"), SASL_MECH_CRAM_MD5, "mechanism names ignore case");
	is_int(sasl_mech_from_name("GSSAPI"), -1, "an unknown mechanism is -1");
	ok(sasl_mech_plaintext(SASL_MECH_PLAIN) && sasl_mech_plaintext(SASL_MECH_LOGIN) &&
	   !sasl_mech_plaintext(SASL_MECH_CRAM_MD5) && !sasl_mech_plaintext(SASL_MECH_EXTERNAL),
	   "PLAIN and LOGIN carry the password in clear");
	is_int(sasl_mech_from_name("external"), SASL_MECH_EXTERNAL, "EXTERNAL is a mechanism");
	char ts[128], ts2[128];
	sasl_make_timestamp("x.test", ts, sizeof ts);
	sasl_make_timestamp("x.test", ts2, sizeof ts2);
	ok(strcmp(ts, ts2) != 0, "each timestamp is new");
}

int main(void)
{
	test_base64();
	test_plain();
	test_login();
	test_cram();
	test_external();
	test_names();
	done_testing();
	return exit_status();
}
