/* Unit tests for imap4srv/imap_utf7.c: mailbox names between modified
 * UTF-7 (the wire) and UTF-8 (the store), and the refusal of every
 * non-canonical or broken form. */
#include "tap.h"
#include "../../imap4srv/imap_utf7.h"

#include <string.h>

static void round_trip(const char *utf8, const char *wire)
{
	char out[256], back[256];
	is_int(imap_utf7_encode(utf8, out, sizeof out), 0, "encode %s", wire);
	is_str(out, wire, "  gives %s", wire);
	is_int(imap_utf7_decode(wire, back, sizeof back), 0, "decode %s", wire);
	is_str(back, utf8, "  gives the UTF-8 back");
}

static void refused(const char *wire, const char *why)
{
	char out[256];
	is_int(imap_utf7_decode(wire, out, sizeof out), -1, "refuses %s (%s)", wire, why);
}

int main(void)
{
	char out[256];

	round_trip("INBOX", "INBOX");
	round_trip("Tom & Jerry", "Tom &- Jerry");
	round_trip("Entwürfe", "Entw&APw-rfe");
	round_trip("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	round_trip("Gesendete Objekte", "Gesendete Objekte");
	round_trip("😀 smile", "&2D3eAA- smile");
	round_trip("é", "&AOk-");
	round_trip("a\x01z", "a&AAE-z");

	refused("&Jjo!", "unterminated");
	refused("&U,BTFw-&ZeVnLIqe-", "two runs in a row");
	refused("&AGE-", "ASCII 'a' shifted");
	refused("&AOk", "no terminator");
	refused("&AOl-", "non-zero padding bits");
	refused("&2D0-", "a lone high surrogate");
	refused("&3gA-", "a lone low surrogate");
	refused("&-&", "a trailing '&'");
	refused("caf\xc3\xa9", "raw 8-bit bytes");
	refused("a\tb", "a raw control character");
	refused("&AAA-", "NUL shifted");
	refused("&*AOk-", "a bad base64 character");

	is_int(imap_utf7_encode("caf\xc3", out, sizeof out), -1, "truncated UTF-8 is refused");
	is_int(imap_utf7_encode("\xc0\xaf", out, sizeof out), -1, "overlong UTF-8 is refused");
	is_int(imap_utf7_encode("\xed\xa0\x80", out, sizeof out), -1,
	       "a UTF-8 encoded surrogate is refused");
	is_int(imap_utf7_encode("Entwürfe", out, 8), -1, "a small buffer is an error");
	ok(strlen(out) < 8, "  and the output stays inside it");
	is_int(imap_utf7_decode("Entw&APw-rfe", out, 5), -1, "decoding into a small buffer fails");
	done_testing();
	return exit_status();
}
