/* Unit tests for imap4srv/imap_names.c: which mailbox names a client may
 * use (and the reason given when not), their conversion from the wire,
 * and LIST's wildcard matching. */
#include "tap.h"
#include "../../imap4srv/imap_names.h"

#include <string.h>

static const char *why;

static const char *decode(const char *wire)
{
	static char out[IMAP_NAME_MAX + 1];
	struct imap_str s = { wire, strlen(wire) };
	why = NULL;
	return imap_name_from_wire(&s, out, &why) == 0 ? out : NULL;
}

static void refused(const char *wire, const char *reason)
{
	ok(decode(wire) == NULL && why != NULL && strstr(why, reason) != NULL,
	   "refuses \"%s\" (%s)", wire, why ? why : "no reason");
}

static void test_names(void)
{
	char longname[400];
	is_str(decode("INBOX"), "INBOX", "INBOX");
	is_str(decode("inbox"), "INBOX", "INBOX in any case");
	is_str(decode("Inbox/Sub"), "INBOX/Sub", "  also as a parent");
	is_str(decode("Inboxes"), "Inboxes", "but not a longer name");
	is_str(decode("Work/2026"), "Work/2026", "a hierarchy");
	is_str(decode("Work/"), "Work", "one trailing / is dropped (CREATE)");
	is_str(decode("Entw&APw-rfe"), "Entwürfe", "modified UTF-7 is decoded");
	refused("", "empty");
	refused("Entw\xc3\xbcrfe", "UTF-7");
	refused("&APw", "UTF-7");
	refused("a/../b", "..");
	refused("..", "..");
	refused("/etc", "start");
	refused("a//b", "empty level");
	refused("a/b//", "empty level");
	refused("foo*", "wildcards");
	refused("foo%bar", "wildcards");
	refused("a&AAk-b", "control");
	memset(longname, 'x', 300);
	longname[300] = '\0';
	refused(longname, "too long");
	char deep[200] = "a";
	for (int i = 0; i < IMAP_NAME_DEPTH; i++)
		strcat(deep, "/a");
	refused(deep, "too deep");
	struct imap_str nul = { "a\0b", 3 };
	char out[IMAP_NAME_MAX + 1];
	ok(imap_name_from_wire(&nul, out, &why) < 0, "a name holding NUL is refused");

	char wire[IMAP_WIRE_MAX];
	ok(imap_name_to_wire("Entwürfe", wire) == 0 && strcmp(wire, "Entw&APw-rfe") == 0,
	   "names go out in modified UTF-7");
	ok(imap_name_is_below("a/b/c", "a/b") && !imap_name_is_below("a/bc", "a/b") &&
	   !imap_name_is_below("a/b", "a/b"), "below means under a delimiter");
}

static const char *decode8(const char *wire)
{
	static char out[IMAP_NAME_MAX + 1];
	struct imap_str s = { wire, strlen(wire) };
	why = NULL;
	return imap_name_from_utf8(&s, out, &why) == 0 ? out : NULL;
}

/* UTF8=ACCEPT (RFC 6855): the wire form is the UTF-8 name itself. */
static void test_utf8(void)
{
	char wire[IMAP_WIRE_MAX];
	is_str(decode8("Entw\xc3\xbcrfe"), "Entw\xc3\xbcrfe", "UTF-8: a UTF-8 name as is");
	is_str(decode8("R&D"), "R&D", "UTF-8: & is a character");
	is_str(decode8("inbox/Sub/"), "INBOX/Sub", "UTF-8: INBOX and the trailing / as before");
	ok(decode8("bad\xff") == NULL && strstr(why, "UTF-8") != NULL, "UTF-8: not UTF-8 is refused");
	ok(decode8("a/../b") == NULL, "UTF-8: the same checks on the levels");
	ok(imap_name_to_client("R&D", true, wire) == 0 && strcmp(wire, "R&D") == 0,
	   "UTF-8: names go out as they are");
	ok(imap_name_to_client("R&D", false, wire) == 0 && strcmp(wire, "R&-D") == 0,
	   "  and in modified UTF-7 for the others");
	ok(imap_name_to_client("bad\xff", true, wire) < 0, "  never what is not UTF-8");
}

static void test_match(void)
{
	ok(imap_list_match("*", "INBOX"), "* matches everything");
	ok(imap_list_match("*", "a/b/c"), "  across levels");
	ok(imap_list_match("%", "Sent") && !imap_list_match("%", "a/b"), "%% stays in one level");
	ok(imap_list_match("a/%", "a/b") && !imap_list_match("a/%", "a/b/c"), "a/%%");
	ok(imap_list_match("a/*", "a/b/c") && !imap_list_match("a/*", "a"), "a/*");
	ok(imap_list_match("inbox", "INBOX") && imap_list_match("InBoX/%", "INBOX/x"),
	   "INBOX matches in any case");
	ok(!imap_list_match("sent", "Sent"), "other names are case-sensitive");
	ok(imap_list_match("*b%d", "ab/cbxd") && !imap_list_match("*b%d", "ab/cbx/d"),
	   "mixed wildcards backtrack correctly");
	ok(imap_list_match("%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaay") == false,
	   "many wildcards fail fast (no exponential backtracking)");
	ok(imap_list_match("", "") && !imap_list_match("", "a"), "the empty pattern");
}

int main(void)
{
	test_names();
	test_utf8();
	test_match();
	done_testing();
	return exit_status();
}
