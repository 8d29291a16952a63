/* Unit tests for the store (libcommon/store*.c): schema creation, forward
 * migration from a hand-made version-1 store, refusal of a newer one,
 * the directory (domains, persons, aliases, lists), single-instance
 * reference counts, uids and modseqs, flags, streaming reads, the queues,
 * nested transactions, garbage collection, and a locked store reported
 * as a transient error.  Raw sqlite3 calls stand in for an older ems or
 * another process.  With EMS_TEST_STORE=postgresql (t/store_pg.t) the
 * same tests run on PostgreSQL (t/store_test.h), but for those that make
 * or read an SQLite file themselves. */
#include "store.h"
#include "store_db.h"
#include "store_internal.h"
#include "store_test.h"
#include "tap.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Tests of test_fresh_store(), test_migration() and test_newer_refused(). */
#define TESTS_ON_SQLITE_FILES 24

static char dir[300];

static const char *db_path(const char *name)
{
	static char p[400];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return p;
}

/* The first column of the first row of SQL on the file at PATH, or -1. */
static long long raw_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s = NULL;
	long long v = -1;
	sqlite3_open(path, &db);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void raw_text(const char *path, const char *sql, char *out, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *s = NULL;
	out[0] = '\0';
	sqlite3_open(path, &db);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static int raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_open(path, &db);
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

/* ---- schema ---- */

static void test_fresh_store(void)
{
	const char *p = db_path("new.db");
	struct store *st = store_open(p, 1000);
	ok(st != NULL, "a new store is created");
	is_int(st ? store_schema_version(st) : -1, STORE_SCHEMA_VERSION,
	       "at the current schema version");
	store_close(st);
	is_int(raw_int(p, "PRAGMA user_version"), STORE_SCHEMA_VERSION, "user_version in the file is current");
	is_int(raw_int(p, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
	               " ('domains','persons','aliases','dlists','dlist_members','mailboxes',"
	               "'messages','entries','queue','outbound')"),
	       10, "all tables exist");
	char mode[32];
	raw_text(p, "PRAGMA journal_mode", mode, sizeof mode);
	is_str(mode, "wal", "WAL journal mode");
	is_int(raw_int(p, "PRAGMA auto_vacuum"), 2, "incremental auto-vacuum");
	st = store_open(p, 1000);
	ok(st != NULL, "it opens again");
	store_close(st);
}

/* A version-1 store as an earlier ems wrote it (the tables version 2
 * touches), holding a person with a message in the INBOX. */
static const char v1_store[] =
    "CREATE TABLE domains (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    " description TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE persons (id INTEGER PRIMARY KEY, domain_id INTEGER NOT NULL"
    " REFERENCES domains(id) ON DELETE CASCADE, username TEXT NOT NULL COLLATE NOCASE,"
    " password_hash TEXT NOT NULL, quota_bytes INTEGER NOT NULL DEFAULT 0,"
    " quota_messages INTEGER NOT NULL DEFAULT 0, services INTEGER NOT NULL DEFAULT 7,"
    " admin INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL,"
    " UNIQUE (domain_id, username));"
    "CREATE TABLE mailboxes (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL"
    " REFERENCES persons(id) ON DELETE CASCADE, name TEXT NOT NULL,"
    " uidvalidity INTEGER NOT NULL, uidnext INTEGER NOT NULL DEFAULT 1,"
    " highest_modseq INTEGER NOT NULL DEFAULT 1, subscribed INTEGER NOT NULL DEFAULT 1,"
    " special_use TEXT NOT NULL DEFAULT '', UNIQUE (person_id, name));"
    "CREATE TABLE messages (id INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE,"
    " size INTEGER NOT NULL, internal_date INTEGER NOT NULL, stored INTEGER NOT NULL,"
    " refcount INTEGER NOT NULL DEFAULT 0, structure BLOB, body BLOB NOT NULL);"
    "CREATE TABLE entries (mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id)"
    " ON DELETE CASCADE, uid INTEGER NOT NULL, message_id INTEGER NOT NULL"
    " REFERENCES messages(id), flags INTEGER NOT NULL DEFAULT 0,"
    " keywords TEXT NOT NULL DEFAULT '', modseq INTEGER NOT NULL,"
    " internal_date INTEGER NOT NULL, expunged INTEGER,"
    " PRIMARY KEY (mailbox_id, uid)) WITHOUT ROWID;"
    "INSERT INTO domains VALUES (1, 'old.test', '');"
    "INSERT INTO persons VALUES (1, 1, 'kept', '*', 5000, 0, 7, 0, 0);"
    "INSERT INTO mailboxes VALUES (1, 1, 'INBOX', 77, 2, 2, 1, '');"
    "INSERT INTO mailboxes VALUES (2, 1, 'Quiet', 78, 1, 1, 0, '');"
    "INSERT INTO messages VALUES (1, x'00', 5, 0, 0, 1, NULL, 'hello');"
    "INSERT INTO entries VALUES (1, 1, 1, 1, '', 2, 0, NULL);"
    "PRAGMA user_version=1;";

static void test_migration(void)
{
	const char *p = db_path("v1.db");
	is_int(raw_exec(p, v1_store), SQLITE_OK, "hand-made version-1 store");
	struct store *st = store_open(p, 1000);
	ok(st != NULL, "a version-1 store opens");
	if (st == NULL)
		return;
	is_int(store_schema_version(st), STORE_SCHEMA_VERSION, "and is migrated to the current version");
	struct store_person per = { 0 };
	ok(store_person_find(st, "KEPT", "old.test", &per) == 0 && per.quota_bytes == 5000,
	   "the person is kept");
	is_str(per.autoreply, "", "the new auto-reply column has its default");
	ok(store_person_set_autoreply(st, per.id, "away", "kept@elsewhere.test") == 0,
	   "and can be set");
	store_person_clear(&per);
	struct store_mailbox mb = { 0 };
	ok(store_mailbox_find(st, 1, "INBOX", &mb) == 0 && mb.uidvalidity == 77 &&
	   mb.uidnext == 2, "the mailbox keeps its UIDVALIDITY and uidnext");
	uint64_t floor = 0;
	ok(store_mailbox_vanished_floor(st, mb.id, &floor) == 0 && floor == mb.highest_modseq,
	   "expunges from before the migration count as forgotten");
	store_mailbox_clear(&mb);
	ok(store_mailbox_find(st, 1, "INBOX", &mb) == 0 && mb.subscribed,
	   "a subscribed mailbox stays subscribed");
	store_mailbox_clear(&mb);
	ok(store_mailbox_find(st, 1, "Quiet", &mb) == 0 && !mb.subscribed,
	   "an unsubscribed one stays unsubscribed");
	store_mailbox_clear(&mb);
	char buf[16] = { 0 };
	ok(store_message_read(st, 1, 0, buf, sizeof buf) == 5 && strcmp(buf, "hello") == 0,
	   "the message is kept");
	const char *rcpt[] = { "someone@far.test" };
	ok(store_queue_add_message(st, STORE_QUEUE_OUTBOUND, "kept@old.test", rcpt, 1, 1,
	                           NULL) == 0, "the new outbound queue takes mail");
	store_close(st);
	is_int(raw_int(p, "PRAGMA user_version"), STORE_SCHEMA_VERSION, "user_version in the file is current");
	char mode[32];
	raw_text(p, "PRAGMA journal_mode", mode, sizeof mode);
	is_str(mode, "wal", "the migrated store is switched to WAL");
}

/* Runs store_open(PATH) with stderr (where the log goes before
 * log_open) caught in LOG. */
static struct store *open_logged(const char *path, char *log, size_t len)
{
	char logfile[400];
	snprintf(logfile, sizeof logfile, "%s/open.log", dir);
	int fd = open(logfile, O_RDWR | O_CREAT | O_TRUNC, 0600);
	int saved = dup(2);
	dup2(fd, 2);
	struct store *st = store_open(path, 1000);
	dup2(saved, 2);
	close(saved);
	ssize_t n = pread(fd, log, len - 1, 0);
	log[n > 0 ? n : 0] = '\0';
	close(fd);
	return st;
}

static void test_newer_refused(void)
{
	const char *p = db_path("future.db");
	const int future = STORE_SCHEMA_VERSION + 1;   /* whatever the code is at */
	char log[2048], pragma[64];
	struct store *st = store_open(p, 1000);
	store_close(st);
	snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d;", future);
	raw_exec(p, pragma);
	st = open_logged(p, log, sizeof log);
	ok(st == NULL, "a store newer than the code is refused");
	store_close(st);
	char want[128];
	snprintf(want, sizeof want, "future.db has schema version %d, this ems understands"
	         " up to %d; upgrade ems", future, STORE_SCHEMA_VERSION);
	ok(strstr(log, want) != NULL, "with a message saying why");
	is_int(raw_int(p, "PRAGMA user_version"), future, "and is left untouched");
}

/* ---- directory ---- */

static int count_domain(const struct store_domain *d, void *arg)
{
	(void)d;
	(*(int *)arg)++;
	return 0;
}

static int count_person(const struct store_person *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
	return 0;
}

static int count_mailbox(const struct store_mailbox *m, void *arg)
{
	(*(int *)arg) += m->special_use[0] != '\0' ? 10 : 1;
	return 0;
}

/* Calls the list it is called from: the store must refuse, not restart
 * the outer walk. */
struct nested {
	struct store *st;
	int calls, refused;
};

static int nested_list(const struct store_mailbox *m, void *arg)
{
	struct nested *x = arg;
	int n = 0;
	x->calls++;
	x->refused += store_mailbox_list(x->st, m->person_id, count_mailbox, &n) < 0 &&
	              store_last_error(x->st) == STORE_E_FAILED;
	return 0;
}

static int join_member(const char *address, void *arg)
{
	strcat(arg, address);
	strcat(arg, ";");
	return 0;
}

static void test_domains_persons(struct store *st)
{
	int64_t pid, other;
	ok(store_domain_add(st, "example.test", "demo", NULL) == 0, "domain added");
	ok(store_domain_add(st, "EXAMPLE.test", "", NULL) < 0 &&
	   store_last_error(st) == STORE_E_EXISTS, "duplicate domain refused (any case)");
	ok(store_domain_add(st, "bad domain", "", NULL) < 0 &&
	   store_last_error(st) == STORE_E_INVALID, "domain with a blank refused");
	ok(store_person_add(st, "example.test", "Demo", "secret", &pid) == 0, "person added");
	ok(store_person_add(st, "example.test", "demo", "x", NULL) < 0 &&
	   store_last_error(st) == STORE_E_EXISTS, "duplicate person refused (any case)");
	ok(store_person_add(st, "nowhere.test", "x", "x", NULL) < 0 &&
	   store_last_error(st) == STORE_E_NOTFOUND, "person in an unknown domain refused");
	ok(store_person_add(st, "example.test", "a@b", "x", NULL) < 0 &&
	   store_last_error(st) == STORE_E_INVALID, "user name with '@' refused");
	ok(store_person_add(st, "example.test", "other", "", NULL) < 0 &&
	   store_last_error(st) == STORE_E_INVALID, "empty password refused");
	struct store_person p = { 0 };
	ok(store_person_find(st, "DEMO", "Example.Test", &p) == 0 && p.id == pid,
	   "person found case-insensitively");
	is_str(p.username, "Demo", "user name kept as created");
	ok(p.services == STORE_SVC_ALL && !p.admin && p.quota_bytes == 0 && p.created > 0,
	   "defaults: every service, no quota, not admin");
	store_person_clear(&p);
	ok(store_person_find_address(st, "demo@EXAMPLE.test", &p) == 0 && p.id == pid,
	   "person found by address");
	store_person_clear(&p);
	ok(store_person_find(st, "nobody", "example.test", &p) < 0 &&
	   store_last_error(st) == STORE_E_NOTFOUND, "unknown person not found");
	int n = 0;
	store_mailbox_list(st, pid, count_mailbox, &n);
	is_int(n, 41, "INBOX and four special-use folders created");
	ok(store_person_set_quota(st, pid, 1000, 10) == 0 &&
	   store_person_set_services(st, pid, STORE_SVC_IMAP, true) == 0 &&
	   store_person_get(st, pid, &p) == 0 && p.quota_bytes == 1000 &&
	   p.quota_messages == 10 && p.services == STORE_SVC_IMAP && p.admin,
	   "quota, services and admin flag updated");
	store_person_clear(&p);
	store_person_add(st, "example.test", "other", "x", &other);
	n = 0;
	store_person_list(st, "example.test", count_person, &n);
	is_int(n, 2, "person list");
	ok(store_person_delete(st, other) == 0 && store_person_get(st, other, &p) < 0,
	   "person deleted");
	n = 0;
	store_domain_list(st, count_domain, &n);
	is_int(n, 1, "domain list");
	struct nested x = { st, 0, 0 };
	store_mailbox_list(st, pid, nested_list, &x);
	ok(x.calls == 5 && x.refused == 5,
	   "a list callback cannot re-enter its own list (%d of %d refused)", x.refused, x.calls);
}

static void test_passwords(struct store *st)
{
	int64_t pid;
	struct store_person p = { 0 };
	store_person_find(st, "demo", "example.test", &p);
	pid = p.id;
	store_person_clear(&p);
	ok(store_person_check_password(st, pid, "secret", NULL) == 0, "right password");
	ok(store_person_check_password(st, pid, "Secret", NULL) < 0 &&
	   store_last_error(st) == STORE_E_INVALID, "wrong password");
	ok(store_person_set_password(st, pid, "new") == 0 &&
	   store_person_check_password(st, pid, "new", NULL) == 0 &&
	   store_person_check_password(st, pid, "secret", NULL) < 0, "password changed");
	/* A hash an older ems wrote (SHA-512-crypt of "legacy"). */
	test_raw_exec("main.db",
	         "UPDATE persons SET password_hash = '$6$abcdefgh$t2jrb6iHrCmBKZe.eapc4SIeSpo"
	         "feg5VzCBlbSuMfptO7ot80.X833z4uzlBnP9zoKLwpb.U8sQK5UqMUVjKZ.' WHERE username"
	         " = 'demo'");
	char h[300];
	test_raw_text("main.db", "SELECT password_hash FROM persons WHERE username = 'demo'",
	              h, sizeof h);
	ok(strncmp(h, "$6$", 3) == 0, "an old-scheme hash in the store");
	ok(store_person_check_password(st, pid, "legacy", NULL) == 0, "old-scheme password accepted");
	test_raw_text("main.db", "SELECT password_hash FROM persons WHERE username = 'demo'",
	              h, sizeof h);
	ok(strncmp(h, "$y$", 3) == 0, "and its hash rewritten as yescrypt");
	ok(store_person_check_password(st, pid, "legacy", NULL) == 0, "the new hash verifies");
	ok(strstr(h, "legacy") == NULL, "no clear password in the store");
}

static void test_aliases_lists(struct store *st)
{
	char *target = NULL, members[256] = "";
	int64_t list, id;
	ok(store_alias_add(st, "example.test", "postmaster", "demo@example.test") == 0,
	   "alias added");
	ok(store_alias_find(st, "PostMaster", "example.test", &target) == 0 &&
	   strcmp(target, "demo@example.test") == 0, "alias found case-insensitively");
	free(target);
	ok(store_alias_add(st, "example.test", "DEMO", "x@y.test") < 0 &&
	   store_last_error(st) == STORE_E_EXISTS, "alias named like a person refused");
	ok(store_alias_add(st, "example.test", "x", "no-at-sign") < 0 &&
	   store_last_error(st) == STORE_E_INVALID, "alias target without '@' refused");
	ok(store_dlist_add(st, "example.test", "team", "the team", &list) == 0, "list added");
	ok(store_dlist_add(st, "example.test", "postmaster", "", NULL) < 0 &&
	   store_last_error(st) == STORE_E_EXISTS, "list named like an alias refused");
	ok(store_dlist_find(st, "TEAM", "example.test", &id) == 0 && id == list, "list found");
	store_dlist_add_member(st, list, "demo@example.test");
	store_dlist_add_member(st, list, "friend@far.test");
	ok(store_dlist_add_member(st, list, "Friend@far.test") < 0 &&
	   store_last_error(st) == STORE_E_EXISTS, "duplicate member refused");
	store_dlist_members(st, list, join_member, members);
	is_str(members, "demo@example.test;friend@far.test;", "members listed in order");
	ok(store_dlist_remove_member(st, list, "friend@far.test") == 0, "member removed");
	ok(store_alias_delete(st, "example.test", "postmaster") == 0 &&
	   store_alias_find(st, "postmaster", "example.test", &target) < 0 &&
	   store_last_error(st) == STORE_E_NOTFOUND, "alias deleted");
	ok(store_dlist_delete(st, list) == 0 && store_dlist_find(st, "team", "example.test",
	                                                         &id) < 0, "list deleted");
}

/* ---- mail ---- */

static int count_entry(const struct store_entry *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int count_expunged(const struct store_entry *e, void *arg)
{
	(*(int *)arg) += e->expunged ? 100 : 1;
	return 0;
}

static int64_t refcount(struct store *st, int64_t msg)
{
	int64_t size, rc = -1;
	store_message_info(st, msg, &size, &rc);
	return rc;
}

static int64_t mailbox_id(struct store *st, int64_t pid, const char *name)
{
	struct store_mailbox m = { 0 };
	store_mailbox_find(st, pid, name, &m);
	int64_t id = m.id;
	store_mailbox_clear(&m);
	return id;
}

static void test_refcount(struct store *st, int64_t pid)
{
	int64_t msg, again, work, inbox = mailbox_id(st, pid, "inbox");
	uint32_t uid1 = 0, uid2 = 0, uid3 = 0;
	const char body[] = "Subject: hi\r\n\r\nhello\r\n";

	ok(inbox > 0, "INBOX found in any case");
	ok(store_mailbox_create(st, pid, "Work", NULL, &work) == 0, "mailbox created");
	ok(store_message_put(st, body, sizeof body - 1, 1000, NULL, 0, &msg) == 0, "message stored");
	store_message_put(st, body, sizeof body - 1, 2000, NULL, 0, &again);
	is_int(again, msg, "the same bytes are stored once");
	is_int(refcount(st, msg), 0, "no reference before an entry");
	store_entry_append(st, inbox, msg, 0, NULL, 1000, &uid1);
	store_entry_append(st, work, msg, STORE_FLAG_SEEN, NULL, 1000, &uid2);
	is_int(refcount(st, msg), 2, "a message in two mailboxes has refcount 2");
	ok(store_entry_copy(st, work, uid2, inbox, &uid3) == 0, "entry copied");
	is_int(refcount(st, msg), 3, "a copy adds a reference");
	struct store_entry e = { 0 };
	ok(store_entry_get(st, inbox, uid3, &e) == 0 &&
	   e.flags == (STORE_FLAG_SEEN | STORE_FLAG_RECENT), "the copy keeps flags, gains \\Recent");
	store_entry_clear(&e);
	store_entry_expunge(st, inbox, uid3);
	is_int(refcount(st, msg), 2, "expunging the copy: 2");
	store_entry_expunge(st, inbox, uid1);
	is_int(refcount(st, msg), 1, "expunging it from one mailbox: 1");
	store_entry_expunge(st, work, uid2);
	is_int(refcount(st, msg), 0, "and from the other: 0");
	ok(store_entry_expunge(st, work, uid2) < 0 &&
	   store_last_error(st) == STORE_E_NOTFOUND, "expunging twice is NOTFOUND");
	is_int(refcount(st, msg), 0, "and leaves the count alone");
	int n = 0;
	store_entry_list(st, inbox, 0, count_entry, &n);
	is_int(n, 0, "expunged entries are not listed");
	n = 0;
	store_entry_changes(st, inbox, 0, count_expunged, &n);
	is_int(n, 200, "but show as expunged among the changes");
	ok(store_entry_append(st, inbox, 999999, 0, NULL, 0, NULL) < 0 &&
	   store_last_error(st) == STORE_E_NOTFOUND, "appending a missing message is NOTFOUND");

	store_entry_append(st, work, msg, 0, NULL, 0, NULL);
	store_entry_append(st, work, msg, 0, NULL, 0, NULL);
	is_int(refcount(st, msg), 2, "two new entries in Work");
	int64_t bytes = -1, count = -1;
	ok(store_person_usage(st, pid, &bytes, &count) == 0 && count == 2 &&
	   bytes == 2 * (int64_t)(sizeof body - 1), "usage counts live entries (%lld bytes)",
	   (long long)bytes);
	struct store_mailbox gone = { 0 }, reborn = { 0 };
	store_mailbox_get(st, work, &gone);
	ok(store_mailbox_delete(st, work) == 0, "Work deleted");
	is_int(refcount(st, msg), 0, "deleting a mailbox drops its references");
	bool made = store_mailbox_create(st, pid, "Work", NULL, &work) == 0 &&
	            store_mailbox_get(st, work, &reborn) == 0;
	ok(made && reborn.uidvalidity > gone.uidvalidity,
	   "Work created again at once: a higher UIDVALIDITY (%u > %u)", reborn.uidvalidity,
	   gone.uidvalidity);
	store_mailbox_clear(&gone);
	store_mailbox_clear(&reborn);
	ok(store_mailbox_delete(st, inbox) < 0 && store_last_error(st) == STORE_E_INVALID,
	   "INBOX cannot be deleted");
}

static int entry_size(const struct store_entry *e, void *arg)
{
	*(int64_t *)arg = e->size;
	return 0;
}

/* Entries with their own trace prefix over one shared message. */
static void test_prefix(struct store *st, int64_t pid)
{
	int64_t msg, box, bytes = 0, count = 0, listed = 0;
	uint32_t a = 0, b = 0, c = 0;
	const char body[] = "Subject: one\r\n\r\nbody\r\n";
	const char pa[] = "Delivered-To: a@x.test\r\n", pb[] = "Delivered-To: bb@x.test\r\n";
	char buf[128], big[STORE_PREFIX_MAX + 1];
	struct store_entry e = { 0 };
	struct store_entry_msg r = { 0 };

	store_mailbox_create(st, pid, "Prefixed", NULL, &box);
	store_message_put(st, body, sizeof body - 1, 0, NULL, 0, &msg);
	ok(store_entry_deliver(st, box, msg, pa, sizeof pa - 1, 0, &a) == 0 &&
	   store_entry_deliver(st, box, msg, pb, sizeof pb - 1, 0, &b) == 0,
	   "two entries of one message, each with its prefix");
	is_int(refcount(st, msg), 2, "the message is referenced twice, stored once");
	ok(store_entry_get(st, box, b, &e) == 0 && e.prefix_len == sizeof pb - 1 &&
	   e.size == (int64_t)(sizeof pb - 1 + sizeof body - 1) &&
	   e.flags == STORE_FLAG_RECENT, "an entry's size counts its prefix; delivered \\Recent");
	store_entry_msg_init(&r, &e);
	ssize_t n = store_entry_read(st, &r, 0, buf, sizeof buf);
	is_mem(buf, n > 0 ? (size_t)n : 0, "Delivered-To: bb@x.test\r\nSubject: one\r\n\r\nbody\r\n",
	       sizeof pb - 1 + sizeof body - 1, "read whole: the prefix, then the message");
	n = store_entry_read(st, &r, sizeof pb - 3, buf, 8);
	is_mem(buf, n > 0 ? (size_t)n : 0, "\r\nSubjec", 8, "a read across the seam");
	n = store_entry_read(st, &r, sizeof pb + 2, buf, 4);
	is_mem(buf, n > 0 ? (size_t)n : 0, "ject", 4, "a read inside the message");
	void *all = NULL;
	size_t len = 0;
	ok(store_entry_text(st, &r, &all, &len) == 0 && len == (size_t)e.size &&
	   memcmp(all, pb, sizeof pb - 1) == 0, "store_entry_text: prefix and message");
	free(all);
	store_entry_clear(&e);
	ok(store_entry_copy(st, box, a, box, &c) == 0 && store_entry_get(st, box, c, &e) == 0 &&
	   e.prefix_len == sizeof pa - 1, "a copy keeps its prefix");
	store_entry_msg_init(&r, &e);
	n = store_entry_read(st, &r, 0, buf, sizeof pa - 1);
	is_mem(buf, n > 0 ? (size_t)n : 0, pa, sizeof pa - 1, "  byte for byte");
	store_entry_clear(&e);
	store_entry_list(st, box, c, entry_size, &listed);
	is_int(listed, (int64_t)(sizeof pa - 1 + sizeof body - 1), "listed sizes count it");
	struct store_mailbox_counts mc;
	ok(store_mailbox_counts(st, box, &mc) == 0 &&
	   mc.bytes == (int64_t)(3 * (sizeof body - 1) + 2 * (sizeof pa - 1) + sizeof pb - 1),
	   "STATUS bytes count every prefix");
	store_person_usage(st, pid, &bytes, &count);
	ok(bytes >= mc.bytes, "and so does the person's usage (%lld)", (long long)bytes);
	memset(big, 'x', sizeof big);
	ok(store_entry_deliver(st, box, msg, big, sizeof big, 0, NULL) < 0 &&
	   store_last_error(st) == STORE_E_INVALID, "a prefix over STORE_PREFIX_MAX is refused");
	ok(store_entry_deliver(st, box, msg, NULL, 0, 0, &c) == 0 &&
	   store_entry_get(st, box, c, &e) == 0 && e.prefix_len == 0 &&
	   e.size == (int64_t)(sizeof body - 1), "no prefix: the message alone");
	store_entry_clear(&e);
	store_mailbox_delete(st, box);
}

static void test_uids_flags(struct store *st, int64_t pid)
{
	int64_t msg, box, inbox = mailbox_id(st, pid, "INBOX");
	uint32_t uids[3];
	struct store_mailbox mb = { 0 }, in = { 0 };
	store_message_put(st, "x\r\n", 3, 0, NULL, 0, &msg);
	store_mailbox_create(st, pid, "Uids", "", &box);
	for (int i = 0; i < 3; i++)
		store_entry_append(st, box, msg, 0, NULL, 0, &uids[i]);
	ok(uids[0] == 1 && uids[1] == 2 && uids[2] == 3, "uids 1, 2, 3 in order");
	store_entry_expunge(st, box, uids[2]);
	uint32_t next;
	store_entry_append(st, box, msg, 0, NULL, 0, &next);
	is_int(next, 4, "an expunged uid is not reused");
	store_mailbox_get(st, box, &mb);
	is_int(mb.uidnext, 5, "uidnext advanced");
	store_mailbox_get(st, inbox, &in);
	ok(mb.uidvalidity != in.uidvalidity, "each mailbox has its own UIDVALIDITY");
	uint32_t validity = mb.uidvalidity;
	uint64_t before = mb.highest_modseq, m1 = 0, m2 = 0, m3 = 0;
	store_mailbox_clear(&mb);
	store_mailbox_clear(&in);

	ok(store_entry_set_flags(st, box, 1, STORE_FLAGS_ADD, STORE_FLAG_FLAGGED, "$Label1",
	                         &m1) == 0 && m1 > before, "a flag change bumps modseq");
	store_entry_set_flags(st, box, 1, STORE_FLAGS_ADD, STORE_FLAG_FLAGGED, "$label1", &m2);
	is_int((long long)m2, (long long)m1, "no change, no new modseq");
	store_entry_set_flags(st, box, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN, "Work", &m2);
	store_entry_set_flags(st, box, 1, STORE_FLAGS_REMOVE, STORE_FLAG_FLAGGED, "$LABEL1", &m3);
	ok(m3 > m2 && m2 > m1, "each change a higher modseq");
	struct store_entry e = { 0 };
	store_entry_get(st, box, 1, &e);
	ok(e.flags == STORE_FLAG_SEEN && e.modseq == m3, "flags added and removed");
	is_str(e.keywords, "Work", "keywords added and removed (any case)");
	store_entry_clear(&e);
	store_entry_set_flags(st, box, 1, STORE_FLAGS_SET, STORE_FLAG_DRAFT, NULL, NULL);
	store_entry_get(st, box, 1, &e);
	ok(e.flags == STORE_FLAG_DRAFT && strcmp(e.keywords, "Work") == 0,
	   "set replaces the flags, NULL keywords stay");
	store_entry_clear(&e);
	int n = 0;
	store_entry_changes(st, box, m2, count_expunged, &n);
	is_int(n, 1, "changes since a modseq: one entry");
	ok(store_entry_set_flags(st, box, 99, STORE_FLAGS_SET, 0, NULL, NULL) < 0 &&
	   store_last_error(st) == STORE_E_NOTFOUND, "flags of a missing uid: NOTFOUND");

	ok(store_mailbox_rename(st, box, "Renamed") == 0 &&
	   store_mailbox_find(st, pid, "Renamed", &mb) == 0 && mb.uidvalidity == validity &&
	   mb.uidnext == 5, "rename keeps UIDVALIDITY and uids");
	store_mailbox_clear(&mb);
	ok(store_mailbox_rename(st, box, "Trash") < 0 && store_last_error(st) == STORE_E_EXISTS,
	   "rename onto an existing name refused");
	ok(store_mailbox_rename(st, inbox, "Old") < 0 && store_last_error(st) == STORE_E_INVALID,
	   "INBOX cannot be renamed");
	ok(store_mailbox_create(st, pid, "inbox", NULL, NULL) < 0 &&
	   store_last_error(st) == STORE_E_EXISTS, "a second INBOX in another case refused");
	ok(store_subscription_add(st, pid, "Renamed") == 0 &&
	   store_mailbox_get(st, box, &mb) == 0 && mb.subscribed, "subscribed");
	store_mailbox_clear(&mb);
	ok(store_mailbox_rename(st, box, "Moved") == 0 && store_mailbox_get(st, box, &mb) == 0 &&
	   mb.subscribed, "the subscription follows a rename");
	store_mailbox_clear(&mb);
	ok(store_subscription_remove(st, pid, "Moved") == 0 &&
	   store_mailbox_get(st, box, &mb) == 0 && !mb.subscribed, "unsubscribed");
	store_mailbox_clear(&mb);
	ok(store_subscription_remove(st, pid, "Moved") < 0 &&
	   store_last_error(st) == STORE_E_NOTFOUND, "unsubscribing twice: NOTFOUND");
}

static int count_name(const char *name, void *arg)
{
	(void)name;
	(*(int *)arg)++;
	return 0;
}

static void test_subscriptions(struct store *st, int64_t pid)
{
	int64_t box;
	int n = 0;
	store_mailbox_create(st, pid, "Kept", NULL, &box);
	ok(store_subscription_add(st, pid, "Kept") == 0 &&
	   store_subscription_add(st, pid, "Kept") == 0, "subscribing twice is no error");
	ok(store_mailbox_delete(st, box) == 0 &&
	   store_subscription_list(st, pid, count_name, &n) == 0, "mailbox deleted");
	int before = n;
	ok(store_subscription_add(st, pid, "Nowhere/Deep") == 0, "a name that is no mailbox");
	n = 0;
	store_subscription_list(st, pid, count_name, &n);
	is_int(n, before + 1, "subscriptions outlive DELETE and need no mailbox");
	struct store_mailbox mb = { 0 };
	ok(store_mailbox_create(st, pid, "Kept", NULL, &box) == 0 &&
	   store_mailbox_get(st, box, &mb) == 0 && mb.subscribed,
	   "a mailbox created again under a subscribed name is subscribed");
	store_mailbox_clear(&mb);

	/* a rename onto a name subscribed already: one subscription left */
	store_subscription_add(st, pid, "Later");
	n = 0;
	store_subscription_list(st, pid, count_name, &n);
	before = n;
	ok(store_mailbox_rename(st, box, "Later") == 0 && store_mailbox_get(st, box, &mb) == 0 &&
	   mb.subscribed, "rename onto a subscribed name: still subscribed");
	store_mailbox_clear(&mb);
	n = 0;
	store_subscription_list(st, pid, count_name, &n);
	is_int(n, before - 1, "and the two subscriptions became one");
	/* an unsubscribed mailbox renamed onto a subscribed name keeps it */
	store_subscription_add(st, pid, "Again");
	store_subscription_remove(st, pid, "Later");
	ok(store_mailbox_rename(st, box, "Again") == 0 && store_mailbox_get(st, box, &mb) == 0 &&
	   mb.subscribed, "an unsubscribed mailbox renamed onto a subscribed name is subscribed");
	store_mailbox_clear(&mb);
	ok(store_mailbox_rename(st, box, "Again") == 0 && store_mailbox_get(st, box, &mb) == 0 &&
	   mb.subscribed, "a rename to its own name keeps the subscription");
	store_mailbox_clear(&mb);
}

/* store.backend: sqlite opens, postgresql needs the build's support,
 * anything else is refused. */
static void test_backends(void)
{
	struct store *st = store_open_backend("sqlite", db_path("backend.db"), 1000);
	ok(st != NULL && store_schema_version(st) == STORE_SCHEMA_VERSION,
	   "backend sqlite opens a file");
	store_close(st);
	ok(store_open_backend("oracle", "whatever", 1000) == NULL, "an unknown backend: NULL");
#ifndef EMS_HAVE_PG
	ok(store_open_backend("postgresql", "host=/nonexistent", 1000) == NULL,
	   "postgresql without PostgreSQL support: NULL");
#else
	ok(store_open_backend("postgresql", "host=/nonexistent port=1", 1000) == NULL,
	   "postgresql with no server there: NULL");
#endif
}

static void test_streaming(struct store *st)
{
	enum { BIG = 300000, CHUNK = 4096 };
	char *big = malloc(BIG), *back = malloc(BIG + CHUNK);
	int64_t msg, size = 0, rc;
	for (int i = 0; i < BIG; i++)
		big[i] = (char)('a' + i % 26);
	store_message_put(st, big, BIG, 0, "structure", 9, &msg);
	store_message_info(st, msg, &size, &rc);
	is_int(size, BIG, "size recorded");
	size_t off = 0;
	ssize_t n;
	while ((n = store_message_read(st, msg, off, back + off, CHUNK)) > 0)
		off += (size_t)n;
	ok(n == 0 && off == BIG && memcmp(big, back, BIG) == 0,
	   "read back in %d-byte chunks, byte for byte", CHUNK);
	char buf[8];
	is_int(store_message_read(st, msg, BIG - 3, buf, sizeof buf), 3, "a short last chunk");
	is_mem(buf, 3, big + BIG - 3, 3, "with the right bytes");
	ok(store_message_read(st, 987654, 0, buf, sizeof buf) < 0 &&
	   store_last_error(st) == STORE_E_NOTFOUND, "reading a missing message: NOTFOUND");
	void *whole = NULL, *structure = NULL;
	size_t len = 0, slen = 0;
	ok(store_message_get(st, msg, &whole, &len) == 0 && len == BIG &&
	   memcmp(whole, big, BIG) == 0, "read whole");
	ok(store_message_structure(st, msg, &structure, &slen) == 0 && slen == 9 &&
	   memcmp(structure, "structure", 9) == 0, "MIME structure kept");
	free(whole);
	free(structure);
	free(big);
	free(back);
}

/* ---- transactions, garbage collection ---- */

static void test_transactions(struct store *st)
{
	struct store_domain d = { 0 };
	ok(store_begin(st) == 0 && store_domain_add(st, "a.test", "", NULL) == 0,
	   "inside a transaction");
	store_rollback(st);
	ok(store_domain_find(st, "a.test", &d) < 0, "rolled back: gone");
	store_begin(st);
	store_domain_add(st, "b.test", "", NULL);
	ok(store_person_add(st, "b.test", "u", "p", NULL) == 0, "a person added inside");
	ok(store_person_add(st, "b.test", "U", "p", NULL) < 0, "a failing call inside");
	ok(store_commit(st) == 0, "the group still commits");
	struct store_person p = { 0 };
	ok(store_person_find(st, "u", "b.test", &p) == 0, "with what succeeded in it");
	/* Expunging a missing uid takes a modseq before it finds no entry:
	 * that half-done change must be undone, inside a group and alone. */
	struct store_mailbox m = { 0 };
	store_mailbox_find(st, p.id, "INBOX", &m);
	uint64_t modseq = m.highest_modseq;
	int64_t inbox = m.id;
	store_mailbox_clear(&m);
	store_begin(st);
	ok(store_entry_expunge(st, inbox, 42) < 0, "a call failing half-way inside a group");
	store_commit(st);
	ok(store_entry_expunge(st, inbox, 42) < 0, "and alone");
	store_mailbox_get(st, inbox, &m);
	is_int((long long)m.highest_modseq, (long long)modseq, "left nothing behind");
	store_mailbox_clear(&m);
	store_person_clear(&p);
	ok(store_domain_delete(st, "b.test") == 0 && store_person_find(st, "u", "b.test", &p) < 0,
	   "deleting a domain deletes its persons");
	ok(store_commit(st) < 0, "commit without a transaction is an error");
}

/* PRAGMA synchronous of ST's connection: 2 FULL, 1 NORMAL. */
static int sync_level(struct store *st)
{
	/* 2: a commit syncs, 1: it need not (SQLite FULL/NORMAL, PostgreSQL
	 * synchronous_commit on/off) */
	struct store_stmt *s = store_stmt_dialect(st, "PRAGMA synchronous",
	    "SELECT CASE current_setting('synchronous_commit') WHEN 'off' THEN 1 ELSE 2 END");
	int v = s != NULL && store_step(st, s, "test") == STORE_ROW ? store_col_int(s, 0) : -1;
	if (s != NULL)
		store_reset(s);
	return v;
}

static void test_lazy(struct store *st)
{
	struct store_domain d = { 0 };
	is_int(sync_level(st), 2, "commits sync (synchronous=FULL)");
	ok(store_begin_lazy(st) == 0, "a lazy transaction begins");
	is_int(sync_level(st), 1, "inside it commits do not sync (NORMAL)");
	store_domain_add(st, "lazy.test", "", NULL);
	ok(store_commit(st) == 0, "and commits");
	is_int(sync_level(st), 2, "the next ones sync again");
	struct store *other = test_store_open("main.db", 1000);
	ok(other != NULL && store_domain_find(other, "lazy.test", &d) == 0,
	   "another handle sees what it committed");
	store_domain_clear(&d);
	store_close(other);
	store_begin_lazy(st);
	store_domain_add(st, "lazy2.test", "", NULL);
	store_rollback(st);
	ok(store_domain_find(st, "lazy2.test", &d) < 0 && sync_level(st) == 2,
	   "a lazy rollback undoes and puts syncing back");
	store_domain_clear(&d);
	store_begin(st);
	ok(store_begin_lazy(st) == 0 && sync_level(st) == 2,
	   "inside a durable transaction, lazy is a savepoint that changes nothing");
	store_commit(st);
	store_commit(st);
	store_domain_delete(st, "lazy.test");
}

static void test_collect(struct store *st, int64_t pid)
{
	int64_t msg, box, n = -1;
	uint32_t uid;
	time_t now = time(NULL);
	store_mailbox_create(st, pid, "Gc", NULL, &box);
	store_message_put(st, "collect me\r\n", 12, 0, NULL, 0, &msg);
	store_entry_append(st, box, msg, 0, NULL, 0, &uid);
	uint64_t floor = 1;
	ok(store_mailbox_vanished_floor(st, box, &floor) == 0 && floor == 0,
	   "a new mailbox remembers every expunge");
	store_entry_expunge(st, box, uid);
	struct store_mailbox mb;
	store_mailbox_get(st, box, &mb);
	uint64_t expunged_at = mb.highest_modseq;
	store_mailbox_clear(&mb);
	ok(store_collect_messages(st, now + 10, 100, &n) == 0, "collect messages");
	ok(refcount(st, msg) == 0, "an expunge mark keeps the message a while");
	ok(store_mailbox_vanished_floor(st, box, &floor) == 0 && floor == 0,
	   "an expunge mark kept: the floor stays");
	ok(store_collect_expunged(st, now + 10, 100, &n) == 0 && n >= 1, "expunge marks purged");
	ok(store_mailbox_vanished_floor(st, box, &floor) == 0 && floor == expunged_at,
	   "purging the mark raises the floor to its modseq (QRESYNC)");
	ok(store_collect_messages(st, now - 3600, 100, &n) == 0 && refcount(st, msg) == 0,
	   "a recently stored message survives its grace period");
	ok(store_collect_messages(st, now + 10, 100, &n) == 0 && n >= 1 &&
	   refcount(st, msg) == -1, "then unreferenced messages are deleted");
	char body[4];
	ok(store_message_read(st, msg, 0, body, sizeof body) < 0 &&
	   store_last_error(st) == STORE_E_NOTFOUND, "  their bodies with them");
	ok(store_vacuum_step(st, 10) == 0, "incremental vacuum");
	ok(store_checkpoint(st) == 0, "checkpoint");
}

/* ---- queues ---- */

static void test_queue(void)
{
	const char *rcpts[] = { "b@y.test", "c@y.test" };
	struct store *st = test_store_open("queue.db", 1000);
	int64_t qid, depth = -1;
	ok(store_queue_add(st, STORE_QUEUE_SUBMISSION, "a@x.test", rcpts, 2, "m\r\n", 3, 5,
	                   &qid) == 0, "submission stored");
	ok(store_queue_add(st, STORE_QUEUE_SUBMISSION, "a@x.test", rcpts, 0, "m\r\n", 3, 5,
	                   NULL) < 0 && store_last_error(st) == STORE_E_INVALID,
	   "no recipients refused");
	store_close(st);
	st = test_store_open("queue.db", 1000);
	struct store_queue_item q = { 0 };
	time_t now = time(NULL);
	ok(store_queue_next(st, STORE_QUEUE_SUBMISSION, now, 60, &q) == 0 && q.id == qid &&
	   q.nrecipients == 2 && strcmp(q.recipients[1], "c@y.test") == 0 &&
	   strcmp(q.sender, "a@x.test") == 0 && q.attempts == 1,
	   "it survives close and reopen");
	is_int(refcount(st, q.message_id), 1, "a queued item holds a reference");
	int64_t message = q.message_id;
	store_queue_item_clear(&q);
	ok(store_queue_next(st, STORE_QUEUE_SUBMISSION, now, 60, &q) < 0 &&
	   store_last_error(st) == STORE_E_NOTFOUND, "a leased item is not handed out twice");
	ok(store_queue_next(st, STORE_QUEUE_SUBMISSION, now + 61, 60, &q) == 0 && q.attempts == 2,
	   "it is due again when the lease runs out");
	store_queue_item_clear(&q);
	ok(store_queue_retry(st, STORE_QUEUE_SUBMISSION, qid, now + 600, rcpts + 1, 1,
	                     "451 busy") == 0, "retry later for one recipient");
	ok(store_queue_next(st, STORE_QUEUE_SUBMISSION, now + 300, 60, &q) < 0,
	   "a retried item waits for its time");
	ok(store_queue_next(st, STORE_QUEUE_SUBMISSION, now + 600, 60, &q) == 0 &&
	   q.nrecipients == 1 && strcmp(q.recipients[0], "c@y.test") == 0 &&
	   strcmp(q.last_error, "451 busy") == 0, "then comes back with what is left to do");
	store_queue_item_clear(&q);
	ok(store_queue_done(st, STORE_QUEUE_SUBMISSION, qid) == 0, "done");
	is_int(refcount(st, message), 0, "a finished item drops its reference");
	ok(store_queue_done(st, STORE_QUEUE_SUBMISSION, qid) < 0 &&
	   store_last_error(st) == STORE_E_NOTFOUND, "finishing twice is NOTFOUND");
	store_queue_depth(st, STORE_QUEUE_SUBMISSION, &depth);
	is_int(depth, 0, "submission queue empty");

	int64_t oid, n = 0;
	store_queue_add_message(st, STORE_QUEUE_OUTBOUND, "", rcpts, 1, message, &oid);
	/* Due from the second it was added, which on a loaded machine may
	 * come after the NOW above. */
	now = time(NULL);
	store_queue_depth(st, STORE_QUEUE_OUTBOUND, &depth);
	is_int(depth, 1, "a bounce (null sender) in the outbound queue");
	ok(store_queue_next(st, STORE_QUEUE_OUTBOUND, now, 60, &q) == 0 && q.id == oid &&
	   q.sender[0] == '\0', "handed out");
	store_queue_item_clear(&q);
	ok(store_queue_fail(st, STORE_QUEUE_OUTBOUND, oid, "550 no such user") == 0 &&
	   refcount(st, message) == 0, "failed for good, reference dropped");
	ok(store_collect_queues(st, now + 10, 100, &n) == 0 && n == 2, "finished items purged");
	store_close(st);
}

/* Another connection holds the write lock: writes fail as transient
 * after the busy timeout, which smtpgw turns into EX_TEMPFAIL. */
static void test_busy(void)
{
	const char *rcpt[] = { "b@y.test" };
	struct timespec t0, t1;
	struct store *other = test_store_open("queue.db", 1000);
	is_int(other ? store_begin(other) : -1, 0, "another process takes the write lock");
	struct store *st = test_store_open("queue.db", 200);
	ok(st != NULL, "the store still opens");
	if (st == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok(store_queue_add(st, STORE_QUEUE_SUBMISSION, "a@x.test", rcpt, 1, "m", 1, 0,
	                   NULL) < 0, "a submission while it is held fails");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ok(store_error_transient(st), "as transient (try again later)");
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ok(ms >= 150, "after waiting for the busy timeout (%ld ms)", ms);
	ok(store_domain_add(st, "busy.test", "", NULL) < 0 && store_error_transient(st),
	   "a single-statement write too");
	struct store_domain d = { 0 };
	ok(store_domain_find(st, "busy.test", &d) < 0 &&
	   store_last_error(st) == STORE_E_NOTFOUND, "reads go on meanwhile");
	store_rollback(other);
	store_close(other);
	ok(store_domain_add(st, "busy.test", "", NULL) == 0, "once released, writes work");
	store_close(st);
}

int main(void)
{
	snprintf(dir, sizeof dir, "%s", tap_tmpdir());
	if (test_store_pg()) {
		skip(TESTS_ON_SQLITE_FILES, "makes and reads SQLite files itself");
	} else {
		test_fresh_store();
		test_migration();
		test_newer_refused();
	}

	struct store *st = test_store_open("main.db", 1000);
	if (st == NULL)
		skip_all("cannot open a store");
	test_domains_persons(st);
	test_passwords(st);
	test_aliases_lists(st);
	int64_t pid = 0;
	struct store_person p = { 0 };
	store_person_find(st, "demo", "example.test", &p);
	pid = p.id;
	store_person_clear(&p);
	test_refcount(st, pid);
	test_prefix(st, pid);
	test_uids_flags(st, pid);
	test_subscriptions(st, pid);
	test_streaming(st);
	test_transactions(st);
	test_lazy(st);
	test_collect(st, pid);
	ok(store_person_delete(st, pid) == 0, "person deleted");
	if (test_store_pg())
		skip(1, "integrity_check is SQLite's");
	else
		ok(store_integrity_check(st) == 0, "integrity check ok");
	store_close(st);
	is_int(test_raw_int("main.db", "SELECT count(*) FROM messages WHERE refcount <> 0"),
	       0, "no message keeps a reference after its person is gone");

	test_queue();
	test_busy();
	test_backends();
	done_testing();
	return exit_status();
}
