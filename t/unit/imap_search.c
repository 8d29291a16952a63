/* Unit tests for imap4srv's SEARCH: parsing criteria into a tree
 * (imap_search_parse.c) and evaluating it (imap_search_eval.c) on a
 * small mailbox whose messages are described here, so each expected
 * result can be checked by eye against the data. */
#include "tap.h"
#include "imap_date.h"
#include "../../imap4srv/imap_search.h"
#include "store.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

struct fake {
	unsigned flags;
	const char *keywords;
	int64_t size;
	const char *internal;   /* "d-Mon-yyyy" */
	uint64_t modseq;
	const char *from, *subject, *date;   /* decoded header values */
	const char *body;
};

/* Five messages, uids 10, 20, 30, 40, 50. */
static const struct fake box[] = {
	{ STORE_FLAG_SEEN, "", 1200, "1-Feb-2026", 5, "Alice <alice@example.test>",
	  "Lunch on Friday", "Sun, 1 Feb 2026 10:00:00 +0100", "Pizza or sushi?" },
	{ STORE_FLAG_RECENT, "$Forwarded", 5000, "3-Feb-2026", 9, "Bob <bob@example.org>",
	  "Quarterly report", "Tue, 3 Feb 2026 23:30:00 -0800", "Figures attached." },
	{ STORE_FLAG_SEEN | STORE_FLAG_FLAGGED | STORE_FLAG_ANSWERED, "Work", 800, "3-Feb-2026",
	  12, "alice@example.test", "Re: Lunch on Friday", NULL, "Sushi, of course." },
	{ STORE_FLAG_DELETED | STORE_FLAG_RECENT | STORE_FLAG_SEEN, "", 64000, "10-Mar-2026", 3,
	  "Carol <carol@example.test>", "café au lait", "10 Mar 26 08:00 GMT", "Crème brûlée." },
	{ STORE_FLAG_DRAFT, "Work $Label1", 300, "11-Mar-2026", 14, "Dave <dave@example.test>",
	  "Draft: plans", "Wed, 11 Mar 2026 12:00:00 +0000", "Nothing yet." },
};

#define N (sizeof box / sizeof box[0])

static int header(void *ctx, const char *name, bool decode,
                  int (*cb)(const char *value, size_t len, void *arg), void *arg)
{
	(void)decode;   /* the fake values have no encoded words */
	const struct fake *f = ctx;
	const char *v = strcasecmp(name, "From") == 0 ? f->from
	              : strcasecmp(name, "Subject") == 0 ? f->subject
	              : strcasecmp(name, "Date") == 0 ? f->date : NULL;
	return v ? cb(v, strlen(v), arg) : 0;
}

static const char *body(void *ctx, size_t *len)
{
	const struct fake *f = ctx;
	*len = strlen(f->body);
	return f->body;
}

static const char *text(void *ctx, size_t *len)
{
	static char buf[512];
	const struct fake *f = ctx;
	snprintf(buf, sizeof buf, "From: %s\r\nSubject: %s\r\n\r\n%s", f->from, f->subject, f->body);
	*len = strlen(buf);
	return buf;
}

/* Runs CRITERIA over the box; the uids that match, space-separated. */
static const char *search(const char *criteria)
{
	static char out[128], cmd[16384];
	struct imap_parser p;
	struct search_key *k;
	size_t len = strlen(criteria);
	memcpy(cmd, criteria, len + 1);
	imap_parser_init(&p, cmd, len);
	if (imap_search_parse(&p, &k) < 0) {
		snprintf(out, sizeof out, "error: %s", p.error);
		return out;
	}
	imap_search_resolve(k, N, 50);
	out[0] = '\0';
	for (size_t i = 0; i < N; i++) {
		struct search_msg m = {
			.seq = (uint32_t)i + 1, .uid = (uint32_t)(i + 1) * 10, .flags = box[i].flags,
			.keywords = box[i].keywords, .size = box[i].size, .modseq = box[i].modseq,
			.header = header, .text = text, .body = body, .ctx = (void *)&box[i],
		};
		int64_t day;
		imap_date_parse(box[i].internal, strlen(box[i].internal), &day);
		m.internal_date = day * 86400 + 3600;
		if (imap_search_match(k, &m))
			snprintf(out + strlen(out), sizeof out - strlen(out), "%s%u",
			         out[0] ? " " : "", m.uid);
	}
	imap_search_free(k);
	return out;
}

