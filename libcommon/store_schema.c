/*
 * store_schema.c - the SQLite store's tables and their forward
 * migrations, run by store_driver_sqlite when a store is opened.
 *
 * migrations[i] turns a store of version i into version i + 1; version 0
 * is an empty file, and the version lives in PRAGMA user_version.  To
 * change the schema, for both backends at once:
 *   1. append one SQL string to migrations[] here (SQLite's dialect);
 *   2. append the same change in PostgreSQL's dialect to pg_steps[] in
 *      store_schema_pg.c (BIGINT for INTEGER, bytea for BLOB, a plpgsql
 *      function for a trigger body, ems_nocase for COLLATE NOCASE), and
 *      keep its pg_base untouched: it is version 11, where PostgreSQL
 *      stores begin;
 *   3. raise STORE_SCHEMA_VERSION in store.h (each file asserts at build
 *      time that its steps reach it).
 * A store of any earlier version then migrates on its next open, all
 * steps in one transaction, and a store newer than the code is refused.
 * Never edit a shipped step.  The statements of the store modules must
 * then suit both schemas; t/store_pg.t runs the store's tests on both,
 * and t/unit/store_schema_same.c fails when a table or column is in one
 * schema and not the other (unless listed there as on purpose).  The two
 * are separate texts because what is most of them, the triggers, has no
 * syntax the two dialects share.
 *
 * Reference counts of messages are kept by triggers: +1 when a live entry
 * or a queued item points at a message, -1 when it is expunged, finished
 * or deleted (also by a cascade from its mailbox, person or domain).
 */
#include "store_internal.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

/* Triggers keeping messages.refcount for a queue table TABLE. */
#define QUEUE_REF_TRIGGERS(table)                                              \
	"CREATE TRIGGER " table "_ref_add AFTER INSERT ON " table                  \
	" WHEN NEW.state = 'queued' BEGIN"                                         \
	"  UPDATE messages SET refcount = refcount + 1 WHERE id = NEW.message_id;" \
	" END;"                                                                    \
	"CREATE TRIGGER " table "_ref_finish AFTER UPDATE OF state ON " table      \
	" WHEN OLD.state = 'queued' AND NEW.state <> 'queued' BEGIN"               \
	"  UPDATE messages SET refcount = refcount - 1 WHERE id = OLD.message_id;" \
	" END;"                                                                    \
	"CREATE TRIGGER " table "_ref_drop AFTER DELETE ON " table                 \
	" WHEN OLD.state = 'queued' BEGIN"                                         \
	"  UPDATE messages SET refcount = refcount - 1 WHERE id = OLD.message_id;" \
	" END;"

/* A queue table: submission ("queue") and, from version 2, "outbound". */
#define QUEUE_TABLE(table)                                                     \
	"CREATE TABLE " table " ("                                                 \
	"  id INTEGER PRIMARY KEY,"                                                \
	"  sender TEXT NOT NULL,"                                                  \
	"  recipients TEXT NOT NULL,"                                              \
	"  message_id INTEGER NOT NULL REFERENCES messages(id),"                   \
	"  state TEXT NOT NULL DEFAULT 'queued'"                                   \
	"    CHECK (state IN ('queued', 'done', 'failed')),"                       \
	"  attempts INTEGER NOT NULL DEFAULT 0,"                                   \
	"  next_attempt INTEGER NOT NULL,"                                         \
	"  created INTEGER NOT NULL,"                                              \
	"  finished INTEGER,"                                                      \
	"  last_error TEXT NOT NULL DEFAULT '');"                                  \
	"CREATE INDEX " table "_due ON " table "(next_attempt)"                    \
	"  WHERE state = 'queued';"                                                \
	"CREATE INDEX " table "_finished ON " table "(finished)"                   \
	"  WHERE state <> 'queued';"                                               \
	"CREATE INDEX " table "_message ON " table "(message_id);"                 \
	QUEUE_REF_TRIGGERS(table)

