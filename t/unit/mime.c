/* Unit tests for libcommon/mime*.c: the part tree of nested multiparts
 * and message/rfc822, header parameters (RFC 2231), encoded words
 * (RFC 2047), envelope addresses, broken and hostile MIME, and the
 * stored form read back. */
#include "mime.h"
#include "tap.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char nested[] =
    "From: \"Doe, Jane\" <jane@example.org>\r\n"
    "To: bob@example.org (Bob B), Team: carol@example.org, <dave@example.org>;\r\n"
    "Subject: =?utf-8?q?caf=C3=A9?= menu\r\n"
    "Message-ID: <m1@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed;\r\n boundary=\"outer\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "plain text\r\n"
    "second line\r\n"
    "--inner\r\n"
    "Content-Type: text/html\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<p>html</p>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "Content-Description: forwarded\r\n"
    "\r\n"
    "From: Eve <eve@example.net>\r\n"
    "Subject: inner\r\n"
    "\r\n"
    "inner body\r\n"
    "--outer\r\n"
    "Content-Type: application/pdf; name*0*=utf-8''r%C3%A9; name*1=\"sum\xC3\xA9.pdf\"\r\n"
    "Content-Disposition: attachment; filename*=iso-8859-1'fr'r%E9sum%E9.pdf\r\n"
    "Content-Language: fr, en (comment)\r\n"
    "Content-ID: <pdf@x>\r\n"
    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
    "Content-Location: http://example.org/r.pdf\r\n"
    "Content-Transfer-Encoding: base64 (comment)\r\n"
    "\r\n"
    "JVBERi0=\r\n"
    "--outer--\r\n"
    "epilogue\r\n";

/* The bytes of part P's body in MSG. */
static char *body_of(const char *msg, const struct mime_part *p)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%.*s", (int)p->body_len, msg + p->body_off);
	return buf;
}

