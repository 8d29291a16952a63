/*
 * store_mailbox.c - mailboxes in the store: creation with a fresh
 * UIDVALIDITY, lookup (INBOX in any case), rename, delete;
 * see store_mail.h.  Their entries are in store_entry.c.
 */
#include "store_internal.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAILBOX_COLUMNS \
	"id, person_id, name, uidvalidity, uidnext, highest_modseq," \
	" CASE WHEN EXISTS (SELECT 1 FROM subscriptions s" \
	"  WHERE s.person_id = mailboxes.person_id AND s.name = mailboxes.name)" \
	"  THEN 1 ELSE 0 END, special_use"

void store_mailbox_clear(struct store_mailbox *m)
{
	free(m->name);
	free(m->special_use);
	memset(m, 0, sizeof *m);
}

static bool is_inbox(const char *name)
{
	return strcasecmp(name, "INBOX") == 0;
}

const char *store_mailbox_canon(const char *name)
{
	return is_inbox(name) ? "INBOX" : name;
}

int store_mailbox_create(struct store *st, int64_t person_id, const char *name,
                         const char *special_use, int64_t *id_out)
{
	if (store_blank(name))
		return store_fail_kind(st, STORE_E_INVALID, "mailbox_create", "empty name");
	/* UIDVALIDITY must never repeat for a name: take the clock, but stay
	 * above every value handed out before, deleted mailboxes' too (a
	 * trigger keeps uidvalidity_high). */
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO mailboxes (person_id, name, uidvalidity, special_use)"
	    " SELECT ?1, ?2, CASE WHEN ?3 > value + 1 THEN ?3 ELSE value + 1 END, ?4"
	    " FROM uidvalidity_high RETURNING id");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_text(s, 2, store_mailbox_canon(name));
	store_bind_int64(s, 3, (int64_t)time(NULL) & 0xffffffffLL);
	store_bind_text(s, 4, special_use ? special_use : "");
	int64_t id;
	if (store_exec_id(st, s, "mailbox_create", &id) < 0)
		return -1;
	if (id_out != NULL)
		*id_out = id;
	return 0;
}

static void mailbox_from_row(struct store_stmt *s, struct store_mailbox *m)
{
	m->id = store_col_int64(s, 0);
	m->person_id = store_col_int64(s, 1);
	m->name = store_col_text(s, 2);
	m->uidvalidity = (uint32_t)store_col_int64(s, 3);
	m->uidnext = (uint32_t)store_col_int64(s, 4);
	m->highest_modseq = (uint64_t)store_col_int64(s, 5);
	m->subscribed = store_col_int(s, 6) != 0;
	m->special_use = store_col_text(s, 7);
}

static int mailbox_one(struct store *st, struct store_stmt *s, struct store_mailbox *out,
                       const char *what)
{
	if (store_step_row(st, s, "mailbox_find", what) < 0)
		return -1;
	mailbox_from_row(s, out);
	store_reset(s);
	return 0;
}

int store_mailbox_find(struct store *st, int64_t person_id, const char *name,
                       struct store_mailbox *out)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE person_id = ?1 AND name = ?2");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_text(s, 2, store_mailbox_canon(name));
	return mailbox_one(st, s, out, name);
}

int store_mailbox_get(struct store *st, int64_t mailbox_id, struct store_mailbox *out)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, mailbox_id);
	return mailbox_one(st, s, out, "no such mailbox");
}

struct mailbox_walk {
	int (*cb)(const struct store_mailbox *m, void *arg);
	void *arg;
};

static int mailbox_each(struct store_stmt *s, void *ctx)
{
	struct mailbox_walk *w = ctx;
	struct store_mailbox m;
	mailbox_from_row(s, &m);
	int stop = w->cb(&m, w->arg);
	store_mailbox_clear(&m);
	return stop;
}

int store_mailbox_list(struct store *st, int64_t person_id,
                       int (*cb)(const struct store_mailbox *m, void *arg), void *arg)
{
	struct mailbox_walk w = { cb, arg };
	struct store_stmt *s = store_stmt(st,
	    "SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE person_id = ?1 ORDER BY name");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	return store_each_row(st, s, "mailbox_list", mailbox_each, &w);
}

/* After a change of INBOX was refused by the WHERE clause: say whether
 * the mailbox is INBOX (INVALID) or missing (NOTFOUND). */
static int no_change(struct store *st, int64_t mailbox_id, const char *op)
{
	struct store_mailbox m;
	if (store_mailbox_get(st, mailbox_id, &m) < 0)
		return -1;   /* NOTFOUND, logged */
	store_mailbox_clear(&m);
	return store_fail_kind(st, STORE_E_INVALID, op, "INBOX cannot be renamed or deleted");
}

/* Runs SQL (a string literal) with ?1 MAILBOX_ID and ?2 NEW_NAME. */
static int exec_rename(struct store *st, const char *sql, int64_t mailbox_id,
                       const char *new_name)
{
	struct store_stmt *s = store_stmt(st, sql);
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, mailbox_id);
	store_bind_text(s, 2, new_name);
	return store_exec_stmt(st, s, "mailbox_rename");
}

/* The subscription to the mailbox's old name moves with it, as a client
 * that renames a folder it sees expects to go on seeing it; one to the
 * new name already there gives way to it (when there is one to move). */
static int rename_subscription(struct store *st, int64_t mailbox_id, const char *new_name)
{
	return exec_rename(st,
	           "DELETE FROM subscriptions WHERE (person_id, name) ="
	           " (SELECT m.person_id, ?2 FROM mailboxes m JOIN subscriptions o"
	           "  ON o.person_id = m.person_id AND o.name = m.name"
	           "  WHERE m.id = ?1 AND m.name <> ?2)",
	           mailbox_id, new_name) < 0 ||
	       exec_rename(st,
	           "UPDATE subscriptions SET name = ?2 WHERE (person_id, name) ="
	           " (SELECT person_id, name FROM mailboxes WHERE id = ?1)",
	           mailbox_id, new_name) < 0 ? -1 : 0;
}

static int rename_row(struct store *st, int64_t mailbox_id, const char *new_name)
{
	if (exec_rename(st, "UPDATE mailboxes SET name = ?2 WHERE id = ?1 AND name <> 'INBOX'",
	                mailbox_id, new_name) < 0)
		return -1;
	return store_changes(st) ? 0 : no_change(st, mailbox_id, "mailbox_rename");
}

int store_mailbox_rename(struct store *st, int64_t mailbox_id, const char *new_name)
{
	if (store_blank(new_name) || is_inbox(new_name))
		return store_fail_kind(st, STORE_E_INVALID, "mailbox_rename", "bad new name");
	if (store_begin(st) < 0)
		return -1;
	if (rename_subscription(st, mailbox_id, new_name) < 0 ||
	    rename_row(st, mailbox_id, new_name) < 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
}

int store_mailbox_delete(struct store *st, int64_t mailbox_id)
{
	/* Entries go by cascade; the reference-count triggers follow them. */
	struct store_stmt *s = store_stmt(st,
	    "DELETE FROM mailboxes WHERE id = ?1 AND name <> 'INBOX'");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, mailbox_id);
	if (store_exec_stmt(st, s, "mailbox_delete") < 0)
		return -1;
	return store_changes(st) ? 0 : no_change(st, mailbox_id, "mailbox_delete");
}
