/*
 * imap_parse.h - the IMAP command grammar's building blocks (RFC 3501
 * section 9): a cursor over one complete command, literals included, and
 * one function per terminal (atom, astring, string, number, list-mailbox
 * ...).  Command handlers drive it in the order their grammar says, so
 * each command is parsed exactly, not guessed from a generic token list.
 *
 * imap_conn.c assembles a command from its lines and literals before it
 * reaches a parser: the buffer holds the command as the client sent it,
 * with each literal's "{N}" or "{N+}" followed by CRLF and its N bytes,
 * and no CRLF at the end.
 *
 * Every function returns 0 (or true) on success and moves the cursor
 * past what it took; on failure it returns -1, leaves the cursor where
 * the bad input starts and sets p->error to a static sentence for the
 * client's BAD response.  Nothing is logged: bad syntax is the client's
 * business.  Strings point into the command buffer, which the parser
 * may change in place (quoted strings are unescaped there): they stay
 * valid while the buffer does.
 */
#ifndef IMAP_PARSE_H
#define IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parenthesis nesting allowed in one command (SEARCH, FETCH, lists). */
#define IMAP_PARSE_MAX_DEPTH 16

/* A counted string inside the command buffer (may hold NUL when it came
 * from a literal). */
struct imap_str {
	const char *p;
	size_t len;
};

struct imap_parser {
	char *buf;
	size_t len;
	size_t pos;
	int depth;             /* open parentheses */
	const char *error;     /* why the last call failed */
	/* Where a literal announcement sits whose bytes went to a spool
	 * file instead of the buffer (APPEND's message); SIZE_MAX if none. */
	size_t spooled_at;
	bool utf8;             /* mailbox names are UTF-8 (UTF8=ACCEPT, IMAP4rev2) */
};

void imap_parser_init(struct imap_parser *p, char *buf, size_t len);

bool imap_p_at_end(const struct imap_parser *p);
/* True when the next byte is C (nothing is consumed). */
bool imap_p_peek(const struct imap_parser *p, char c);
/* Consumes C when it is next; true when it did. */
bool imap_p_eat(struct imap_parser *p, char c);
/* Consumes C or fails. */
int imap_p_expect(struct imap_parser *p, char c);
/* Exactly one space. */
int imap_p_sp(struct imap_parser *p);
/* Fails unless the whole command has been taken. */
int imap_p_end(struct imap_parser *p);
/* "(" and ")" with the nesting limit. */
int imap_p_open(struct imap_parser *p);
int imap_p_close(struct imap_parser *p);

/* tag: ASTRING-CHARs except "+". */
int imap_p_tag(struct imap_parser *p, struct imap_str *out);
/* atom: one or more ATOM-CHARs. */
int imap_p_atom(struct imap_parser *p, struct imap_str *out);
/* Consumes WORD (case-insensitive) when it is the whole next atom; true
 * when it did.  Used for keywords such as "UID", "CHARSET", "FLAGS". */
bool imap_p_word(struct imap_parser *p, const char *word);

/* A word of an option list and the bit it stands for. */
struct imap_word {
	const char *word;
	unsigned bit;
};

/* Parses "(WORD WORD ...)", possibly "()", of the N words in TABLE: ORs
 * each one's bit into *BITS, and calls ARG_OF (may be NULL) with it to
 * parse what follows the word, if anything.  Returns 0, or -1 with
 * p->error set (an unknown word, bad syntax, or ARG_OF's -1). */
int imap_p_word_list(struct imap_parser *p, const struct imap_word *table, size_t n,
                     unsigned *bits,
                     int (*arg_of)(struct imap_parser *p, unsigned bit, void *arg), void *arg);
/* string: quoted or literal. */
int imap_p_string(struct imap_parser *p, struct imap_str *out);
/* The literal announcement at spooled_at ("{N}" CRLF, its bytes kept
 * elsewhere): *SIZE gets N.  -1 when the cursor is not there. */
int imap_p_spooled(struct imap_parser *p, uint32_t *size);
/* literal8 = "~{" number ["+"] "}" CRLF *OCTET (RFC 3516, RFC 6855's
 * APPEND UTF8). */
int imap_p_literal8(struct imap_parser *p, struct imap_str *out);
/* astring: ASTRING-CHARs (an atom that may hold "]") or a string. */
int imap_p_astring(struct imap_parser *p, struct imap_str *out);
/* list-mailbox: list-chars (with wildcards) or a string. */
int imap_p_list_mailbox(struct imap_parser *p, struct imap_str *out);
/* flag: "\" atom or a keyword atom; OUT includes the backslash. */
int imap_p_flag(struct imap_parser *p, struct imap_str *out);
/* number: 0 .. 2^32-1. */
int imap_p_number(struct imap_parser *p, uint32_t *out);
/* nz-number: 1 .. 2^32-1. */
int imap_p_nz_number(struct imap_parser *p, uint32_t *out);
/* mod-sequence-value: 0 .. 2^63-1 (RFC 7162). */
int imap_p_number64(struct imap_parser *p, uint64_t *out);

/* True when S equals WORD, ignoring ASCII case. */
bool imap_str_eq(const struct imap_str *s, const char *word);
/* Copies S into OUT (OUTLEN bytes) NUL-terminated; -1 when it does not
 * fit or holds a NUL byte. */
int imap_str_copy(const struct imap_str *s, char *out, size_t outlen);
/* A malloc'ed NUL-terminated copy (caller frees); NULL when S holds a NUL
 * byte or memory ran out (logged). */
char *imap_str_dup(const struct imap_str *s);

/* What an ATOM-CHAR / ASTRING-CHAR is, for code that scans on its own. */
bool imap_atom_char(unsigned char c);
bool imap_astring_char(unsigned char c);

/*
 * Looks at the end of a command line: when LINE (LEN bytes, terminator
 * removed) ends with a literal announcement "{N}" or "{N+}", stores N in
 * *SIZE and whether it was non-synchronizing in *NONSYNC and returns 1;
 * returns 0 when the line ends otherwise, -1 when the announcement is
 * malformed or N does not fit 32 bits.
 */
int imap_literal_at_end(const char *line, size_t len, uint32_t *size,
                        bool *nonsync);

#endif
