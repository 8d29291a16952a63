/*
 * imap_view_flags.c - the flags a session was told its mailbox has: the
 * untagged FLAGS and OK [PERMANENTFLAGS] of SELECT, and again whenever a
 * keyword the session has not heard of is about to show in a FETCH
 * (RFC 3501 7.2.6: a client may ignore keywords FLAGS did not list).
 * The set only grows while the mailbox is selected, so a keyword once
 * announced is never taken back from a client that may cache it.  See
 * imap_view.h.
 */
#include "imap_flags.h"
#include "imap_view.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define SYSTEM_FLAGS "\\Answered \\Flagged \\Deleted \\Seen \\Draft"

/* Adds keyword W (N bytes) to V's announced set unless it is there.
 * Returns 1 when it was added, 0 when known, -1 when out of memory. */
static int add_word(struct imap_view *v, const char *w, size_t n)
{
	char word[IMAP_KEYWORD_MAX + 1];
	if (n == 0 || n >= sizeof word)
		return 0;
	memcpy(word, w, n);
	word[n] = '\0';
	if (v->announced != NULL && imap_keyword_has(v->announced, word))
		return 0;
	size_t len = v->announced ? strlen(v->announced) : 0;
	char *grown = realloc(v->announced, len + n + 2);
	if (grown == NULL) {
		log_error("imap_view", "error=\"out of memory\" keywords=%zu", len);
		return -1;
	}
	if (len > 0)
		grown[len++] = ' ';
	memcpy(grown + len, word, n + 1);
	v->announced = grown;
	return 1;
}

/* Adds every keyword of KEYWORDS (space-separated); returns how many were
 * new, or -1 when out of memory. */
static int add_words(struct imap_view *v, const char *keywords)
{
	int added = 0;
	const char *p = keywords;
	while (p != NULL && *p != '\0') {
		size_t k = strcspn(p, " ");
		int r = add_word(v, p, k);
		if (r < 0)
			return -1;
		added += r;
		p += k;
		p += strspn(p, " ");
	}
	return added;
}

int imap_view_flags_init(struct imap_view *v)
{
	for (uint32_t i = 0; i < v->n; i++)
		if (add_words(v, v->msgs[i].keywords) < 0)
			return -1;
	return 0;
}

int imap_view_flags_write(struct imap_client *c, const struct view_msg *m)
{
	bool recent = (m->flags & STORE_FLAG_RECENT) && !imap_rev2(c);
	return imap_flags_write(c->conn.ios, m->flags & ~STORE_FLAG_RECENT, recent, m->keywords);
}

int imap_view_flags_send(struct imap_client *c)
{
	const char *kw = c->view->announced ? c->view->announced : "";
	if (imap_untagged(c, "FLAGS (" SYSTEM_FLAGS "%s%s)", *kw ? " " : "", kw) < 0)
		return -1;
	if (c->view->readonly)
		return imap_untagged(c, "OK [PERMANENTFLAGS ()] read-only");
	/* the keywords again, as Dovecot does: some clients read them here */
	return imap_untagged(c, "OK [PERMANENTFLAGS (" SYSTEM_FLAGS "%s%s \\*)] flags and keywords stay",
	                     *kw ? " " : "", kw);
}

int imap_view_flags_announce(struct imap_client *c, const char *keywords)
{
	if (c->view == NULL || keywords == NULL || *keywords == '\0')
		return 0;
	int added = add_words(c->view, keywords);
	if (added < 0)
		return -1;
	return added > 0 ? imap_view_flags_send(c) : 0;
}
