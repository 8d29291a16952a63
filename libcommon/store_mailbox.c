/*
 * store_mailbox.c - mailboxes and their entries (uid, flags, keywords,
 * modseq) in the store; see store.h.
 */
#include "store_internal.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void store_mailbox_clear(struct store_mailbox *m)
{
	free(m->name);
	free(m->special_use);
	memset(m, 0, sizeof *m);
}

void store_entry_clear(struct store_entry *e)
{
	free(e->keywords);
	memset(e, 0, sizeof *e);
}

int store_mailbox_create(struct store *st, int64_t person_id, const char *name,
                         const char *special_use, int64_t *id_out)
{
	if (name == NULL || *name == '\0')
		return store_fail_kind(st, STORE_E_INVALID, "mailbox_create", "empty name");
	/* UIDVALIDITY must never repeat for a name: take the clock, but always
	 * above every value handed out before. */
	sqlite3_stmt *s = store_stmt(st,
	    "INSERT INTO mailboxes (person_id, name, uidvalidity, special_use)"
	    " VALUES (?1, ?2, max(?3, coalesce((SELECT max(uidvalidity) + 1"
	    " FROM mailboxes), 1)), ?4)");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, person_id);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)time(NULL) & 0xffffffffLL);
	sqlite3_bind_text(s, 4, special_use ? special_use : "", -1, SQLITE_STATIC);
	if (store_exec_stmt(st, s, "mailbox_create") < 0)
		return -1;
	if (id_out != NULL)
		*id_out = sqlite3_last_insert_rowid(st->db);
	return 0;
}

#define MAILBOX_COLUMNS \
	"id, person_id, name, uidvalidity, uidnext, highest_modseq, subscribed, special_use"

static void mailbox_from_row(sqlite3_stmt *s, struct store_mailbox *m)
{
	m->id = sqlite3_column_int64(s, 0);
	m->person_id = sqlite3_column_int64(s, 1);
	m->name = store_col_text(s, 2);
	m->uidvalidity = (uint32_t)sqlite3_column_int64(s, 3);
	m->uidnext = (uint32_t)sqlite3_column_int64(s, 4);
	m->highest_modseq = (uint64_t)sqlite3_column_int64(s, 5);
	m->subscribed = sqlite3_column_int(s, 6) != 0;
	m->special_use = store_col_text(s, 7);
}

static int mailbox_one(struct store *st, sqlite3_stmt *s, struct store_mailbox *out,
                       const char *what)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		mailbox_from_row(s, out);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? store_fail_kind(st, STORE_E_NOTFOUND, "mailbox_find", what)
	                         : store_fail(st, "mailbox_find", rc);
}

int store_mailbox_find(struct store *st, int64_t person_id, const char *name,
                       struct store_mailbox *out)
{
	/* INBOX is case-insensitive (RFC 3501); other names are exact. */
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE person_id = ?1 AND"
	    " (name = ?2 OR (upper(?2) = 'INBOX' AND name = 'INBOX'))");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, person_id);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	return mailbox_one(st, s, out, name);
}

int store_mailbox_get(struct store *st, int64_t mailbox_id, struct store_mailbox *out)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, mailbox_id);
	return mailbox_one(st, s, out, "id");
}

int store_mailbox_list(struct store *st, int64_t person_id,
                       int (*cb)(const struct store_mailbox *m, void *arg), void *arg)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE person_id = ?1 ORDER BY name");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, person_id);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_mailbox m;
		mailbox_from_row(s, &m);
		int stop = cb(&m, arg);
		store_mailbox_clear(&m);
		if (stop)
			break;
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(st, "mailbox_list", rc);
}

static int changed_one(struct store *st, sqlite3_stmt *s, const char *op)
{
	if (s == NULL || store_exec_stmt(st, s, op) < 0)
		return -1;
	return sqlite3_changes(st->db) ? 0
	                               : store_fail_kind(st, STORE_E_NOTFOUND, op, "no such mailbox");
}

int store_mailbox_rename(struct store *st, int64_t mailbox_id, const char *new_name)
{
	if (new_name == NULL || *new_name == '\0')
		return store_fail_kind(st, STORE_E_INVALID, "mailbox_rename", "empty name");
	/* A renamed mailbox is a new mailbox to clients: new UIDVALIDITY. */
	sqlite3_stmt *s = store_stmt(st,
	    "UPDATE mailboxes SET name = ?2, uidvalidity ="
	    " (SELECT max(uidvalidity) + 1 FROM mailboxes) WHERE id = ?1");
	if (s != NULL) {
		sqlite3_bind_int64(s, 1, mailbox_id);
		sqlite3_bind_text(s, 2, new_name, -1, SQLITE_STATIC);
	}
	return changed_one(st, s, "mailbox_rename");
}

