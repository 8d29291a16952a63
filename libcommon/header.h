/*
 * header.h - the one reader of RFC 5322 header blocks (section 2.2):
 * where a header ends, its fields one by one with name and value spans,
 * case-insensitive lookup and unfolding.  The MIME parser, imap4srv's
 * FETCH/SEARCH and postman's delivery rules all read headers here, so a
 * message means the same thing to each.
 *
 * Input is a byte span, not a string: NUL bytes are data.  Lines end in
 * CRLF or a bare LF.  The reader is lenient where real mail is: a line
 * without a colon (or with nothing before it) is reported as a non-field
 * and otherwise skipped; blanks between a name and its colon (RFC 5322's
 * obsolete syntax, section 4.5) are not part of the name; a last field
 * without a line end runs to the end of the span.  Nothing is copied or
 * allocated except by header_unfold() and header_get(), which write
 * into the caller's buffer and cut what does not fit: no field, however
 * long, is read into a fixed buffer unbounded.
 */
#ifndef EMS_HEADER_H
#define EMS_HEADER_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 5322 section 2.1.1: a line is at most 998 characters.  Callers
 * that keep a value in a fixed buffer size it from this. */
#define HEADER_LINE_MAX 998

/* One field (or non-field line) of a header block, pointing into it. */
struct header_field {
	const char *raw;        /* its first byte */
	size_t raw_len;         /* its lines, folding and last line end included */
	const char *name;       /* NULL for a line that is no field */
	size_t name_len;        /* without the colon and blanks before it */
	const char *value;      /* after the colon: folding and line end included */
	size_t value_len;
};

/* Where a reader is in a header block; set by header_reader_init(). */
struct header_reader {
	const char *pos, *end;
};

/*
 * The length of the header block at DATA (LEN bytes), the blank line
 * that ends it included.  *COMPLETE (when not NULL) says whether that
 * blank line was found; when it was not, the whole of LEN is header
 * (a message without a body, or a block read only in part so far).
 */
size_t header_block_len(const char *data, size_t len, bool *complete);

/* Starts reading the header block at DATA (LEN bytes; the body may
 * follow: reading stops at the blank line). */
void header_reader_init(struct header_reader *r, const char *data, size_t len);

/*
 * The next line of the block and its continuation lines into F, field or
 * not (F->name NULL).  Returns 1, or 0 at the blank line ending the block
 * or at the end of the span; R then points at the blank line (or end).
 */
int header_next(struct header_reader *r, struct header_field *f);

/* As header_next(), skipping what is not a field. */
int header_next_field(struct header_reader *r, struct header_field *f);

/* The next field named NAME (any case) into F: 1, or 0 when there is
 * none left. */
int header_find(struct header_reader *r, const char *name, struct header_field *f);

/* True when F is a field named NAME (any case). */
bool header_field_is(const struct header_field *f, const char *name);

/*
 * F's value unfolded into OUT (SIZE bytes, SIZE > 0) and NUL-terminated:
 * line ends of folding go, blanks at both ends go, a NUL byte becomes a
 * space.  At most SIZE - 1 bytes are written (SIZE = F->value_len + 1
 * always suffices).  Returns the length written.
 */
size_t header_unfold(const struct header_field *f, char *out, size_t size);

/*
 * The first field NAME of the block at DATA (LEN bytes), its value
 * unfolded into OUT as header_unfold() does.  Returns true when there is
 * one; false (OUT empty) when not.
 */
bool header_get(const char *data, size_t len, const char *name, char *out,
                size_t size);

/*
 * Calls EACH(value, value_len, ARG) for every field NAME (any case) of
 * the block at DATA (LEN bytes), in order, the value unfolded as
 * header_unfold() does into a buffer of HEADER_LINE_MAX bytes (a longer
 * value is cut).  EACH may be NULL (counting); EACH returning non-zero
 * stops.  Returns the number of fields NAME seen.
 */
int header_each(const char *data, size_t len, const char *name,
                int (*each)(const char *value, size_t value_len, void *arg),
                void *arg);

#endif