static void test_nested(void)
{
	struct mime_tree *t = mime_parse(nested, strlen(nested));
	ok(t != NULL, "nested: parsed");
	struct mime_part *r = t->root;
	is_str(r->type, "multipart", "root type");
	is_int((long long)r->nchildren, 3, "root has three parts");
	ok(mime_is_multipart(r), "root is a multipart");
	struct mime_part *alt = r->children[0];
	is_str(alt->subtype, "alternative", "1 is multipart/alternative");
	is_int((long long)alt->nchildren, 2, "  with two parts");
	is_str(body_of(nested, alt->children[0]), "plain text\r\nsecond line",
	       "1.1 body: the line end before the delimiter is not part of it");
	is_int((long long)alt->children[0]->lines, 2, "1.1 has 2 lines");
	is_str(alt->children[0]->params[0].value, "utf-8", "1.1 charset");
	is_str(alt->children[1]->encoding, "quoted-printable", "1.2 encoding");
	is_int((long long)alt->children[1]->nparams, 0, "1.2: no parameters given, none made up");
	struct mime_part *fw = r->children[1];
	ok(mime_is_message(fw), "2 is message/rfc822 with its message");
	is_str(fw->description, "forwarded", "2 description");
	struct mime_part *in = fw->children[0];
	ok(in->envelope != NULL, "the enclosed message has an envelope");
	is_str(in->envelope->subject, "inner", "  its subject");
	is_str(in->envelope->from.v[0].name, "Eve", "  its From name");
	is_str(body_of(nested, in), "inner body", "  its body");
	is_str(in->type, "text", "  its default type text/plain");
	is_str(in->params[0].value, "us-ascii", "  with charset us-ascii");
	struct mime_part *pdf = r->children[2];
	is_str(pdf->encoding, "base64", "3: encoding without its comment");
	is_str(pdf->params[0].name, "name*", "3: continued extended name joined");
	is_str(pdf->params[0].value, "utf-8''r%C3%A9sum%C3%A9.pdf", "  in extended form");
	char *name = mime_param_get(pdf->params, pdf->nparams, "name");
	is_str(name, "r\xC3\xA9sum\xC3\xA9.pdf", "  and decodes to UTF-8");
	free(name);
	char *fn = mime_param_get(pdf->disp_params, pdf->ndisp_params, "filename");
	is_str(fn, "r\xC3\xA9sum\xC3\xA9.pdf", "filename*= in ISO-8859-1 to UTF-8");
	free(fn);
	is_str(pdf->disposition, "attachment", "3 disposition");
	is_int((long long)pdf->nlanguages, 2, "3: two languages");
	is_str(pdf->languages[1], "en", "  the second is en");
	is_str(pdf->id, "<pdf@x>", "3 id");
	is_str(pdf->md5, "Q2hlY2sgSW50ZWdyaXR5IQ==", "3 md5");
	is_str(pdf->location, "http://example.org/r.pdf", "3 location");
	is_str(body_of(nested, pdf), "JVBERi0=", "3 body");
	struct mime_envelope *e = r->envelope;
	is_str(e->subject, "=?utf-8?q?caf=C3=A9?= menu", "envelope subject keeps encoded words");
	is_str(e->from.v[0].name, "Doe, Jane", "From: quoted display name");
	is_str(e->from.v[0].mailbox, "jane", "  mailbox");
	is_str(e->from.v[0].host, "example.org", "  host");
	is_int((long long)e->to.n, 5, "To: an address, a group of two with its markers");
	is_str(e->to.v[0].name, "Bob B", "  a comment names an address without a phrase");
	ok(e->to.v[1].host == NULL && strcmp(e->to.v[1].mailbox, "Team") == 0, "  group start");
	is_str(e->to.v[3].mailbox, "dave", "  group member");
	ok(e->to.v[4].mailbox == NULL && e->to.v[4].host == NULL, "  group end");
	is_str(e->message_id, "<m1@example.org>", "Message-ID");
	ok(e->date == NULL && e->cc.n == 0, "absent fields are absent");

	char *blob;
	size_t len;
	ok(mime_serialize(t, &blob, &len) == 0, "serialized");
	struct mime_tree *back = mime_deserialize(blob, len);
	ok(back != NULL, "read back");
	char *blob2;
	size_t len2;
	ok(back && mime_serialize(back, &blob2, &len2) == 0 && is_mem(blob2, len2, blob, len,
	   "round trip gives the same form") , "round trip");
	ok(back && back->root->children[2]->body_off == pdf->body_off &&
	   strcmp(back->root->children[1]->children[0]->envelope->from.v[0].mailbox, "eve") == 0,
	   "  offsets and nested envelope survive");
	free(blob2);
	blob[len / 2] ^= 0x55;
	struct mime_tree *bad = mime_deserialize(blob, len);
	ok(bad == NULL, "a damaged form is refused");
	ok(mime_deserialize(blob, len / 2) == NULL, "a truncated form is refused");
	free(blob);
	mime_free(back);
	mime_free(t);
}

static void word(const char *in, const char *want, const char *what)
{
	size_t n;
	char *out = mime_words_decode(in, strlen(in), &n);
	is_str(out, want, "%s", what);
	free(out);
}

static void test_words(void)
{
	word("=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\xC3\xA9 Pirard", "Q in ISO-8859-1");
	word("=?utf-8?B?Y2Fmw6k=?=", "caf\xC3\xA9", "B in UTF-8");
	word("=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab", "blanks between adjacent words vanish");
	word("=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?=", "ab", "  folding too");
	word("=?UTF-8?Q?a_b?= c", "a b c", "underscore is a blank; text after stays");
	word("=?utf-8?B?w6nDqA==?= x", "\xC3\xA9\xC3\xA8 x", "B with padding");
	word("=?utf-16be?B?AA==?= =?utf-16be?B?6QDo?=", "\xC3\xA9\xC3\xA8",
	     "a character split across words survives");
	word("=?koi8-r?B?8NLJ18XU?=", "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82",
	     "KOI8-R through iconv");
	word("=?x-no-such?Q?abc?=", "=?x-no-such?Q?abc?=", "an unknown charset stays as it is");
	word("=?utf-8?X?abc?=", "=?utf-8?X?abc?=", "an unknown encoding stays");
	word("=?utf-8?Q?abc", "=?utf-8?Q?abc", "an unterminated word stays");
	word("a =?utf-8*en?Q?b?= c", "a b c", "RFC 2231 language suffix");
	word("plain", "plain", "plain text unchanged");
}