static const char *const migrations[] = {
	/* 0 -> 1: directory, mailboxes, single-instance messages, submission queue */
	"CREATE TABLE domains ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  description TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE persons ("
	"  id INTEGER PRIMARY KEY,"
	"  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,"
	"  username TEXT NOT NULL COLLATE NOCASE,"
	"  password_hash TEXT NOT NULL,"
	"  quota_bytes INTEGER NOT NULL DEFAULT 0,"
	"  quota_messages INTEGER NOT NULL DEFAULT 0,"
	"  services INTEGER NOT NULL DEFAULT 7,"
	"  admin INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  UNIQUE (domain_id, username));"
	"CREATE TABLE aliases ("
	"  id INTEGER PRIMARY KEY,"
	"  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL COLLATE NOCASE,"
	"  target TEXT NOT NULL,"
	"  UNIQUE (domain_id, name));"
	"CREATE TABLE dlists ("
	"  id INTEGER PRIMARY KEY,"
	"  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL COLLATE NOCASE,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  UNIQUE (domain_id, name));"
	"CREATE TABLE dlist_members ("
	"  dlist_id INTEGER NOT NULL REFERENCES dlists(id) ON DELETE CASCADE,"
	"  address TEXT NOT NULL COLLATE NOCASE,"
	"  PRIMARY KEY (dlist_id, address));"
	"CREATE TABLE mailboxes ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  uidvalidity INTEGER NOT NULL,"
	"  uidnext INTEGER NOT NULL DEFAULT 1,"
	"  highest_modseq INTEGER NOT NULL DEFAULT 1,"
	"  subscribed INTEGER NOT NULL DEFAULT 1,"
	"  special_use TEXT NOT NULL DEFAULT '',"
	"  UNIQUE (person_id, name));"
	/* body last: reading the other columns never touches its pages */
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  size INTEGER NOT NULL,"
	"  internal_date INTEGER NOT NULL,"
	"  stored INTEGER NOT NULL,"
	"  refcount INTEGER NOT NULL DEFAULT 0,"
	"  structure BLOB,"
	"  body BLOB NOT NULL);"
	"CREATE INDEX messages_unreferenced ON messages(stored) WHERE refcount <= 0;"
	"CREATE TABLE entries ("
	"  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
	"  uid INTEGER NOT NULL,"
	"  message_id INTEGER NOT NULL REFERENCES messages(id),"
	"  flags INTEGER NOT NULL DEFAULT 0,"
	"  keywords TEXT NOT NULL DEFAULT '',"
	"  modseq INTEGER NOT NULL,"
	"  internal_date INTEGER NOT NULL,"
	"  expunged INTEGER,"   /* NULL: live; else the unix time of the expunge */
	"  PRIMARY KEY (mailbox_id, uid)) WITHOUT ROWID;"
	"CREATE INDEX entries_message ON entries(message_id);"
	"CREATE INDEX entries_modseq ON entries(mailbox_id, modseq);"
	"CREATE INDEX entries_expunged ON entries(expunged) WHERE expunged IS NOT NULL;"
	"CREATE TRIGGER entries_ref_add AFTER INSERT ON entries"
	" WHEN NEW.expunged IS NULL BEGIN"
	"  UPDATE messages SET refcount = refcount + 1 WHERE id = NEW.message_id;"
	" END;"
	"CREATE TRIGGER entries_ref_expunge AFTER UPDATE OF expunged ON entries"
	" WHEN OLD.expunged IS NULL AND NEW.expunged IS NOT NULL BEGIN"
	"  UPDATE messages SET refcount = refcount - 1 WHERE id = OLD.message_id;"
	" END;"
	"CREATE TRIGGER entries_ref_drop AFTER DELETE ON entries"
	" WHEN OLD.expunged IS NULL BEGIN"
	"  UPDATE messages SET refcount = refcount - 1 WHERE id = OLD.message_id;"
	" END;"
	QUEUE_TABLE("queue"),

	/* 1 -> 2: the outbound queue; auto-reply and forwarding per person */
	QUEUE_TABLE("outbound")
	"ALTER TABLE persons ADD COLUMN autoreply TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE persons ADD COLUMN forward_to TEXT NOT NULL DEFAULT '';",

	/* 2 -> 3: auto-reply period, forward with or without a copy, and
	 * whom an auto-reply went to when (once per sender per interval) */
	"ALTER TABLE persons ADD COLUMN autoreply_from INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE persons ADD COLUMN autoreply_until INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE persons ADD COLUMN forward_keep INTEGER NOT NULL DEFAULT 1;"
	"CREATE TABLE vacation_sent ("
	"  person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,"
	"  sender TEXT NOT NULL COLLATE NOCASE,"
	"  sent INTEGER NOT NULL,"
	"  PRIMARY KEY (person_id, sender)) WITHOUT ROWID;",

	/* 3 -> 4: failed-login counters per client address and per person
	 * (shared by every worker process), and the retrievable secrets
	 * CRAM-MD5 and APOP need, each tied to the password hash it was
	 * checked against so that a changed password voids it */
	"CREATE TABLE auth_failures ("
	"  kind TEXT NOT NULL,"
	"  key TEXT NOT NULL COLLATE NOCASE,"
	"  failures INTEGER NOT NULL,"
	"  last_failure INTEGER NOT NULL,"
	"  locked_until INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (kind, key)) WITHOUT ROWID;"
	"CREATE TABLE person_secrets ("
	"  person_id INTEGER PRIMARY KEY REFERENCES persons(id) ON DELETE CASCADE,"
	"  secret TEXT NOT NULL,"
	"  hash TEXT NOT NULL);",

	/* 4 -> 5: statistics samples, one row per process, counter and time
	 * (only counters that are not zero), for `oomgr disp stats ... history` */
	"CREATE TABLE stat_samples ("
	"  process TEXT NOT NULL,"
	"  counter TEXT NOT NULL,"
	"  taken INTEGER NOT NULL,"
	"  value INTEGER NOT NULL,"
	"  PRIMARY KEY (process, counter, taken)) WITHOUT ROWID;"
	"CREATE INDEX stat_samples_taken ON stat_samples(taken);",

	/* 5 -> 6: the highest UIDVALIDITY ever handed out, so that a mailbox
	 * deleted and created again gets a new one even when the deleted
	 * mailbox held the highest (RFC 3501 2.3.1.1) */
	"CREATE TABLE uidvalidity_high ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  value INTEGER NOT NULL);"
	"INSERT INTO uidvalidity_high SELECT 1, coalesce(max(uidvalidity), 0) FROM mailboxes;"
	"CREATE TRIGGER mailboxes_uidvalidity AFTER INSERT ON mailboxes BEGIN"
	"  UPDATE uidvalidity_high SET value = max(value, NEW.uidvalidity);"
	" END;",

	/* 6 -> 7: each entry's own trace fields (Return-Path, Delivered-To),
	 * served on top of the shared message, so one message delivered to
	 * several people is stored once and each copy names its recipient;
	 * NULL: none (entries of earlier versions carry theirs in the body) */
	"ALTER TABLE entries ADD COLUMN prefix BLOB;",

	/* 7 -> 8: subscriptions are names of their own, not a mark on a
	 * mailbox row: they survive DELETE of the mailbox and may name one
	 * that does not exist (RFC 3501 6.3.9, RFC 5258 \NonExistent) */
	"CREATE TABLE subscriptions ("
	"  person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  PRIMARY KEY (person_id, name)) WITHOUT ROWID;"
	"INSERT INTO subscriptions (person_id, name)"
	"  SELECT person_id, name FROM mailboxes WHERE subscribed <> 0;"
	"ALTER TABLE mailboxes DROP COLUMN subscribed;",

	/* 8 -> 9: the highest modseq of an expunge mark the collector purged,
	 * below which a mailbox no longer knows every uid that vanished
	 * (QRESYNC, RFC 7162 3.2); marks purged before this version are
	 * unknown, so existing mailboxes start at their highest modseq */
	"ALTER TABLE mailboxes ADD COLUMN vanished_floor INTEGER NOT NULL DEFAULT 0;"
	"UPDATE mailboxes SET vanished_floor = highest_modseq;"
	"CREATE TRIGGER entries_vanished_floor AFTER DELETE ON entries"
	" WHEN OLD.expunged IS NOT NULL BEGIN"
	"  UPDATE mailboxes SET vanished_floor = max(vanished_floor, OLD.modseq)"
	"  WHERE id = OLD.mailbox_id;"
	" END;",

	/* 9 -> 10: each person's Sieve scripts (sieve.h), at most one active */
	"CREATE TABLE sieve_scripts ("
	"  person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  content TEXT NOT NULL,"
	"  active INTEGER NOT NULL DEFAULT 0,"
	"  updated INTEGER NOT NULL,"
	"  PRIMARY KEY (person_id, name)) WITHOUT ROWID;"
	"CREATE UNIQUE INDEX sieve_scripts_active ON sieve_scripts(person_id)"
	"  WHERE active <> 0;",

	/* 10 -> 11: message bodies in a table of their own.  SQLite rewrites
	 * a whole row on UPDATE, large blob included, so a body beside the
	 * reference count made every delivery, expunge and structure
	 * write-back read and write the message again (80 MB of heap for a
	 * 40 MB message); the messages row is now small */
	"CREATE TABLE message_bodies ("
	"  id INTEGER PRIMARY KEY,"   /* messages.id */
	"  body BLOB NOT NULL);"
	"INSERT INTO message_bodies (id, body) SELECT id, body FROM messages;"
	"ALTER TABLE messages DROP COLUMN body;"
	"CREATE TRIGGER messages_body_drop AFTER DELETE ON messages BEGIN"
	"  DELETE FROM message_bodies WHERE id = OLD.id;"
	" END;",
};

