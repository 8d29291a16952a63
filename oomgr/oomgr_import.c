/*
 * oomgr_import.c - the `import` statement of oomgr and the sink its
 * readers feed:
 *
 *   import mbox FILE person=NAME [folder=F];
 *   import maildir DIR person=NAME [folder=F];
 *
 * Messages go into the person's folder (INBOX by default, created when
 * missing) with the flags and internal dates the source has; a message
 * whose bytes the folder holds already is skipped, so running an import
 * again adds nothing twice.  Commits go in batches of IMPORT_BATCH.
 */
#include "oomgr_admin.h"
#include "oomgr_import.h"

#include "log.h"
#include "mime.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Messages per transaction: one durable commit per batch, not per message. */
#define IMPORT_BATCH 200

/* S->buf gets DATA with every bare LF turned into CRLF; returns its length,
 * or (size_t)-1 when out of memory. */
static size_t to_crlf(struct import_sink *s, const char *data, size_t len)
{
	size_t need = len * 2 + 1, n = 0;
	if (need > s->cap) {
		char *p = realloc(s->buf, need);
		if (p == NULL)
			return (size_t)-1;
		s->buf = p;
		s->cap = need;
	}
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			s->buf[n++] = '\r';
		s->buf[n++] = data[i];
	}
	return n;
}

/* Stores the message in S->buf unless the folder has it. */
static int put_one(struct import_sink *s, size_t len, unsigned flags,
                   const char *keywords, int64_t internal_date)
{
	int64_t message_id;
	size_t slen = 0;
	/* the MIME structure goes with it, as at delivery (NULL: parsed later) */
	char *structure = mime_structure(s->buf, len, &slen);
	int r = store_message_put(s->store, s->buf, len, internal_date, structure, slen,
	                          &message_id);
	free(structure);
	if (r < 0)
		return -1;
	if (store_entry_find_message(s->store, s->mailbox_id, message_id, NULL) == 0) {
		s->skipped++;
		return 0;
	}
	if (store_last_error(s->store) != STORE_E_NOTFOUND ||
	    store_entry_append(s->store, s->mailbox_id, message_id, flags, keywords,
	                       internal_date, NULL) < 0)
		return -1;
	s->imported++;
	s->bytes += len;
	return 0;
}

int import_message(struct import_sink *s, const char *data, size_t len, unsigned flags,
                   const char *keywords, int64_t internal_date)
{
	size_t n = to_crlf(s, data, len);
	progress_step(&s->progress, len);
	if (n == (size_t)-1)
		return oomgr_fail("Out of memory for a message of %zu bytes.", len);
	if (s->batch == 0 && store_begin(s->store) < 0)
		return admin_failed(s->store, "folder", "import");
	s->batch++;
	if (put_one(s, n, flags, keywords, internal_date) < 0) {
		/* Only this message's savepoint is undone; the batch goes on. */
		if (store_error_transient(s->store)) {
			store_rollback(s->store);
			s->batch = 0;
			return admin_failed(s->store, "folder", "import");
		}
		s->failed++;
	}
	if (s->batch >= IMPORT_BATCH)
		return import_finish(s);
	return 0;
}

int import_finish(struct import_sink *s)
{
	if (s->batch == 0)
		return 0;
	s->batch = 0;
	return store_commit(s->store) < 0 ? admin_failed(s->store, "folder", "import") : 0;
}

/* The folder to import into, created when the person lacks it. */
static int import_folder(struct store *st, const struct store_person *p,
                         const char *folder, int64_t *id)
{
	struct store_mailbox m = { 0 };
	if (store_mailbox_find(st, p->id, folder, &m) == 0) {
		*id = m.id;
		store_mailbox_clear(&m);
		return 0;
	}
	if (store_last_error(st) != STORE_E_NOTFOUND ||
	    store_mailbox_create(st, p->id, folder, NULL, id) < 0 ||
	    store_subscription_add(st, p->id, folder) < 0)
		return admin_failed(st, "folder", folder);
	printf("Created folder %s.\n", folder);
	return 0;
}

static void summary(const struct import_sink *s, const char *who, const char *folder)
{
	double secs = progress_elapsed(&s->progress);
	printf("Imported %zu message%s (%.1f MB) into %s/%s; %zu already there, %zu failed; "
	       "%.1f s, %.0f msg/s.\n", s->imported, s->imported == 1 ? "" : "s",
	       (double)s->bytes / 1e6, who, folder, s->skipped, s->failed, secs,
	       secs > 0 ? (double)(s->imported + s->skipped) / secs : 0.0);
}

int oomgr_import(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { "person", "username", "folder", NULL };
	struct import_sink s = { 0 };
	struct store_person p = { 0 };
	const char *kind = stmt_word(st, 1), *path = stmt_word(st, 2);
	const char *who = stmt_param(st, "person"), *folder = stmt_param(st, "folder");
	bool mbox = stmt_word_is(st, 1, "mbox");

	if (who == NULL)
		who = stmt_param(st, "username");
	if (kind == NULL || path == NULL || who == NULL || stmt_word(st, 3) != NULL ||
	    (!mbox && !stmt_word_is(st, 1, "maildir")))
		return oomgr_fail("Usage: import mbox FILE person=NAME [folder=F]; or "
		                  "import maildir DIR person=NAME [folder=F];");
	if (folder == NULL)
		folder = "INBOX";
	if (admin_check_params(st, known) < 0 || admin_find_person(o, who, &p) < 0)
		return -1;
	s.store = admin_store(o);
	int r = import_folder(s.store, &p, folder, &s.mailbox_id);
	if (r == 0)
		r = mbox ? import_mbox(&s, path) : import_maildir(&s, path);
	if (r == 0)
		r = import_finish(&s);
	else if (s.batch > 0)
		r = import_finish(&s) < 0 ? -1 : r;   /* keep what was read */
	progress_end(&s.progress);
	summary(&s, who, folder);
	store_person_clear(&p);
	free(s.buf);
	return r;
}