/* Parses MSG and returns the tree (the test owns it). */
static struct mime_tree *parse(const char *msg)
{
	struct mime_tree *t = mime_parse(msg, strlen(msg));
	if (t == NULL)
		abort();
	return t;
}

static void test_broken(void)
{
	const char *m1 = "Content-Type: multipart/mixed; boundary=zz\r\n\r\nno boundary here\r\n";
	struct mime_tree *t = parse(m1);
	is_int((long long)t->root->nchildren, 1, "no delimiter: the body is one part");
	mime_free(t);

	const char *m2 = "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n\r\none\r\n"
	                 "--zz\r\nContent-Type: text/x\r\n\r\ntwo, cut";
	t = parse(m2);
	is_int((long long)t->root->nchildren, 2, "no close delimiter: two parts");
	is_str(body_of(m2, t->root->children[1]), "two, cut", "  the last runs to the end");
	mime_free(t);

	const char *m3 = "Content-Type: multipart/mixed\r\n\r\n--\r\nbody\r\n";
	t = parse(m3);
	is_int((long long)t->root->nchildren, 1, "multipart without a boundary: one part");
	mime_free(t);

	const char *m4 = "Content-Type: garbage\r\nno colon line\r\nX: y\r\n";
	t = parse(m4);
	ok(strcmp(t->root->type, "text") == 0 && t->root->body_len == 0,
	   "a bad Content-Type is text/plain; a header without end has an empty body");
	mime_free(t);

	t = parse("");
	ok(t->root->header_len == 0 && t->root->body_len == 0, "an empty message");
	mime_free(t);

	const char *m5 = "Subject: x\n\nLF only\n";
	t = parse(m5);
	is_str(body_of(m5, t->root), "LF only\n", "LF line ends");
	mime_free(t);

	const char *m6 = "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\n"
	                 "Subject: in digest\r\n\r\nx\r\n--d--\r\n";
	t = parse(m6);
	ok(mime_is_message(t->root->children[0]) &&
	   strcmp(t->root->children[0]->children[0]->envelope->subject, "in digest") == 0,
	   "a digest's parts are message/rfc822 by default");
	mime_free(t);

	const char *m7 = "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n"
	                 "\r\nU3ViamVjdDogeA==\r\n";
	t = parse(m7);
	ok(!mime_is_message(t->root), "an encoded message/rfc822 stays opaque");
	mime_free(t);

	/* nesting far past the limit */
	size_t cap = 200 * 64, n = 0;
	char *deep = malloc(cap);
	for (int i = 0; i < 150; i++)
		n += (size_t)snprintf(deep + n, cap - n,
		                      "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n",
		                      i, i);
	t = mime_parse(deep, n);
	int depth = 0;
	const struct mime_part *p = t->root;
	while (p->nchildren > 0) {
		p = p->children[0];
		depth++;
	}
	ok(depth <= MIME_DEPTH_MAX + 1, "deep nesting is cut at the limit (%d)", depth);
	is_str(p->type, "application", "  the deepest part is kept opaque");
	mime_free(t);
	free(deep);

	/* more parts than allowed */
	cap = 64 + 10 * (MIME_PARTS_MAX + 500);
	char *many = malloc(cap);
	n = (size_t)snprintf(many, cap, "Content-Type: multipart/mixed; boundary=q\r\n\r\n");
	for (int i = 0; i < MIME_PARTS_MAX + 500; i++)
		n += (size_t)snprintf(many + n, cap - n, "--q\r\n\r\nx\r\n");
	t = mime_parse(many, n);
	ok(t->nparts <= MIME_PARTS_MAX + 1, "part count is bounded (%zu)", t->nparts);
	char *blob;
	size_t len;
	struct mime_tree *back = NULL;
	ok(mime_serialize(t, &blob, &len) == 0 && (back = mime_deserialize(blob, len)) != NULL,
	   "  and a bounded tree reads back");
	free(blob);
	mime_free(back);
	mime_free(t);
	free(many);
}

