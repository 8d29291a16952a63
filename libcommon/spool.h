/*
 * spool.h - a message on its way in (an IMAP APPEND literal, LMTP DATA,
 * the mailer's standard input), written to a file in bounded chunks as
 * it arrives instead of being held in memory; the store adopts the file
 * in the commit that creates the message (store_message_adopt(),
 * store_queue_add_spool()).
 *
 * The file lives in the spool directory (paths.spool_dir), is created
 * 0600 and unlinked at once: only the descriptor keeps it, so every way
 * out (an error, a dropped client, the process killed) frees it.  Its
 * name, "ems.<pid>.XXXXXX", shows whose it was for the instant between
 * creation and unlink; spool_prepare() removes the files of processes
 * that are gone.  While the file is written its SHA-256 is kept, so the
 * store need not read it again to find a message it already holds.
 */
#ifndef EMS_SPOOL_H
#define EMS_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What readers hold in memory at once: the unit of copying in and out. */
#define SPOOL_CHUNK (64 * 1024)
/* Length of spool_hash()'s digest (SHA-256, as the store's). */
#define SPOOL_HASH_LEN 32

struct spool;

/*
 * Makes directory DIR (0700) when missing and removes the spool files
 * that processes no longer running left there.  Returns 0, or -1 after
 * logging why (a daemon then goes on: spool_new() will say it again).
 */
int spool_prepare(const char *dir);

/* A new empty spool file in DIR.  NULL after logging why. */
struct spool *spool_new(const char *dir);

/* Appends LEN bytes.  Returns 0, or -1 after logging why (disk full);
 * the spool is unusable then and only spool_free() remains. */
int spool_write(struct spool *sp, const void *data, size_t len);

/* Bytes written so far. */
uint64_t spool_size(const struct spool *sp);

/* Copies the SHA-256 of everything written into OUT; the spool takes no
 * more writes afterwards.  Returns 0, or -1 (logged). */
int spool_hash(struct spool *sp, unsigned char out[SPOOL_HASH_LEN]);

/* Copies up to LEN bytes from OFFSET into BUF.  Returns the count (0 at
 * the end), or -1 after logging why. */
ssize_t spool_read(const struct spool *sp, uint64_t offset, void *buf, size_t len);

/*
 * The serialized MIME structure of the spooled message (mime_structure())
 * as a malloc'ed blob, *LEN its size; NULL when it cannot be had (the
 * message is then parsed on first need).  The file is mapped read-only
 * for the parse and each stretch the parser has passed is given back at
 * once, so the mapping never holds much of the file in memory.
 */
char *spool_structure(const struct spool *sp, size_t *len);

/* Closes (and so removes) the spool file; NULL is allowed. */
void spool_free(struct spool *sp);

#endif
