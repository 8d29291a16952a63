/*
 * imap_flags.h - message flags between the wire and the store: the five
 * settable system flags, \Recent (which belongs to a session, not to
 * the store), and keywords ("$Forwarded", "NonJunk"), kept in the store
 * as one space-separated string.
 */
#ifndef IMAP_FLAGS_H
#define IMAP_FLAGS_H

#include "imap_parse.h"
#include "iobuf.h"
#include "store.h"

#include <stdbool.h>

/* The system flags a client may set (no \Recent). */
#define IMAP_SETTABLE_FLAGS (STORE_FLAG_SEEN | STORE_FLAG_ANSWERED | \
                             STORE_FLAG_FLAGGED | STORE_FLAG_DELETED | \
                             STORE_FLAG_DRAFT)

/* Longest keyword accepted (store_entry keeps at most STORE_KEYWORDS_MAX
 * bytes of them in all). */
#define IMAP_KEYWORD_MAX 128

struct imap_flagset {
	unsigned flags;                        /* STORE_FLAG_* */
	char keywords[STORE_KEYWORDS_MAX];     /* space-separated */
};

/*
 * Parses a flag-list "(\Seen $Label1)" at the cursor into OUT; with
 * BARE_OK (STORE) also a list of flags without parentheses.  Returns 0,
 * or -1 with p->error set: \Recent or an unknown system flag, a keyword
 * too long, or too many keywords.
 */
int imap_p_flag_list(struct imap_parser *p, bool bare_ok, struct imap_flagset *out);

/* The STORE_FLAG_* bit of system flag NAME ("\Seen", any case) or 0. */
unsigned imap_flag_bit(const char *name, size_t len);

/* Writes "(\Seen \Recent kw ...)" for FLAGS and KEYWORDS; RECENT adds
 * \Recent.  Returns what ios_write() returns. */
int imap_flags_write(struct iostream *out, unsigned flags, bool recent,
                     const char *keywords);

/* True when KEYWORDS (space-separated) holds WORD, ignoring case. */
bool imap_keyword_has(const char *keywords, const char *word);

#endif
