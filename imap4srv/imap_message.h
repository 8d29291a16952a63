/*
 * imap_message.h - one stored message as FETCH and SEARCH see it: its
 * MIME structure (parsed once at delivery and kept with the message;
 * parsed here and stored only for a message that arrived without one),
 * where each body section lies in the raw bytes, ENVELOPE and
 * BODYSTRUCTURE text, header fields, and the raw bytes themselves,
 * read in pieces or, for SEARCH, whole.  Everything is loaded on first
 * need and freed with the handle.
 *
 * The message is the one its mailbox entry shows: the entry's own trace
 * fields (store_mail.h) on top of the shared message, so offsets, sizes
 * and the MIME structure all count them.
 */
#ifndef IMAP_MESSAGE_H
#define IMAP_MESSAGE_H

#include "imap_fetch_att.h"
#include "imap_server.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct imap_message;
struct view_msg;

/* A handle on the message of entry VM of mailbox MAILBOX_ID.  Returns
 * NULL only when out of memory (logged). */
struct imap_message *imap_message_open(struct imap_server *srv, int64_t mailbox_id,
                                       const struct view_msg *vm);

/* The same reading through ST, for a read job (imap_job.h): its raw
 * bytes, header and text only (rendering ENVELOPE or BODYSTRUCTURE
 * needs the server's settings, imap_message_open()'s). */
struct imap_message *imap_message_open_on(struct store *st, int64_t mailbox_id,
                                          const struct view_msg *vm);

/* Frees M and all it loaded (NULL is fine). */
void imap_message_close(struct imap_message *m);

/*
 * Loads all of M a FETCH may need - its raw bytes and MIME structure
 * (parsed and stored back when none was stored) - through ST, touching
 * nothing else: a read job's work (imap_job.h) on a pool thread.  After
 * it M reads nothing more from the store; the other calls answer from
 * memory.  Returns 0, or -1 after a store failure or running out of
 * memory (logged).
 */
int imap_message_preload(struct imap_message *m, struct store *st);

/*
 * Where section S (part number and HEADER / TEXT / MIME / whole; not
 * HEADER.FIELDS) lies in the raw message: *OFF and *LEN.  Returns 1, 0
 * when the message has no such part, -1 after logging a store failure.
 */
int imap_message_section(struct imap_message *m, const struct fetch_section *s,
                         size_t *off, size_t *len);

/*
 * The header of section S filtered by its HEADER.FIELDS (.NOT) list, with
 * the blank line that ends a header: *OUT (malloc'ed, caller frees),
 * *LEN.  Returns 1, 0 when there is no such part, -1 on failure.
 */
int imap_message_fields(struct imap_message *m, const struct fetch_section *s,
                        char **out, size_t *len);

/* ENVELOPE, BODYSTRUCTURE (EXTENSIBLE) or BODY as IMAP text: *OUT
 * (malloc'ed, caller frees), *LEN.  Returns 0 or -1 (logged). */
int imap_message_envelope(struct imap_message *m, char **out, size_t *len);
int imap_message_bodystructure(struct imap_message *m, bool extensible, char **out,
                               size_t *len);

/* Copies up to LEN bytes from OFF of the raw message into BUF; returns
 * the count (0 past the end) or -1 (logged). */
ssize_t imap_message_read(struct imap_message *m, size_t off, void *buf, size_t len);

/* The whole raw message (loaded once, owned by M), *LEN its size; NULL
 * when it cannot be read (logged). */
const char *imap_message_text(struct imap_message *m, size_t *len);

/* The body of the message after its header (inside the buffer of
 * imap_message_text()), *LEN its size; NULL as there. */
const char *imap_message_body(struct imap_message *m, size_t *len);

/*
 * Calls CB with each header field of the top-level header named NAME
 * (any case), its value unfolded and, when DECODE, RFC 2047-decoded to
 * UTF-8, until CB returns non-zero.  Returns CB's value, 0 when it never
 * stopped, -1 on failure.
 */
int imap_message_header(struct imap_message *m, const char *name, bool decode,
                        int (*cb)(const char *value, size_t len, void *arg), void *arg);

/* ---- imap_message_mime.c: what needs the MIME structure ---- */

/* imap_message_section() for a section with a part number. */
int imap_message_part(struct imap_message *m, const struct fetch_section *s,
                      size_t *off, size_t *len);

/*
 * BINARY[part] (RFC 3516): the body of the part section S names (the
 * whole message for no part) decoded from its Content-Transfer-Encoding:
 * *OUT (malloc'ed, caller frees), *LEN.  Returns 1, 0 when there is no
 * such part, -2 when its encoding is unknown (UNKNOWN-CTE), -1 on
 * failure (logged).
 */
int imap_message_binary(struct imap_message *m, const struct fetch_section *s,
                        char **out, size_t *len);
/*
 * Parses raw message DATA (LEN bytes) into the serialized MIME structure
 * the store keeps with it (APPEND stores it with the message, as
 * delivery does): *OUT (malloc'ed, caller frees), *OUT_LEN.  Returns 0,
 * or -1 after logging (the message is then stored without one and
 * parsed when first fetched).
 */
int imap_message_parse(const char *data, size_t len, void **out, size_t *out_len);

#endif
