/*
 * imap_names.h - mailbox names: what a client may call a mailbox, the
 * conversion between the wire (modified UTF-7, or UTF-8 itself once the
 * client enabled UTF8=ACCEPT or IMAP4rev2) and the store (UTF-8),
 * and LIST's wildcard patterns.  The hierarchy delimiter is "/"; INBOX
 * is INBOX in any case.
 *
 * A valid name is 1 to IMAP_NAME_MAX bytes of UTF-8 after decoding, has
 * no control characters, no "*" or "%", no "..", does not start or end
 * with "/" (one trailing "/" is dropped, as CREATE allows), has no empty
 * level ("a//b") and at most IMAP_NAME_DEPTH levels.
 */
#ifndef IMAP_NAMES_H
#define IMAP_NAMES_H

#include "imap_parse.h"

#include <stdbool.h>
#include <stddef.h>

#define IMAP_NAME_MAX 255       /* bytes of the UTF-8 name */
#define IMAP_NAME_DEPTH 32      /* levels */
#define IMAP_WIRE_MAX 1024      /* bytes of a name or pattern on the wire */
#define IMAP_DELIMITER '/'

/*
 * Decodes and checks the mailbox name WIRE into OUT (IMAP_NAME_MAX + 1
 * bytes), "INBOX" spelled as the store keeps it.  Returns 0, or -1 with
 * *WHY set to a sentence for the client's NO (logs nothing).
 */
int imap_name_from_wire(const struct imap_str *wire, char out[IMAP_NAME_MAX + 1],
                        const char **why);

/* The same for a client that names mailboxes in UTF-8 (RFC 6855 3,
 * RFC 9051 5.1): WIRE must be UTF-8; "&" is just a character. */
int imap_name_from_utf8(const struct imap_str *wire, char out[IMAP_NAME_MAX + 1],
                        const char **why);

/*
 * Parses a mailbox argument (an astring) at the cursor and decodes it
 * into OUT as imap_name_from_wire() does, or imap_name_from_utf8() when
 * p->utf8 is set.  Returns 0; -1 for bad syntax
 * (p->error set: answer BAD); -2 for a name that is not allowed (*WHY
 * set: answer NO).
 */
int imap_p_mailbox(struct imap_parser *p, char out[IMAP_NAME_MAX + 1],
                   const char **why);

/* Encodes the store's name NAME for the wire into OUT (IMAP_WIRE_MAX
 * bytes).  Returns 0, or -1 when it cannot be encoded (not UTF-8). */
int imap_name_to_wire(const char *name, char out[IMAP_WIRE_MAX]);

/* The same for a client: NAME itself when UTF8 (the client names
 * mailboxes in UTF-8), its modified UTF-7 otherwise.  -1 when NAME is
 * not UTF-8. */
int imap_name_to_client(const char *name, bool utf8, char out[IMAP_WIRE_MAX]);

/* True when NAME is INBOX or below it ("INBOX/x"): INBOX's case is
 * normalised, the rest compares exactly. */
bool imap_name_is_inbox(const char *name);

/* True when CHILD is below PARENT ("a/b" below "a"). */
bool imap_name_is_below(const char *child, const char *parent);

/*
 * True when NAME matches LIST pattern PATTERN: "*" matches any text,
 * "%" any text without the delimiter; the rest compares exactly, except
 * that a leading "INBOX" matches in any case.  Both are in the same form
 * (the wire form in imap4srv).
 */
bool imap_list_match(const char *pattern, const char *name);

#endif