static void test_addresses(void)
{
	const char *m = "From: joe@example.org\r\n"
	                "To: undisclosed-recipients:;\r\n"
	                "Cc: \"A \\\"q\\\" B\" <@relay.example:a@b.example>, broken, , x@y\r\n"
	                "Reply-To: =?utf-8?Q?J=C3=B6?= <jo@example.org>\r\n\r\n";
	struct mime_tree *t = parse(m);
	struct mime_envelope *e = t->root->envelope;
	ok(e->from.n == 1 && e->from.v[0].name == NULL && strcmp(e->from.v[0].host,
	   "example.org") == 0, "a bare address");
	ok(e->to.n == 2 && e->to.v[0].host == NULL && e->to.v[1].mailbox == NULL,
	   "an empty group: its two markers");
	is_int((long long)e->cc.n, 3, "Cc: empty entries dropped");
	is_str(e->cc.v[0].name, "A \"q\" B", "  quoted pairs unescaped");
	is_str(e->cc.v[0].adl, "@relay.example", "  source route");
	ok(strcmp(e->cc.v[1].mailbox, "broken") == 0 && strcmp(e->cc.v[1].host, "") == 0,
	   "  an address without a domain");
	is_str(e->reply_to.v[0].name, "=?utf-8?Q?J=C3=B6?=", "encoded display name kept");
	mime_free(t);
}

/* Checks that every part of A lies in the same place as in B plus LEN,
 * but the top header, which grows by LEN. */
static bool shifted(const struct mime_part *a, const struct mime_part *b, size_t len,
                    bool top)
{
	bool same = top ? a->header_off == 0 && a->header_len == b->header_len + len
	                : a->header_off == b->header_off + len && a->header_len == b->header_len;
	same = same && a->body_off == b->body_off + len && a->body_len == b->body_len &&
	       a->nchildren == b->nchildren;
	for (size_t i = 0; same && i < a->nchildren; i++)
		same = shifted(a->children[i], b->children[i], len, false);
	return same;
}

/* A tree moved by a prefix of header fields is the tree of prefix and
 * message parsed together (a mailbox entry's trace fields). */
static void test_shift(void)
{
	static const char prefix[] = "Return-Path: <a@b.test>\r\nDelivered-To: c@d.test\r\n";
	size_t plen = sizeof prefix - 1, n = sizeof nested - 1;
	char *both = malloc(plen + n);
	memcpy(both, prefix, plen);
	memcpy(both + plen, nested, n);
	struct mime_tree *moved = mime_parse(nested, n), *whole = mime_parse(both, plen + n);
	struct mime_tree *plain = mime_parse(nested, n);
	if (moved != NULL)
		mime_shift(moved, plen);
	ok(moved && whole && shifted(moved->root, plain->root, plen, true),
	   "mime_shift moves every part by the prefix, the top header grows");
	ok(moved && whole && shifted(whole->root, plain->root, plen, true),
	   "  which is where parsing prefix and message together puts them");
	struct mime_tree *zero = mime_parse(nested, n);
	if (zero != NULL)
		mime_shift(zero, 0);
	ok(zero && plain && shifted(zero->root, plain->root, 0, true),
	   "a shift by 0 changes nothing");
	mime_free(zero);
	mime_free(moved);
	mime_free(whole);
	mime_free(plain);
	free(both);
}

int main(void)
{
	test_nested();
	test_words();
	test_broken();
	test_addresses();
	test_shift();
	done_testing();
	return exit_status();
}
