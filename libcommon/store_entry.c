/*
 * store_entry.c - mailbox entries in the store: a message in a mailbox
 * with its uid, flags, keywords and modseq.  Appending takes the
 * mailbox's next uid; every change takes a new modseq; expunging marks
 * the entry so other sessions can see it vanish; see store_mail.h.
 */
#include "store_internal.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ENTRY_COLUMNS                                                          \
	"e.mailbox_id, e.uid, e.message_id, e.flags, e.keywords, e.modseq,"       \
	" e.internal_date, coalesce(g.size, 0) + coalesce(length(e.prefix), 0),"   \
	" CASE WHEN e.expunged IS NULL THEN 0 ELSE 1 END, coalesce(length(e.prefix), 0)"
#define ENTRY_FROM " FROM entries e LEFT JOIN messages g ON g.id = e.message_id"

/* The highest uid IMAP can express. */
#define STORE_UID_MAX 0xffffffffLL

void store_entry_clear(struct store_entry *e)
{
	free(e->keywords);
	memset(e, 0, sizeof *e);
}

static void entry_from_row(struct store_stmt *s, struct store_entry *e)
{
	e->mailbox_id = store_col_int64(s, 0);
	e->uid = (uint32_t)store_col_int64(s, 1);
	e->message_id = store_col_int64(s, 2);
	e->flags = (unsigned)store_col_int(s, 3);
	e->keywords = store_col_text(s, 4);
	e->modseq = (uint64_t)store_col_int64(s, 5);
	e->internal_date = store_col_int64(s, 6);
	e->size = store_col_int64(s, 7);
	e->expunged = store_col_int(s, 8) != 0;
	e->prefix_len = (size_t)store_col_int64(s, 9);
}

/* ---- keyword sets: space-separated words, compared ignoring case ---- */

/* The next word of *P (length *N), or NULL at the end; advances *P. */
static const char *next_word(const char **p, size_t *n)
{
	while (**p == ' ')
		(*p)++;
	if (**p == '\0')
		return NULL;
	const char *w = *p;
	*n = strcspn(w, " ");
	*p += *n;
	return w;
}

static bool has_word(const char *list, const char *w, size_t n)
{
	size_t k;
	for (const char *x; (x = next_word(&list, &k)) != NULL;)
		if (k == n && strncasecmp(x, w, n) == 0)
			return true;
	return false;
}

/* Adds word W to OUT (capacity STORE_KEYWORDS_MAX) unless present. */
static int add_word(char *out, const char *w, size_t n)
{
	size_t len = strlen(out);
	if (has_word(out, w, n))
		return 0;
	if (len + 1 + n + 1 > STORE_KEYWORDS_MAX)
		return -1;
	if (len > 0)
		out[len++] = ' ';
	memcpy(out + len, w, n);
	out[len + n] = '\0';
	return 0;
}

static bool words_ok(const char *list)
{
	for (const unsigned char *p = (const unsigned char *)list; *p; p++)
		if ((*p < ' ' || *p == 0x7f))
			return false;
	return true;
}

/* OUT (STORE_KEYWORDS_MAX bytes) gets CUR changed by GIVEN as MODE says;
 * -1 when GIVEN holds control characters or the result is too long. */
static int keywords_apply(const char *cur, enum store_flag_mode mode,
                          const char *given, char *out)
{
	const char *w;
	size_t n;
	out[0] = '\0';
	if (!words_ok(given))
		return -1;
	if (mode != STORE_FLAGS_SET)
		for (const char *p = cur; (w = next_word(&p, &n)) != NULL;)
			if (!(mode == STORE_FLAGS_REMOVE && has_word(given, w, n)) &&
			    add_word(out, w, n) < 0)
				return -1;
	if (mode != STORE_FLAGS_REMOVE)
		for (const char *p = given; (w = next_word(&p, &n)) != NULL;)
			if (add_word(out, w, n) < 0)
				return -1;
	return 0;
}

static unsigned flags_apply(unsigned cur, enum store_flag_mode mode, unsigned given)
{
	switch (mode) {
	case STORE_FLAGS_ADD:
		return cur | given;
	case STORE_FLAGS_REMOVE:
		return cur & ~given;
	default:
		return given;
	}
}

/* ---- uids and modseqs ---- */

/* Takes the next uid and a new modseq of a mailbox (inside a transaction). */
static int next_uid(struct store *st, int64_t mailbox_id, uint32_t *uid,
                    uint64_t *modseq)
{
	struct store_stmt *s = store_stmt(st,
	    "UPDATE mailboxes SET uidnext = uidnext + 1, highest_modseq = highest_modseq + 1"
	    " WHERE id = ?1 RETURNING uidnext - 1, highest_modseq");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, mailbox_id);
	if (store_step_row(st, s, "entry_append", "no such mailbox") < 0)
		return -1;
	int64_t u = store_col_int64(s, 0);
	*modseq = (uint64_t)store_col_int64(s, 1);
	store_reset(s);
	if (u > STORE_UID_MAX)
		return store_fail_kind(st, STORE_E_INVALID, "entry_append", "mailbox out of uids");
	*uid = (uint32_t)u;
	return 0;
}

