/* Unit tests for the store: schema creation, forward migration from a
 * hand-made version-1 store, refusal of a newer one, single-instance
 * reference counting, uids and modseq, persons, queue durability, busy
 * handling as a transient error. */
#include "store.h"
#include "tap.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char dir[300];

static const char *db_path(const char *name)
{
	static char p[400];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return p;
}

static long long pragma(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long v = -1;
	sqlite3_open(path, &db);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_open(path, &db);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
}

static int count_cb(const struct store_entry *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static void test_schema(void)
{
	struct store *st = store_open(db_path("new.db"), 1000);
	ok(st != NULL, "a new store is created");
	is_int(store_schema_version(st), STORE_SCHEMA_VERSION, "at the current schema version");
	store_close(st);
	is_int(pragma(db_path("new.db"), "SELECT count(*) FROM sqlite_master WHERE name"
	       " IN ('domains','persons','mailboxes','messages','entries','queue','outbound')"),
	       7, "all tables exist");
	is_int(pragma(db_path("new.db"), "SELECT count(*) FROM pragma_journal_mode"
	       " WHERE journal_mode = 'wal'"), 1, "WAL journal mode");
	is_int(pragma(db_path("new.db"), "PRAGMA auto_vacuum"), 2, "incremental auto-vacuum");
}

static void test_migration(void)
{
	/* A version-1 store as an earlier ems wrote it, with a person in it. */
	char p[400];
	snprintf(p, sizeof p, "%s", db_path("v1.db"));
	struct store *st;
	raw_exec(p,
	    "CREATE TABLE domains (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	    " description TEXT NOT NULL DEFAULT '');"
	    "CREATE TABLE persons (id INTEGER PRIMARY KEY, domain_id INTEGER NOT NULL,"
	    " username TEXT NOT NULL COLLATE NOCASE, password_hash TEXT NOT NULL,"
	    " quota_bytes INTEGER NOT NULL DEFAULT 0, quota_messages INTEGER NOT NULL DEFAULT 0,"
	    " services INTEGER NOT NULL DEFAULT 7, admin INTEGER NOT NULL DEFAULT 0,"
	    " created INTEGER NOT NULL, UNIQUE (domain_id, username));"
	    "CREATE TABLE messages (id INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE,"
	    " size INTEGER NOT NULL, internal_date INTEGER NOT NULL, refcount INTEGER NOT NULL"
	    " DEFAULT 0, structure BLOB, body BLOB NOT NULL);"
	    "INSERT INTO domains VALUES (1, 'old.test', '');"
	    "INSERT INTO persons VALUES (1, 1, 'kept', '*', 5, 0, 7, 0, 0);"
	    "PRAGMA user_version=1;");
	st = store_open(p, 1000);
	ok(st != NULL, "a version-1 store opens");
	is_int(st ? store_schema_version(st) : -1, 2, "and is migrated to version 2");
	struct store_person per = { 0 };
	ok(st && store_person_find(st, "KEPT", "old.test", &per) == 0 &&
	   per.quota_bytes == 5 && strcmp(per.autoreply, "") == 0,
	   "data kept, new columns have their defaults");
	store_person_clear(&per);
	store_close(st);
	is_int(pragma(p, "SELECT count(*) FROM sqlite_master WHERE name = 'outbound'"), 1,
	       "the migration created the outbound table");

	raw_exec(p, "PRAGMA user_version=99;");
	ok(store_open(p, 1000) == NULL, "a store newer than the code is refused");
}

