/* Unit tests for imap4srv's command grammar: the parser's terminals
 * (imap_parse.c), sequence sets (imap_seqset.c), flag lists
 * (imap_flags.c) and FETCH attributes (imap_fetch_att.c). */
#include "tap.h"
#include "../../imap4srv/imap_fetch_att.h"
#include "../../imap4srv/imap_flags.h"
#include "../../imap4srv/imap_parse.h"
#include "../../imap4srv/imap_seqset.h"

#include <stdio.h>
#include <string.h>

static char buf[4096];

static struct imap_parser *parser_n(const char *text, size_t n)
{
	static struct imap_parser p;
	memcpy(buf, text, n);
	buf[n] = '\0';
	imap_parser_init(&p, buf, n);
	return &p;
}

static struct imap_parser *parser(const char *text)
{
	return parser_n(text, strlen(text));
}

static int str_is(const struct imap_str *s, const char *want)
{
	return s->len == strlen(want) && memcmp(s->p, want, s->len) == 0;
}

static void test_terminals(void)
{
	struct imap_str s;
	uint32_t n;
	uint64_t n64;
	struct imap_parser *p = parser("a001 LOGIN \"fred \\\"the\\\" \\\\ man\" {5}\r\nsmith");
	ok(imap_p_tag(p, &s) == 0 && str_is(&s, "a001"), "a tag");
	ok(imap_p_sp(p) == 0 && imap_p_atom(p, &s) == 0 && str_is(&s, "LOGIN"), "an atom");
	ok(imap_p_sp(p) == 0 && imap_p_astring(p, &s) == 0 && str_is(&s, "fred \"the\" \\ man"),
	   "a quoted string is unescaped");
	ok(imap_p_sp(p) == 0 && imap_p_astring(p, &s) == 0 && str_is(&s, "smith"), "a literal");
	ok(imap_p_end(p) == 0, "the command ends there");

	p = parser_n("{3+}\r\na\0b", 9);
	ok(imap_p_string(p, &s) == 0 && s.len == 3 && memcmp(s.p, "a\0b", 3) == 0,
	   "a non-synchronizing literal may hold NUL");
	ok(imap_str_dup(&s) == NULL, "  which imap_str_dup refuses");

	p = parser("{10}\r\nshort");
	ok(imap_p_string(p, &s) < 0 && p->error != NULL, "a literal shorter than announced fails");
	p = parser("\"no end");
	ok(imap_p_string(p, &s) < 0, "an unterminated quoted string fails");
	p = parser("\"bad \\q\"");
	ok(imap_p_string(p, &s) < 0, "an escape of another character fails");
	p = parser("+tag");
	ok(imap_p_tag(p, &s) < 0, "a tag cannot start with +");
	p = parser("INBOX]x");
	ok(imap_p_astring(p, &s) == 0 && str_is(&s, "INBOX]x"), "an astring may hold ]");
	p = parser("INBOX]x");
	ok(imap_p_atom(p, &s) == 0 && str_is(&s, "INBOX"), "an atom stops at ]");
	p = parser("foo/%/*");
	ok(imap_p_list_mailbox(p, &s) == 0 && str_is(&s, "foo/%/*"), "list-mailbox takes wildcards");
	p = parser("4294967295 4294967296 0");
	ok(imap_p_number(p, &n) == 0 && n == 4294967295u, "the largest 32-bit number");
	ok(imap_p_sp(p) == 0 && imap_p_number(p, &n) < 0, "one more is out of range");
	p = parser("0");
	ok(imap_p_nz_number(p, &n) < 0, "nz-number refuses 0");
	p = parser("9223372036854775807");
	ok(imap_p_number64(p, &n64) == 0 && n64 == 9223372036854775807ull, "a 63-bit modseq");
	p = parser("uid fetch");
	ok(imap_p_word(p, "UID") && imap_p_sp(p) == 0 && !imap_p_word(p, "FETCHX") &&
	   imap_p_word(p, "FETCH"), "words match case-insensitively and whole");
	p = parser("a  b");
	ok(imap_p_atom(p, &s) == 0 && imap_p_sp(p) == 0 && imap_p_atom(p, &s) < 0,
	   "two spaces are a syntax error");

	char nest[64] = "";
	for (int i = 0; i <= IMAP_PARSE_MAX_DEPTH; i++)
		strcat(nest, "(");
	p = parser(nest);
	int r = 0;
	for (int i = 0; i <= IMAP_PARSE_MAX_DEPTH && r == 0; i++)
		r = imap_p_open(p);
	ok(r < 0 && strstr(p->error, "nested") != NULL, "nesting deeper than the limit fails");
}