/* Takes a new modseq of a mailbox (inside a transaction). */
static int next_modseq(struct store *st, int64_t mailbox_id, uint64_t *modseq)
{
	struct store_stmt *s = store_stmt(st,
	    "UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = ?1"
	    " RETURNING highest_modseq");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, mailbox_id);
	if (store_step_row(st, s, "modseq", "no such mailbox") < 0)
		return -1;
	*modseq = (uint64_t)store_col_int64(s, 0);
	store_reset(s);
	return 0;
}

/* ---- entries ---- */

/* Inserts E with PREFIX (E->prefix_len bytes; NULL when none). */
static int insert_entry(struct store *st, const struct store_entry *e, const void *prefix)
{
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO entries (mailbox_id, uid, message_id, flags, keywords, modseq,"
	    " internal_date, prefix) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, e->mailbox_id);
	store_bind_int64(s, 2, e->uid);
	store_bind_int64(s, 3, e->message_id);
	store_bind_int64(s, 4, (int)e->flags);
	store_bind_text(s, 5, e->keywords);
	store_bind_int64(s, 6, (int64_t)e->modseq);
	store_bind_int64(s, 7, e->internal_date);
	if (prefix != NULL && e->prefix_len > 0)
		store_bind_blob(s, 8, prefix, e->prefix_len);
	return store_exec_stmt(st, s, "entry_append");
}

/* store_entry_append() with the entry's PREFIX (PREFIX_LEN bytes). */
static int append(struct store *st, int64_t mailbox_id, int64_t message_id,
                  unsigned flags, const char *keywords, int64_t internal_date,
                  const void *prefix, size_t prefix_len, uint32_t *uid_out)
{
	char kw[STORE_KEYWORDS_MAX];
	struct store_entry e = { .mailbox_id = mailbox_id, .message_id = message_id,
	                         .flags = flags, .keywords = kw,
	                         .internal_date = internal_date, .prefix_len = prefix_len };
	if (keywords_apply("", STORE_FLAGS_SET, keywords ? keywords : "", kw) < 0)
		return store_fail_kind(st, STORE_E_INVALID, "entry_append", "bad keywords");
	if (prefix_len > STORE_PREFIX_MAX)
		return store_fail_kind(st, STORE_E_INVALID, "entry_append", "prefix too long");
	if (store_tx_begin(st) < 0)
		return -1;
	/* The insert fires the trigger that adds the message reference. */
	if (next_uid(st, mailbox_id, &e.uid, &e.modseq) < 0 ||
	    insert_entry(st, &e, prefix) < 0) {
		store_tx_rollback(st);
		return -1;
	}
	if (store_tx_commit(st) < 0)
		return -1;
	if (uid_out != NULL)
		*uid_out = e.uid;
	return 0;
}

int store_entry_append(struct store *st, int64_t mailbox_id, int64_t message_id,
                       unsigned flags, const char *keywords,
                       int64_t internal_date, uint32_t *uid_out)
{
	return append(st, mailbox_id, message_id, flags, keywords, internal_date, NULL, 0,
	              uid_out);
}

int store_entry_deliver(struct store *st, int64_t mailbox_id, int64_t message_id,
                        const void *prefix, size_t prefix_len, int64_t internal_date,
                        uint32_t *uid_out)
{
	return append(st, mailbox_id, message_id, STORE_FLAG_RECENT, NULL, internal_date,
	              prefix, prefix ? prefix_len : 0, uid_out);
}

struct entry_walk {
	int (*cb)(const struct store_entry *e, void *arg);
	void *arg;
};

static int entry_each(struct store_stmt *s, void *ctx)
{
	struct entry_walk *w = ctx;
	struct store_entry e;
	entry_from_row(s, &e);
	int stop = w->cb(&e, w->arg);
	store_entry_clear(&e);
	return stop;
}

int store_entry_list(struct store *st, int64_t mailbox_id, uint32_t min_uid,
                     int (*cb)(const struct store_entry *e, void *arg), void *arg)
{
	struct entry_walk w = { cb, arg };
	struct store_stmt *s = store_stmt(st,
	    "SELECT " ENTRY_COLUMNS ENTRY_FROM " WHERE e.mailbox_id = ?1 AND e.uid >= ?2"
	    " AND e.expunged IS NULL ORDER BY e.uid");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, mailbox_id);
	store_bind_int64(s, 2, min_uid);
	return store_each_row(st, s, "entry_list", entry_each, &w);
}

int store_entry_changes(struct store *st, int64_t mailbox_id, uint64_t since,
                        int (*cb)(const struct store_entry *e, void *arg), void *arg)
{
	struct entry_walk w = { cb, arg };
	struct store_stmt *s = store_stmt(st,
	    "SELECT " ENTRY_COLUMNS ENTRY_FROM " WHERE e.mailbox_id = ?1 AND e.modseq > ?2"
	    " ORDER BY e.uid");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, mailbox_id);
	store_bind_int64(s, 2, (int64_t)since);
	return store_each_row(st, s, "entry_changes", entry_each, &w);
}