int store_mailbox_delete(struct store *st, int64_t mailbox_id)
{
	sqlite3_stmt *refs = store_stmt(st,
	    "UPDATE messages SET refcount = refcount - (SELECT count(*) FROM entries e"
	    " WHERE e.mailbox_id = ?1 AND e.message_id = messages.id)"
	    " WHERE id IN (SELECT message_id FROM entries WHERE mailbox_id = ?1)");
	sqlite3_stmt *del = store_stmt(st, "DELETE FROM mailboxes WHERE id = ?1");
	if (refs == NULL || del == NULL || store_tx_begin(st) < 0)
		return -1;
	sqlite3_bind_int64(refs, 1, mailbox_id);
	sqlite3_bind_int64(del, 1, mailbox_id);
	if (store_exec_stmt(st, refs, "mailbox_delete") < 0 ||
	    changed_one(st, del, "mailbox_delete") < 0) {
		store_tx_rollback(st);
		return -1;
	}
	return store_tx_commit(st);
}

int store_mailbox_subscribe(struct store *st, int64_t mailbox_id, bool on)
{
	sqlite3_stmt *s = store_stmt(st, "UPDATE mailboxes SET subscribed = ?2 WHERE id = ?1");
	if (s != NULL) {
		sqlite3_bind_int64(s, 1, mailbox_id);
		sqlite3_bind_int(s, 2, on ? 1 : 0);
	}
	return changed_one(st, s, "mailbox_subscribe");
}

/* ---- entries ---- */

/* Takes the next uid and modseq of a mailbox (inside a transaction). */
static int next_uid(struct store *st, int64_t mailbox_id, uint32_t *uid,
                    uint64_t *modseq)
{
	sqlite3_stmt *s = store_stmt(st,
	    "UPDATE mailboxes SET uidnext = uidnext + 1, highest_modseq = highest_modseq + 1"
	    " WHERE id = ?1 RETURNING uidnext - 1, highest_modseq");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, mailbox_id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*uid = (uint32_t)sqlite3_column_int64(s, 0);
		*modseq = (uint64_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? store_fail_kind(st, STORE_E_NOTFOUND, "entry_append", "mailbox")
	                         : store_fail(st, "entry_append", rc);
}

static int insert_entry(struct store *st, int64_t mailbox_id, uint32_t uid,
                        int64_t message_id, unsigned flags, const char *keywords,
                        uint64_t modseq, int64_t internal_date)
{
	sqlite3_stmt *s = store_stmt(st,
	    "INSERT INTO entries (mailbox_id, uid, message_id, flags, keywords, modseq,"
	    " internal_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, mailbox_id);
	sqlite3_bind_int64(s, 2, uid);
	sqlite3_bind_int64(s, 3, message_id);
	sqlite3_bind_int(s, 4, (int)flags);
	sqlite3_bind_text(s, 5, keywords ? keywords : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (int64_t)modseq);
	sqlite3_bind_int64(s, 7, internal_date);
	return store_exec_stmt(st, s, "entry_append");
}

int store_entry_append(struct store *st, int64_t mailbox_id, int64_t message_id,
                       unsigned flags, const char *keywords,
                       int64_t internal_date, uint32_t *uid_out)
{
	uint32_t uid = 0;
	uint64_t modseq = 0;
	if (store_tx_begin(st) < 0)
		return -1;
	if (next_uid(st, mailbox_id, &uid, &modseq) < 0 ||
	    insert_entry(st, mailbox_id, uid, message_id, flags, keywords, modseq,
	                 internal_date) < 0 ||
	    store_message_ref(st, message_id, +1) < 0) {
		store_tx_rollback(st);
		return -1;
	}
	if (store_tx_commit(st) < 0)
		return -1;
	if (uid_out != NULL)
		*uid_out = uid;
	return 0;
}

#define ENTRY_COLUMNS \
	"e.mailbox_id, e.uid, e.message_id, e.flags, e.keywords, e.modseq," \
	" e.internal_date, g.size"

static void entry_from_row(sqlite3_stmt *s, struct store_entry *e)
{
	e->mailbox_id = sqlite3_column_int64(s, 0);
	e->uid = (uint32_t)sqlite3_column_int64(s, 1);
	e->message_id = sqlite3_column_int64(s, 2);
	e->flags = (unsigned)sqlite3_column_int(s, 3);
	e->keywords = store_col_text(s, 4);
	e->modseq = (uint64_t)sqlite3_column_int64(s, 5);
	e->internal_date = sqlite3_column_int64(s, 6);
	e->size = sqlite3_column_int64(s, 7);
}

int store_entry_list(struct store *st, int64_t mailbox_id, uint32_t min_uid,
                     int (*cb)(const struct store_entry *e, void *arg), void *arg)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT " ENTRY_COLUMNS " FROM entries e JOIN messages g ON g.id = e.message_id"
	    " WHERE e.mailbox_id = ?1 AND e.uid >= ?2 ORDER BY e.uid");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, mailbox_id);
	sqlite3_bind_int64(s, 2, min_uid);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_entry e;
		entry_from_row(s, &e);
		int stop = cb(&e, arg);
		store_entry_clear(&e);
		if (stop)
			break;
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(st, "entry_list", rc);
}

