/*
 * imap_search.h - SEARCH criteria (RFC 3501 section 6.4.4, with
 * CONDSTORE's MODSEQ and OBJECTID's EMAILID and THREADID): parsed once into a tree, then evaluated against
 * each message of the selected mailbox.  Keys that need only the
 * mailbox entry (flags, size, dates, sets) are tested before keys that
 * need the message text, and the text is loaded only when a message
 * gets that far.
 */
#ifndef IMAP_SEARCH_H
#define IMAP_SEARCH_H

#include "imap_parse.h"
#include "imap_seqset.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Keys in one SEARCH command (each costs a node). */
#define IMAP_SEARCH_MAX_KEYS 1024

enum search_kind {
	SK_ALL, SK_AND, SK_OR, SK_NOT,
	SK_FLAGS_SET,      /* every bit of .flags set (SEEN, DELETED ...) */
	SK_FLAGS_UNSET,    /* every bit of .flags unset */
	SK_RECENT, SK_NEW, SK_OLD,
	SK_KEYWORD, SK_UNKEYWORD,
	SK_LARGER, SK_SMALLER,
	SK_BEFORE, SK_ON, SK_SINCE,              /* internal date, by day */
	SK_SENTBEFORE, SK_SENTON, SK_SENTSINCE,  /* Date: header, by day */
	SK_HEADER,         /* .field contains .value (SUBJECT, HEADER ...) */
	SK_ADDRESS,        /* an address of .field contains .value (FROM ...) */
	SK_BODY, SK_TEXT,
	SK_SEQSET, SK_UIDSET,
	SK_MODSEQ,
	SK_EMAILID,        /* .value; .num the message it names, -1: none */
	SK_THREADID,       /* matches nothing: ems has no threads */
};

struct search_key {
	enum search_kind kind;
	unsigned flags;
	int64_t num;             /* size, day number */
	uint64_t modseq;
	char *field, *value;     /* malloc'ed */
	struct imap_seqset set;
	struct search_key *child;    /* AND/OR/NOT: first operand */
	struct search_key *next;     /* next operand of the parent */
	int cost;                    /* 0 entry only, 1 header, 2 whole text */
};

/* What a search looks at for one message.  The text functions load on
 * first use and keep what they loaded in CTX:
 *   header: calls CB with each field NAME of the top-level header, value
 *           unfolded (and with DECODE, RFC 2047-decoded to UTF-8), until
 *           CB returns non-zero; returns CB's value, 0, or -1 when the
 *           message is unreadable;
 *   text:   the whole raw message (NULL when unreadable);
 *   body:   the message after its header (NULL when unreadable). */
struct search_msg {
	uint32_t seq, uid;
	unsigned flags;          /* STORE_FLAG_*; STORE_FLAG_RECENT = this
	                          * session's \Recent */
	const char *keywords;
	int64_t size, internal_date;
	uint64_t modseq;
	int64_t message_id;      /* the store's, for EMAILID */
	int (*header)(void *ctx, const char *name, bool decode,
	              int (*cb)(const char *value, size_t len, void *arg), void *arg);
	const char *(*text)(void *ctx, size_t *len);
	const char *(*body)(void *ctx, size_t *len);
	void *ctx;
};

/*
 * Parses the search keys from the cursor to the end of the command
 * (after CHARSET, which the caller handles) into *OUT, an AND of them.
 * Returns 0, or -1 with p->error set (bad syntax, bad date, too many
 * keys, too deep) or after logging that memory ran out.
 */
int imap_search_parse(struct imap_parser *p, struct search_key **out);

/* Frees a tree from imap_search_parse() (NULL is fine). */
void imap_search_free(struct search_key *k);

/* Resolves the sequence and UID sets of the tree against the mailbox:
 * "*" becomes MAX_SEQ or MAX_UID. */
void imap_search_resolve(struct search_key *k, uint32_t max_seq, uint32_t max_uid);

/* Calls CB with each key of the tree until CB returns non-zero; returns
 * that value or 0.  For what needs the session before the search: "$"
 * (RFC 5182) in sets, the message an EMAILID names. */
int imap_search_each_key(struct search_key *k,
                         int (*cb)(struct search_key *k, void *arg), void *arg);

/* True when the tree uses MODSEQ (the answer then carries "(MODSEQ n)"). */
bool imap_search_has_modseq(const struct search_key *k);

/* True when M matches the (resolved) tree. */
bool imap_search_match(const struct search_key *k, struct search_msg *m);

#endif