int store_entry_get(struct store *st, int64_t mailbox_id, uint32_t uid,
                    struct store_entry *out)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT " ENTRY_COLUMNS ENTRY_FROM " WHERE e.mailbox_id = ?1 AND e.uid = ?2"
	    " AND e.expunged IS NULL");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, mailbox_id);
	store_bind_int64(s, 2, uid);
	if (store_step_row(st, s, "entry_get", "no such uid") < 0)
		return -1;
	entry_from_row(s, out);
	store_reset(s);
	return 0;
}

static int update_flags(struct store *st, const struct store_entry *e)
{
	struct store_stmt *s = store_stmt(st,
	    "UPDATE entries SET flags = ?3, keywords = ?4, modseq = ?5"
	    " WHERE mailbox_id = ?1 AND uid = ?2");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, e->mailbox_id);
	store_bind_int64(s, 2, e->uid);
	store_bind_int64(s, 3, (int)e->flags);
	store_bind_text(s, 4, e->keywords);
	store_bind_int64(s, 5, (int64_t)e->modseq);
	return store_exec_stmt(st, s, "entry_flags");
}

/* Applies the change to E; 1 when something changed, 0 when not, -1
 * when the keywords are bad. */
static int change_entry(struct store_entry *e, enum store_flag_mode mode,
                        unsigned flags, const char *keywords)
{
	char kw[STORE_KEYWORDS_MAX];
	unsigned nf = flags_apply(e->flags, mode, flags);
	int changed = nf != e->flags;
	e->flags = nf;
	if (keywords == NULL)
		return changed;
	if (keywords_apply(e->keywords, mode, keywords, kw) < 0)
		return -1;
	if (strcmp(kw, e->keywords) == 0)
		return changed;
	free(e->keywords);
	e->keywords = strdup(kw);
	if (e->keywords == NULL)
		abort();   /* out of memory for a short string */
	return 1;
}

int store_entry_set_flags(struct store *st, int64_t mailbox_id, uint32_t uid,
                          enum store_flag_mode mode, unsigned flags,
                          const char *keywords, uint64_t *modseq_out)
{
	struct store_entry e = { 0 };
	if (store_tx_begin(st) < 0)
		return -1;
	if (store_entry_get(st, mailbox_id, uid, &e) < 0)
		goto fail;
	int changed = change_entry(&e, mode, flags, keywords);
	if (changed < 0) {
		store_fail_kind(st, STORE_E_INVALID, "entry_flags", "bad or too many keywords");
		goto fail;
	}
	/* An unchanged entry keeps its modseq (CONDSTORE clients rely on it). */
	if (changed && (next_modseq(st, mailbox_id, &e.modseq) < 0 || update_flags(st, &e) < 0))
		goto fail;
	if (store_tx_commit(st) < 0) {
		store_entry_clear(&e);
		return -1;
	}
	if (modseq_out != NULL)
		*modseq_out = e.modseq;
	store_entry_clear(&e);
	return 0;
fail:
	store_entry_clear(&e);
	store_tx_rollback(st);
	return -1;
}

int store_entry_expunge(struct store *st, int64_t mailbox_id, uint32_t uid)
{
	uint64_t modseq;
	/* The update fires the trigger that drops the message reference. */
	struct store_stmt *s = store_stmt(st,
	    "UPDATE entries SET expunged = ?3, modseq = ?4"
	    " WHERE mailbox_id = ?1 AND uid = ?2 AND expunged IS NULL");
	if (s == NULL || store_tx_begin(st) < 0)
		return -1;
	if (next_modseq(st, mailbox_id, &modseq) < 0)
		goto fail;
	store_bind_int64(s, 1, mailbox_id);
	store_bind_int64(s, 2, uid);
	store_bind_int64(s, 3, (int64_t)time(NULL));
	store_bind_int64(s, 4, (int64_t)modseq);
	if (store_exec_changed(st, s, "entry_expunge", "no such uid") < 0)
		goto fail;
	return store_tx_commit(st);
fail:
	store_tx_rollback(st);
	return -1;
}

int store_entry_copy(struct store *st, int64_t mailbox_id, uint32_t uid,
                     int64_t dest_mailbox_id, uint32_t *new_uid)
{
	struct store_entry e;
	char prefix[STORE_PREFIX_MAX];
	size_t plen = 0;
	if (store_tx_begin(st) < 0)
		return -1;
	if (store_entry_get(st, mailbox_id, uid, &e) < 0) {
		store_tx_rollback(st);
		return -1;
	}
	/* \Recent belongs to the session that sees the new entry first. */
	int r = store_entry_prefix_load(st, mailbox_id, uid, prefix, &plen) < 0
	        ? -1
	        : append(st, dest_mailbox_id, e.message_id, e.flags | STORE_FLAG_RECENT,
	                 e.keywords, e.internal_date, prefix, plen, new_uid);
	store_entry_clear(&e);
	if (r < 0) {
		store_tx_rollback(st);
		return -1;
	}
	return store_tx_commit(st);
}
