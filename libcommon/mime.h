/*
 * mime.h - the MIME structure of a message (RFC 2045-2047, 2231, 5322):
 * a tree of parts parsed once at delivery, kept with the message in the
 * store in a compact serialized form, and read back by imap4srv for
 * ENVELOPE, BODYSTRUCTURE and BODY[section].
 *
 * Every part records where its header and body lie in the raw message,
 * its Content-* fields and, when it is the top of a message (the root,
 * or what a message/rfc822 part encloses), the envelope fields.  The
 * parser never fails on bad input: broken or hostile MIME (missing
 * boundaries, bad fields, truncation, deep nesting) still gives a sane
 * tree; only running out of memory fails.
 *
 *   mime_parse.c      the part tree
 *   mime_header.c     header fields, unfolding, Content-* values and
 *                     their parameters (RFC 2231 continuations too)
 *   mime_address.c    address lists for the envelope
 *   mime_words.c      RFC 2047 encoded words to UTF-8 (iconv)
 *   mime_serialize.c  the stored form
 *   mime_tree.c       the tree's memory
 */
#ifndef EMS_MIME_H
#define EMS_MIME_H

#include <stdbool.h>
#include <stddef.h>

/* Nesting deeper than this is not parsed: a multipart or message/rfc822
 * part at this depth is kept as application/octet-stream (as is a
 * message/rfc822 part with a transfer encoding other than 7bit, 8bit or
 * binary, which RFC 2046 forbids). */
#define MIME_DEPTH_MAX 32
/* Parts in one message at most; after that a multipart is not split
 * further (its last part runs to its end). */
#define MIME_PARTS_MAX 1000
/* Parameters of one field, addresses of one field, languages kept. */
#define MIME_PARAMS_MAX 64
#define MIME_ADDRESSES_MAX 1000
#define MIME_LANGUAGES_MAX 32

/* A Content-Type or Content-Disposition parameter.  RFC 2231
 * continuations are joined: an extended value keeps its form, NAME
 * then ends in '*' and VALUE is "charset'language'percent-encoded"
 * (mime_param_get() decodes it). */
struct mime_param {
	char *name;
	char *value;
};

/* One address of an address list, as IMAP's ENVELOPE has it: NAME the
 * display name (or a comment), ADL the source route, MAILBOX the local
 * part, HOST the domain ("" when missing).  A group opens with HOST
 * NULL and MAILBOX its name, and closes with all four NULL. */
struct mime_address {
	char *name, *adl, *mailbox, *host;
};

struct mime_addresses {
	struct mime_address *v;
	size_t n;
};

/* The envelope of a message (RFC 3501 ENVELOPE): the fields' values
 * unfolded, with their encoded words kept (clients decode them); NULL
 * when the field is absent. */
struct mime_envelope {
	char *date, *subject, *in_reply_to, *message_id;
	struct mime_addresses from, sender, reply_to, to, cc, bcc;
};

struct mime_part {
	size_t header_off, header_len;  /* the header, blank line included */
	size_t body_off, body_len;
	size_t lines;                   /* text lines of the body */
	char *type, *subtype;           /* as written ("text", "plain" by default) */
	struct mime_param *params;
	size_t nparams;
	char *id, *description, *encoding, *md5, *location;   /* NULL: absent */
	char *disposition;              /* NULL: no Content-Disposition */
	struct mime_param *disp_params;
	size_t ndisp_params;
	char **languages;
	size_t nlanguages;
	struct mime_envelope *envelope; /* the top of a message only */
	/* A multipart's parts, or for a message/rfc822 part exactly one:
	 * the top part of the message it encloses. */
	struct mime_part **children;
	size_t nchildren;
};

struct mime_arena;

struct mime_tree {
	struct mime_part *root;
	struct mime_arena *arena;       /* owns every part and string */
	size_t nparts;
	bool oom;                       /* an allocation failed */
	/* While parsing, told of each stretch of the input read through
	 * (mime_structure_mapped()); NULL otherwise. */
	void (*passed)(const char *p, size_t len, void *arg);
	void *passed_arg;
};

/*
 * Parses raw message DATA (LEN bytes; CRLF or LF line ends).  Returns
 * the tree (free with mime_free()), or NULL when memory ran out
 * (logged).
 */
struct mime_tree *mime_parse(const char *data, size_t len);

void mime_free(struct mime_tree *t);

/* True when P is multipart/... or message/rfc822 with an enclosed
 * message (any case). */
bool mime_is_multipart(const struct mime_part *p);
bool mime_is_message(const struct mime_part *p);

/*
 * The value of parameter NAME (any case) among PARAMS, decoded to UTF-8
 * from an RFC 2231 extended value: a malloc'ed string (caller frees),
 * NULL when absent or out of memory.
 */
char *mime_param_get(const struct mime_param *params, size_t n, const char *name);

/*
 * Splits address list V (an unfolded From, To, ... value) as ENVELOPE
 * does into OUT, encoded words kept.  Returns the tree that holds OUT's
 * strings (free it with mime_free() when done with them), or NULL when
 * memory ran out (logged).
 */
struct mime_tree *mime_address_parse(const char *v, struct mime_addresses *out);

/*
 * Decodes the RFC 2047 encoded words of header text S (LEN bytes) into
 * UTF-8 (blanks between adjacent encoded words dropped; an unknown
 * charset or a malformed word is kept as it is): a malloc'ed, NUL
 * terminated string (caller frees), *OUT_LEN its length.  NULL when out
 * of memory (logged).
 */
char *mime_words_decode(const char *s, size_t len, size_t *out_len);

/*
 * Converts LEN bytes of S from CHARSET to UTF-8 appended to OUT (which
 * has room for 4 * LEN + 4 bytes); bytes that do not convert become
 * U+FFFD.  Returns the bytes written, or -1 when CHARSET is unknown
 * (nothing written).
 */
long mime_charset_to_utf8(const char *charset, const char *s, size_t len, char *out);

/*
 * The stored form of T: *OUT (malloc'ed, caller frees), *LEN.  Returns 0,
 * or -1 when memory ran out (logged).
 */
int mime_serialize(const struct mime_tree *t, char **out, size_t *len);

/*
 * Parses raw message DATA (LEN bytes) straight into its stored form:
 * what delivery hands to store_message_put().  Returns the malloc'ed
 * form (caller frees, *OUT_LEN its length), or NULL when memory ran out
 * (logged): the message is then stored without one and parsed when
 * first needed.
 */
char *mime_structure(const char *data, size_t len, size_t *out_len);

/*
 * The same over a read-only file mapping: PASSED(p, n, ARG) is called
 * for each stretch of about a MiB the parser has read through, so the
 * caller can give those pages back (the parser may read them again).
 */
char *mime_structure_mapped(const char *data, size_t len,
                            void (*passed)(const char *p, size_t len, void *arg),
                            void *arg, size_t *out_len);

/*
 * Moves T to describe the same message with LEN bytes of header fields
 * put on top of its header: the top header grows by LEN and every other
 * offset moves by LEN (a mailbox entry's trace fields, store_mail.h).
 */
void mime_shift(struct mime_tree *t, size_t len);

/*
 * The tree back from its stored form (DATA, LEN bytes).  Returns NULL
 * when DATA is not a well-formed stored tree or memory ran out (both
 * logged); the caller then parses the message again.
 */
struct mime_tree *mime_deserialize(const void *data, size_t len);

#endif