static void test_keys(void)
{
	is_str(search("ALL"), "10 20 30 40 50", "ALL");
	is_str(search("SEEN"), "10 30 40", "SEEN");
	is_str(search("UNSEEN"), "20 50", "UNSEEN");
	is_str(search("DELETED"), "40", "DELETED");
	is_str(search("UNDELETED UNSEEN"), "20 50", "two keys are an AND");
	is_str(search("FLAGGED ANSWERED"), "30", "FLAGGED ANSWERED");
	is_str(search("DRAFT"), "50", "DRAFT");
	is_str(search("RECENT"), "20 40", "RECENT");
	is_str(search("NEW"), "20", "NEW is RECENT and UNSEEN");
	is_str(search("OLD"), "10 30 50", "OLD is not RECENT");
	is_str(search("KEYWORD work"), "30 50", "KEYWORD, any case");
	is_str(search("UNKEYWORD Work"), "10 20 40", "UNKEYWORD");
	is_str(search("LARGER 1200"), "20 40", "LARGER is strictly larger");
	is_str(search("SMALLER 800"), "50", "SMALLER is strictly smaller");
	is_str(search("BEFORE 3-Feb-2026"), "10", "BEFORE (internal date)");
	is_str(search("ON 3-Feb-2026"), "20 30", "ON");
	is_str(search("SINCE \"10-Mar-2026\""), "40 50", "SINCE, quoted date");
	is_str(search("SENTON 3-Feb-2026"), "20", "SENTON uses the Date: header's own day");
	is_str(search("SENTBEFORE 10-Mar-2026"), "10 20", "SENTBEFORE skips messages without Date:");
	is_str(search("SENTSINCE 10-Mar-2026"), "40 50", "SENTSINCE with a two-digit year");
	is_str(search("FROM alice"), "10 30", "FROM, substring, any case");
	is_str(search("SUBJECT \"lunch on\""), "10 30", "SUBJECT");
	is_str(search("SUBJECT \"CAFÉ\""), "", "non-ASCII letters compare exactly");
	is_str(search("SUBJECT \"café\""), "40", "  and match the decoded header");
	is_str(search("HEADER Date \"\""), "10 20 40 50", "HEADER x \"\" means the field exists");
	is_str(search("BODY sushi"), "10 30", "BODY");
	is_str(search("TEXT alice"), "10 30", "TEXT covers the header");
	is_str(search("BODY alice"), "", "  BODY does not");
	is_str(search("NOT SEEN"), "20 50", "NOT");
	is_str(search("OR DRAFT DELETED"), "40 50", "OR");
	is_str(search("OR (SEEN FLAGGED) NOT OR RECENT DRAFT"), "10 30", "nested OR/NOT/()");
	is_str(search("2:3"), "20 30", "a sequence set");
	is_str(search("4:*"), "40 50", "a sequence set with *");
	is_str(search("UID 25:45"), "30 40", "a UID set");
	is_str(search("UID *"), "50", "UID * is the last");
	is_str(search("MODSEQ 9"), "20 30 50", "MODSEQ");
	is_str(search("MODSEQ \"/flags/\\\\draft\" all 9"), "20 30 50", "MODSEQ with an entry name");
	is_str(search("TEXT sushi SEEN 1:3"), "10 30", "cheap keys first, same answer");
}

static void test_errors(void)
{
	ok(strncmp(search("BOGUS"), "error", 5) == 0, "an unknown key");
	ok(strncmp(search("BEFORE 31-Feb-2026"), "error", 5) == 0, "an impossible date");
	ok(strncmp(search("OR SEEN"), "error", 5) == 0, "OR needs two keys");
	ok(strncmp(search("(SEEN"), "error", 5) == 0, "an unclosed parenthesis");
	ok(strncmp(search("SEEN  DRAFT"), "error", 5) == 0, "two spaces");
	ok(strncmp(search("LARGER x"), "error", 5) == 0, "LARGER needs a number");
	char deep[200] = "";
	for (int i = 0; i < 20; i++)
		strcat(deep, "(");
	strcat(deep, "ALL");
	for (int i = 0; i < 20; i++)
		strcat(deep, ")");
	ok(strncmp(search(deep), "error", 5) == 0, "nesting past the limit");
	char many[8192] = "ALL";
	for (int i = 0; i < IMAP_SEARCH_MAX_KEYS; i++)
		strcat(many, " ALL");
	ok(strncmp(search(many), "error", 5) == 0, "more keys than the limit");
}

static void test_dates(void)
{
	int64_t day, t;
	char out[IMAP_DATE_TIME_LEN];
	imap_date_time_format(0, out);
	is_str(out, " 1-Jan-1970 00:00:00 +0000", "date-time of the epoch, day space-padded");
	ok(imap_date_time_parse("17-Jul-1996 02:44:25 -0700", 26, &t) == 0 && t == 837596665,
	   "an APPEND date-time with its zone");
	imap_date_time_format(t, out);
	is_str(out, "17-Jul-1996 09:44:25 +0000", "  shown in UTC");
	ok(imap_date_time_parse(" 7-Jul-1996 02:44:25 +0000", 26, &t) == 0, "a space-padded day");
	ok(imap_date_time_parse("17-Jul-1996 02:44:25", 20, &t) < 0, "a date-time needs a zone");
	ok(imap_date_time_parse("29-Feb-2025 00:00:00 +0000", 26, &t) < 0, "no 29 Feb in 2025");
	ok(imap_date_parse("29-Feb-2024", 11, &day) == 0 && day == 19782, "29 Feb 2024 exists");
	ok(imap_rfc5322_date("Tue, 1 Jul 2003 10:52:37 +0200", 30, &day, &t) == 0 &&
	   t == 1057049557, "an RFC 5322 date");
	ok(imap_rfc5322_date("1 Jul 03 10:52 EDT", 18, &day, &t) == 0 && t == 1057071120,
	   "  obsolete: two-digit year, no seconds, named zone");
	ok(imap_rfc5322_date("yesterday", 9, &day, &t) < 0, "  garbage is refused");
}

int main(void)
{
	test_keys();
	test_errors();
	test_dates();
	done_testing();
	return exit_status();
}