_Static_assert(sizeof migrations / sizeof migrations[0] == STORE_SCHEMA_VERSION,
               "one migration per schema version");

int store_schema_sqlite_version(struct store *st)
{
	struct store_stmt *s = store_stmt(st, "PRAGMA user_version");
	if (s == NULL || store_step_row(st, s, "user_version", "no result") < 0)
		return -1;
	int v = store_col_int(s, 0);
	store_reset(s);
	return v;
}

/* The file name without its directory, for messages an admin reads. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static int refuse_newer(struct store *st, int v)
{
	char why[256];
	snprintf(why, sizeof why, "%s has schema version %d, this ems understands up to %d;"
	         " upgrade ems", base_name(st->path), v, STORE_SCHEMA_VERSION);
	log_error("store_open", "path=%s error=%s", log_quote(st->path), log_quote(why));
	st->last_error = STORE_E_FAILED;
	return -1;
}

/* WAL lets readers go on while one process writes; the mode is stored in
 * the file, so only a file not yet in WAL mode is switched. */
static int ensure_wal(struct store *st)
{
	struct store_stmt *s = store_stmt(st, "PRAGMA journal_mode=WAL");
	if (s == NULL || store_step_row(st, s, "journal_mode", "no result") < 0)
		return -1;
	const char *mode = store_col_str(s, 0);
	if (strcmp(mode, "wal") != 0)
		log_warn("store_open", "path=%s journal_mode=%s error=\"WAL not available\"",
		         log_quote(st->path), log_quote(*mode ? mode : "none"));
	store_reset(s);
	return 0;
}

