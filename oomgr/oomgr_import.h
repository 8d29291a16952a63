/*
 * oomgr_import.h - what the import readers (oomgr_import_mbox.c,
 * oomgr_import_maildir.c) hand their messages to: a sink that stores
 * each message once, skips what the folder holds already (so a rerun
 * imports nothing twice), commits in batches, and shows progress
 * (oomgr_progress.c).
 */
#ifndef EMS_OOMGR_IMPORT_H
#define EMS_OOMGR_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oomgr_progress.h"

struct store;

struct import_sink {
	struct store *store;
	int64_t mailbox_id;
	size_t imported, skipped, failed;
	uint64_t bytes;
	int batch;                  /* messages in the open transaction */
	struct progress progress;
	char *buf;                  /* the message in CRLF form */
	size_t cap;
};

/*
 * Imports one message: DATA (LEN bytes, LF or CRLF lines; converted to
 * CRLF) with FLAGS (STORE_FLAG_*), KEYWORDS (NULL for none) and
 * INTERNAL_DATE (unix time).  A message whose bytes the folder holds
 * already is skipped.  Returns 0, or -1 when the store failed (said).
 */
int import_message(struct import_sink *s, const char *data, size_t len, unsigned flags,
                   const char *keywords, int64_t internal_date);

/* Commits the last batch.  Returns 0 or -1 (said). */
int import_finish(struct import_sink *s);

/* The readers: each returns 0 or -1 after saying why. */
int import_mbox(struct import_sink *s, const char *path);
int import_maildir(struct import_sink *s, const char *path);

#endif