static void test_refcount(struct store *st)
{
	int64_t pid, msg, inbox, work, rc = -1, size = -1;
	struct store_mailbox mb;
	uint32_t uid1 = 0, uid2 = 0, uid3 = 0;

	ok(store_domain_add(st, "example.test", "demo", NULL) == 0, "domain added");
	ok(store_domain_add(st, "EXAMPLE.test", "", NULL) < 0 &&
	   store_last_error(st) == STORE_E_EXISTS, "duplicate domain refused (case-insensitive)");
	ok(store_person_add(st, "example.test", "Demo", "demo", 0, &pid) == 0, "person added");
	ok(store_person_add(st, "example.test", "demo", "x", 0, NULL) < 0 &&
	   store_last_error(st) == STORE_E_EXISTS, "duplicate person refused");
	ok(store_person_add(st, "nowhere.test", "x", "x", 0, NULL) < 0 &&
	   store_last_error(st) == STORE_E_NOTFOUND, "person in unknown domain refused");
	struct store_person p = { 0 };
	ok(store_person_find(st, "DEMO", "Example.Test", &p) == 0 && p.id == pid,
	   "person found case-insensitively");
	store_person_clear(&p);
	ok(store_person_check_password(st, pid, "demo") == 0, "right password");
	ok(store_person_check_password(st, pid, "nope") < 0 &&
	   store_last_error(st) == STORE_E_INVALID, "wrong password");
	ok(store_mailbox_find(st, pid, "inbox", &mb) == 0, "INBOX created, found any case");
	inbox = mb.id;
	store_mailbox_clear(&mb);
	ok(store_mailbox_find(st, pid, "Trash", &mb) == 0 &&
	   strcmp(mb.special_use, "\\Trash") == 0, "special-use folders created");
	store_mailbox_clear(&mb);
	store_mailbox_create(st, pid, "Work", "", &work);

	const char body[] = "Subject: hi\r\n\r\nhello\r\n";
	store_message_put(st, body, sizeof body - 1, 1000, NULL, 0, &msg);
	int64_t again;
	store_message_put(st, body, sizeof body - 1, 1000, NULL, 0, &again);
	is_int(again, msg, "the same bytes are stored once");
	store_entry_append(st, inbox, msg, 0, "", 1000, &uid1);
	store_entry_append(st, work, msg, STORE_FLAG_SEEN, "$Work", 1000, &uid2);
	store_message_info(st, msg, &size, &rc);
	is_int(rc, 2, "a message in two mailboxes has refcount 2");
	is_int(size, (long long)sizeof body - 1, "size recorded");
	store_entry_copy(st, inbox, uid1, inbox, &uid3);
	ok(uid1 == 1 && uid3 == 2, "uids assigned in order (%u, %u)", uid1, uid3);
	store_message_info(st, msg, &size, &rc);
	is_int(rc, 3, "a copy adds a reference");
	store_entry_expunge(st, inbox, uid1);
	store_entry_expunge(st, inbox, uid3);
	store_message_info(st, msg, &size, &rc);
	is_int(rc, 1, "expunging drops references");
	store_entry_expunge(st, work, uid2);
	store_message_info(st, msg, &size, &rc);
	is_int(rc, 0, "no mailbox references it: refcount 0");
	ok(store_entry_expunge(st, work, uid2) < 0 &&
	   store_last_error(st) == STORE_E_NOTFOUND, "expunging twice is NOTFOUND");

	char buf[8];
	is_int(store_message_read(st, msg, 15, buf, sizeof buf), 7, "partial read at an offset");
	is_mem(buf, 7, "hello\r\n", 7, "streamed bytes are right");

	store_mailbox_get(st, inbox, &mb);
	is_int(mb.uidnext, 3, "uidnext advanced");
	uint64_t before = mb.highest_modseq, after = 0;
	store_mailbox_clear(&mb);
	uint32_t u;
	store_entry_append(st, inbox, msg, 0, "", 1000, &u);
	store_entry_set_flags(st, inbox, u, STORE_FLAG_FLAGGED, "$Label1", &after);
	ok(after > before, "flag change bumps modseq");
	struct store_entry e;
	store_entry_get(st, inbox, u, &e);
	ok(e.flags == STORE_FLAG_FLAGGED && strcmp(e.keywords, "$Label1") == 0 && e.modseq == after,
	   "flags, keywords and modseq stored");
	store_entry_clear(&e);
	int n = 0;
	store_entry_list(st, inbox, 0, count_cb, &n);
	is_int(n, 1, "entry list shows the live entry");
	ok(store_person_delete(st, pid) == 0, "person deleted");
	store_message_info(st, msg, &size, &rc);
	is_int(rc, 0, "deleting a person drops its references");
}

static void test_queue(void)
{
	char p[400];
	snprintf(p, sizeof p, "%s", db_path("queue.db"));
	struct store *st = store_open(p, 1000);
	int64_t qid;
	ok(store_queue_submit(st, "a@x.test", "b@y.test\nc@y.test", "m\r\n", 3, 5, NULL, 0,
	                      &qid) == 0, "submission stored");
	store_close(st);
	st = store_open(p, 1000);
	struct store_queue_item q = { 0 };
	ok(store_queue_next(st, 1LL << 40, &q) == 0 && q.id == qid &&
	   strcmp(q.recipients, "b@y.test\nc@y.test") == 0, "it survives close and reopen");
	store_queue_retry(st, q.id, 1LL << 41, "busy");
	ok(store_queue_next(st, 1LL << 40, &q) < 0 && store_last_error(st) == STORE_E_NOTFOUND,
	   "a retried item waits for its time");
	store_queue_item_clear(&q);
	ok(store_queue_done(st, qid) == 0, "done removes it");
	int64_t depth = -1;
	store_queue_depth(st, &depth);
	is_int(depth, 0, "queue empty");

	/* Another connection holds the write lock: a write fails as transient. */
	sqlite3 *other;
	sqlite3_open(p, &other);
	sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	store_close(st);
	st = store_open(p, 200);
	ok(st != NULL, "the store opens while another process writes");
	ok(st == NULL || store_domain_add(st, "busy.test", "", NULL) < 0,
	   "a write while another process holds the lock fails");
	ok(st == NULL || store_last_error(st) == STORE_E_TRANSIENT,
	   "and is reported as transient (try again later)");
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	store_close(st);
}

int main(void)
{
	plan(45);
	snprintf(dir, sizeof dir, "%s", tap_tmpdir());
	test_schema();
	test_migration();
	struct store *st = store_open(db_path("main.db"), 1000);
	test_refcount(st);
	ok(store_integrity_check(st) == 0, "integrity check ok");
	store_close(st);
	test_queue();
	return exit_status();
}