static void test_literal_at_end(void)
{
	uint32_t size;
	bool nonsync;
	is_int(imap_literal_at_end("a APPEND INBOX {310}", 20, &size, &nonsync), 1,
	       "a literal announcement");
	ok(size == 310 && !nonsync, "  of 310 bytes, synchronizing");
	is_int(imap_literal_at_end("a LOGIN {4+}", 12, &size, &nonsync), 1, "LITERAL+");
	ok(size == 4 && nonsync, "  non-synchronizing");
	is_int(imap_literal_at_end("a LOGIN \"x}\"", 12, &size, &nonsync), 0, "no literal");
	is_int(imap_literal_at_end("a X {99999999999}", 17, &size, &nonsync), -1,
	       "a size past 32 bits is malformed");
	is_int(imap_literal_at_end("a X {}", 6, &size, &nonsync), -1, "an empty size is malformed");
}

static void test_seqset(void)
{
	struct imap_seqset set;
	char out[128];
	struct imap_parser *p = parser("1:3,7,10:*,5");
	ok(imap_p_seqset(p, &set) == 0 && imap_p_end(p) == 0, "a sequence set parses");
	imap_seqset_resolve(&set, 12);
	ok(imap_seqset_has(&set, 2) && imap_seqset_has(&set, 5) && imap_seqset_has(&set, 12) &&
	   !imap_seqset_has(&set, 4) && !imap_seqset_has(&set, 13), "membership after resolving *");
	imap_seqset_format(&set, out, sizeof out);
	is_str(out, "1:3,5,7,10:12", "  sorted and merged");
	is_int(imap_seqset_max(&set), 12, "  its largest member");
	imap_seqset_free(&set);

	p = parser("*:4");
	imap_p_seqset(p, &set);
	imap_seqset_resolve(&set, 2);
	imap_seqset_format(&set, out, sizeof out);
	is_str(out, "2:4", "*:4 with 2 messages is 2:4 (ranges are unordered)");
	imap_seqset_free(&set);

	p = parser("3:4,4:9,1:2");
	imap_p_seqset(p, &set);
	imap_seqset_resolve(&set, 100);
	imap_seqset_format(&set, out, sizeof out);
	is_str(out, "1:9", "adjacent and overlapping ranges merge");
	imap_seqset_free(&set);

	ok(imap_p_seqset(parser("0:3"), &set) < 0, "0 is no member");
	ok(imap_p_seqset(parser("1,,2"), &set) < 0, "an empty member is an error");
	ok(imap_p_seqset(parser("$"), &set) == 0 && set.saved && set.n == 0,
	   "$ is the saved search result (SEARCHRES), filled in by the view");
	imap_seqset_free(&set);
	ok(imap_p_seqset(parser("1,$"), &set) < 0, "$ stands alone, not in a list");

	memset(&set, 0, sizeof set);
	for (uint32_t v = 5; v <= 8; v++)
		imap_seqset_add(&set, v);
	imap_seqset_add(&set, 11);
	imap_seqset_format(&set, out, sizeof out);
	is_str(out, "5:8,11", "a set built member by member (COPYUID)");
	imap_seqset_free(&set);
}

