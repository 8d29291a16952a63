/*
 * imap_flags.c - parsing flag lists from commands (STORE, APPEND) and
 * writing them in responses (FETCH FLAGS, SELECT's FLAGS); see
 * imap_flags.h.
 */
#include "imap_flags.h"

#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	unsigned bit;
} system_flags[] = {
	{ "\\Answered", STORE_FLAG_ANSWERED },
	{ "\\Flagged", STORE_FLAG_FLAGGED },
	{ "\\Deleted", STORE_FLAG_DELETED },
	{ "\\Seen", STORE_FLAG_SEEN },
	{ "\\Draft", STORE_FLAG_DRAFT },
};

#define N_SYSTEM_FLAGS (sizeof system_flags / sizeof system_flags[0])

unsigned imap_flag_bit(const char *name, size_t len)
{
	for (size_t i = 0; i < N_SYSTEM_FLAGS; i++)
		if (strlen(system_flags[i].name) == len &&
		    strncasecmp(system_flags[i].name, name, len) == 0)
			return system_flags[i].bit;
	return 0;
}

bool imap_keyword_has(const char *keywords, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = keywords; *p;) {
		size_t k = strcspn(p, " ");
		if (k == n && strncasecmp(p, word, n) == 0)
			return true;
		p += k;
		while (*p == ' ')
			p++;
	}
	return false;
}

static int add_keyword(struct imap_parser *p, struct imap_flagset *out,
                       const struct imap_str *f)
{
	char word[IMAP_KEYWORD_MAX + 1];
	if (imap_str_copy(f, word, sizeof word) < 0) {
		p->error = "keyword too long";
		return -1;
	}
	if (imap_keyword_has(out->keywords, word))
		return 0;
	size_t len = strlen(out->keywords);
	if (len + 1 + f->len + 1 > sizeof out->keywords) {
		p->error = "too many keywords";
		return -1;
	}
	if (len > 0)
		out->keywords[len++] = ' ';
	memcpy(out->keywords + len, word, f->len + 1);
	return 0;
}

static int one_flag(struct imap_parser *p, struct imap_flagset *out)
{
	struct imap_str f;
	size_t start = p->pos;
	if (imap_p_flag(p, &f) < 0)
		return -1;
	if (f.p[0] != '\\')
		return add_keyword(p, out, &f);
	unsigned bit = imap_flag_bit(f.p, f.len);
	if (bit == 0) {
		p->pos = start;
		p->error = imap_str_eq(&f, "\\Recent") ? "\\Recent cannot be set"
		                                        : "unknown system flag";
		return -1;
	}
	out->flags |= bit;
	return 0;
}

int imap_p_flag_list(struct imap_parser *p, bool bare_ok, struct imap_flagset *out)
{
	memset(out, 0, sizeof *out);
	if (!imap_p_peek(p, '(')) {
		if (!bare_ok) {
			p->error = "expected a flag list";
			return -1;
		}
		do {
			if (one_flag(p, out) < 0)
				return -1;
		} while (imap_p_eat(p, ' '));
		return 0;
	}
	if (imap_p_open(p) < 0)
		return -1;
	if (imap_p_peek(p, ')'))
		return imap_p_close(p);
	do {
		if (one_flag(p, out) < 0)
			return -1;
	} while (imap_p_eat(p, ' '));
	return imap_p_close(p);
}

int imap_flags_write(struct iostream *out, unsigned flags, bool recent,
                     const char *keywords)
{
	char buf[128];
	size_t len = 0;
	buf[len++] = '(';
	for (size_t i = 0; i < N_SYSTEM_FLAGS; i++)
		if (flags & system_flags[i].bit) {
			size_t n = strlen(system_flags[i].name);
			if (len > 1)
				buf[len++] = ' ';
			memcpy(buf + len, system_flags[i].name, n);
			len += n;
		}
	if (recent) {
		if (len > 1)
			buf[len++] = ' ';
		memcpy(buf + len, "\\Recent", 7);
		len += 7;
	}
	if (ios_write(out, buf, len) < 0)
		return -1;
	if (keywords != NULL && *keywords) {
		if ((len > 1 && ios_write(out, " ", 1) < 0) || ios_puts(out, keywords) < 0)
			return -1;
	}
	return ios_write(out, ")", 1);
}