static int run_steps(struct store *st, int from)
{
	char set_version[64];
	for (int v = from; v < STORE_SCHEMA_VERSION; v++) {
		snprintf(set_version, sizeof set_version, "PRAGMA user_version=%d", v + 1);
		if (store_exec(st, migrations[v]) < 0 || store_exec(st, set_version) < 0) {
			log_error("store_migrate", "path=%s from=%d to=%d error=\"step failed\"",
			          log_quote(st->path), v, v + 1);
			return -1;
		}
	}
	return 0;
}

/* Migrates under the write lock; another process may have done it while
 * we waited for the lock, so the version is read again inside. */
static int migrate(struct store *st)
{
	if (store_tx_begin(st) < 0)
		return -1;
	int from = store_schema_sqlite_version(st);
	if (from < 0 || (from > STORE_SCHEMA_VERSION && refuse_newer(st, from) < 0) ||
	    run_steps(st, from) < 0) {
		store_tx_rollback(st);
		return -1;
	}
	if (store_tx_commit(st) < 0)
		return -1;
	if (from > 0 && from < STORE_SCHEMA_VERSION)
		log_info("store_migrate", "path=%s from=%d to=%d", log_quote(st->path), from,
		         STORE_SCHEMA_VERSION);
	return 0;
}

int store_schema_sqlite_apply(struct store *st)
{
	int v = store_schema_sqlite_version(st);
	if (v < 0)
		return -1;
	if (v > STORE_SCHEMA_VERSION)
		return refuse_newer(st, v);
	/* auto_vacuum takes effect only before the first table exists. */
	if (v == 0 && store_exec(st, "PRAGMA auto_vacuum=INCREMENTAL") < 0)
		return -1;
	if (ensure_wal(st) < 0)
		return -1;
	return v == STORE_SCHEMA_VERSION ? 0 : migrate(st);
}