int store_entry_get(struct store *st, int64_t mailbox_id, uint32_t uid,
                    struct store_entry *out)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT " ENTRY_COLUMNS " FROM entries e JOIN messages g ON g.id = e.message_id"
	    " WHERE e.mailbox_id = ?1 AND e.uid = ?2");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, mailbox_id);
	sqlite3_bind_int64(s, 2, uid);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		entry_from_row(s, out);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? store_fail_kind(st, STORE_E_NOTFOUND, "entry_get", "uid")
	                         : store_fail(st, "entry_get", rc);
}

static int bump_modseq(struct store *st, int64_t mailbox_id, uint64_t *modseq)
{
	sqlite3_stmt *s = store_stmt(st,
	    "UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = ?1"
	    " RETURNING highest_modseq");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, mailbox_id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*modseq = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? store_fail_kind(st, STORE_E_NOTFOUND, "modseq", "mailbox")
	                         : store_fail(st, "modseq", rc);
}

int store_entry_set_flags(struct store *st, int64_t mailbox_id, uint32_t uid,
                          unsigned flags, const char *keywords,
                          uint64_t *modseq_out)
{
	uint64_t modseq;
	sqlite3_stmt *s = store_stmt(st,
	    "UPDATE entries SET flags = ?3, keywords = coalesce(?4, keywords), modseq = ?5"
	    " WHERE mailbox_id = ?1 AND uid = ?2");
	if (s == NULL || store_tx_begin(st) < 0)
		return -1;
	if (bump_modseq(st, mailbox_id, &modseq) < 0)
		goto fail;
	sqlite3_bind_int64(s, 1, mailbox_id);
	sqlite3_bind_int64(s, 2, uid);
	sqlite3_bind_int(s, 3, (int)flags);
	if (keywords != NULL)
		sqlite3_bind_text(s, 4, keywords, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (int64_t)modseq);
	if (store_exec_stmt(st, s, "entry_flags") < 0)
		goto fail;
	if (sqlite3_changes(st->db) == 0) {
		store_fail_kind(st, STORE_E_NOTFOUND, "entry_flags", "uid");
		goto fail;
	}
	if (store_tx_commit(st) < 0)
		return -1;
	if (modseq_out != NULL)
		*modseq_out = modseq;
	return 0;
fail:
	store_tx_rollback(st);
	return -1;
}

int store_entry_expunge(struct store *st, int64_t mailbox_id, uint32_t uid)
{
	uint64_t modseq;
	sqlite3_stmt *s = store_stmt(st,
	    "DELETE FROM entries WHERE mailbox_id = ?1 AND uid = ?2 RETURNING message_id");
	if (s == NULL || store_tx_begin(st) < 0)
		return -1;
	sqlite3_bind_int64(s, 1, mailbox_id);
	sqlite3_bind_int64(s, 2, uid);
	int rc = sqlite3_step(s);
	int64_t message_id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			store_fail_kind(st, STORE_E_NOTFOUND, "entry_expunge", "uid");
		else
			store_fail(st, "entry_expunge", rc);
		store_tx_rollback(st);
		return -1;
	}
	if (store_message_ref(st, message_id, -1) < 0 ||
	    bump_modseq(st, mailbox_id, &modseq) < 0) {
		store_tx_rollback(st);
		return -1;
	}
	return store_tx_commit(st);
}

int store_entry_copy(struct store *st, int64_t mailbox_id, uint32_t uid,
                     int64_t dest_mailbox_id, uint32_t *new_uid)
{
	struct store_entry e;
	if (store_tx_begin(st) < 0)
		return -1;
	if (store_entry_get(st, mailbox_id, uid, &e) < 0) {
		store_tx_rollback(st);
		return -1;
	}
	/* \Recent belongs to the session that sees the new entry first. */
	int r = store_entry_append(st, dest_mailbox_id, e.message_id,
	                           e.flags | STORE_FLAG_RECENT, e.keywords,
	                           e.internal_date, new_uid);
	store_entry_clear(&e);
	if (r < 0) {
		store_tx_rollback(st);
		return -1;
	}
	return store_tx_commit(st);
}
