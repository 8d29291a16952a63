/* Unit tests for libcommon/cte.c: bodies decoded from their
 * Content-Transfer-Encoding as FETCH BINARY gives them. */
#include "tap.h"
#include "cte.h"

#include <stdlib.h>
#include <string.h>

static void check(const char *enc, const char *in, const void *want, size_t want_len,
                  const char *what)
{
	char *out = NULL;
	size_t len = 0;
	int r = cte_decode(enc, in, strlen(in), &out, &len);
	ok(r == 0, "%s: decoded", what);
	if (r == 0)
		is_mem(out, len, want, want_len, "%s", what);
	free(out);
}

int main(void)
{
	check("base64", "AAEC/w==", "\x00\x01\x02\xff", 4, "base64 with NUL and 0xff");
	check("BASE64", "SGVs\r\nbG8g\r\nd29y bGQ=\r\n", "Hello world", 11,
	      "base64 over lines, any case, with blanks");
	check("base64", "SGV*sbG8", "Hello", 5, "base64: junk skipped");
	check("base64", "SGVsbG8=\r\nZZZZ", "Hello", 5, "base64: nothing after the pad");
	check("quoted-printable", "caf=C3=A9 =3D ok", "caf\xc3\xa9 = ok", 10, "QP =XX");
	check("Quoted-Printable", "long=\r\nline=\nend", "longlineend", 11, "QP soft breaks");
	check("quoted-printable", "a =  \r\nb", "a b", 3, "QP soft break after padding");
	check("quoted-printable", "x  \r\ny\t\r\n", "x\r\ny\r\n", 6, "QP trailing white space dropped");
	check("quoted-printable", "x=20\r\n", "x \r\n", 4, "  but not an encoded space");
	check("quoted-printable", "1=2 and =zz", "1=2 and =zz", 11, "QP stray = kept");
	check(NULL, "plain\0", "plain", 5, "no encoding: as is");
	check("8bit", "\xc3\xa9", "\xc3\xa9", 2, "8bit: as is");
	check("binary", "b", "b", 1, "binary: as is");
	char *out = NULL;
	size_t len;
	ok(cte_decode("x-uuencode", "abc", 3, &out, &len) == 1 && out == NULL,
	   "an unknown encoding is reported, nothing allocated");
	done_testing();
	return exit_status();
}