static void test_flags(void)
{
	struct imap_flagset f;
	ok(imap_p_flag_list(parser("(\\Seen \\flagged $Forwarded NonJunk $forwarded)"), false,
	                    &f) == 0, "a flag list");
	ok(f.flags == (STORE_FLAG_SEEN | STORE_FLAG_FLAGGED), "  system flags in any case");
	is_str(f.keywords, "$Forwarded NonJunk", "  keywords once each");
	ok(imap_p_flag_list(parser("()"), false, &f) == 0 && f.flags == 0 && f.keywords[0] == 0,
	   "an empty list");
	ok(imap_p_flag_list(parser("\\Deleted \\Draft"), true, &f) == 0 &&
	   f.flags == (STORE_FLAG_DELETED | STORE_FLAG_DRAFT), "STORE's flags without parentheses");
	ok(imap_p_flag_list(parser("\\Deleted"), false, &f) < 0, "  but not where a list is due");
	struct imap_parser *p = parser("(\\Recent)");
	ok(imap_p_flag_list(p, false, &f) < 0 && strstr(p->error, "Recent"),
	   "\\Recent cannot be set");
	ok(imap_p_flag_list(parser("(\\Bogus)"), false, &f) < 0, "an unknown system flag");
	ok(imap_keyword_has("$Label1 NonJunk", "nonjunk") && !imap_keyword_has("NonJunk", "Non"),
	   "keyword lookup ignores case, matches whole words");
}

static void test_fetch(void)
{
	struct fetch_request r;
	struct imap_parser *p = parser(" (UID FLAGS BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.100>"
	                               " BODY[1.2.MIME] RFC822.SIZE BODY[] BODY)");
	ok(imap_fetch_parse(p, false, &r) == 0, "a FETCH attribute list parses");
	is_int((long long)r.n, 7, "  into seven attributes");
	const struct fetch_att *a = &r.att[2];
	ok(a->kind == FA_SECTION && a->peek && a->sec.kind == SEC_HEADER_FIELDS &&
	   a->sec.nfields == 2 && strcmp(a->sec.fields[1], "To") == 0, "  BODY.PEEK[HEADER.FIELDS]");
	ok(a->sec.partial && a->sec.origin == 0 && a->sec.count == 100, "  with its partial range");
	is_str(a->label, "BODY[HEADER.FIELDS (From To)]", "  and its answer label");
	a = &r.att[3];
	ok(a->sec.nparts == 2 && a->sec.part[0] == 1 && a->sec.part[1] == 2 &&
	   a->sec.kind == SEC_MIME && !a->peek, "BODY[1.2.MIME]");
	is_str(a->label, "BODY[1.2.MIME]", "  label");
	ok(r.att[5].sec.kind == SEC_ALL && r.att[5].sec.nparts == 0, "BODY[]");
	ok(r.att[6].kind == FA_BODY, "BODY alone is the structure");
	ok(r.set_seen, "a non-peek section sets \\Seen");
	imap_fetch_request_free(&r);

	ok(imap_fetch_parse(parser(" FULL"), true, &r) == 0 && r.n == 6 &&
	   imap_fetch_has(&r, FA_ENVELOPE) && imap_fetch_has(&r, FA_UID), "FULL, with UID for UID FETCH");
	imap_fetch_request_free(&r);
	ok(imap_fetch_parse(parser(" (FLAGS) (CHANGEDSINCE 12345)"), false, &r) == 0 &&
	   r.changedsince_set && r.changedsince == 12345 && imap_fetch_has(&r, FA_MODSEQ),
	   "CHANGEDSINCE, answering MODSEQ");
	imap_fetch_request_free(&r);
	ok(imap_fetch_parse(parser(" RFC822.HEADER"), false, &r) == 0 && r.att[0].peek &&
	   r.att[0].sec.kind == SEC_HEADER && !r.set_seen, "RFC822.HEADER does not set \\Seen");
	imap_fetch_request_free(&r);
	ok(imap_fetch_parse(parser(" BODY[3.TEXT]<10.0>"), false, &r) < 0,
	   "a partial count of 0 is refused");
	ok(imap_fetch_parse(parser(" BODY[0]"), false, &r) < 0, "part 0 is refused");
	ok(imap_fetch_parse(parser(" BODY[MIME]"), false, &r) < 0, "MIME needs a part number");
	ok(imap_fetch_parse(parser(" (FLAGS ALL)"), false, &r) < 0, "macros stand alone");
	ok(imap_fetch_parse(parser(" BODY[HEADER.FIELDS ()]"), false, &r) < 0,
	   "an empty header list is refused");
	ok(imap_fetch_parse(parser(" (FLAGS"), false, &r) < 0, "an unclosed list is refused");
}

int main(void)
{
	test_terminals();
	test_literal_at_end();
	test_seqset();
	test_flags();
	test_fetch();
	done_testing();
	return exit_status();
}
