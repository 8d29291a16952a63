/*
 * store_schema.c - the store's tables and their forward migrations.
 *
 * migrations[i] turns a store of version i into version i + 1; version 0
 * is an empty file.  The version lives in PRAGMA user_version.  To change
 * the schema, append one migration and raise STORE_SCHEMA_VERSION: stores
 * of every earlier version then migrate on their next open, inside one
 * transaction, and a store newer than the code is refused.
 */
#include "store_internal.h"
#include "log.h"

#include <stdio.h>

static const char *const migrations[] = {
	/* 0 -> 1: directory, mailboxes, single-instance messages, queue */
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
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  size INTEGER NOT NULL,"
	"  internal_date INTEGER NOT NULL,"
	"  refcount INTEGER NOT NULL DEFAULT 0,"
	"  structure BLOB,"
	"  body BLOB NOT NULL);"
	"CREATE INDEX messages_unreferenced ON messages(refcount) WHERE refcount <= 0;"
	"CREATE TABLE entries ("
	"  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
	"  uid INTEGER NOT NULL,"
	"  message_id INTEGER NOT NULL REFERENCES messages(id),"
	"  flags INTEGER NOT NULL DEFAULT 0,"
	"  keywords TEXT NOT NULL DEFAULT '',"
	"  modseq INTEGER NOT NULL,"
	"  internal_date INTEGER NOT NULL,"
	"  PRIMARY KEY (mailbox_id, uid)) WITHOUT ROWID;"
	"CREATE INDEX entries_message ON entries(message_id);"
	"CREATE TABLE queue ("
	"  id INTEGER PRIMARY KEY,"
	"  sender TEXT NOT NULL,"
	"  recipients TEXT NOT NULL,"
	"  message_id INTEGER NOT NULL REFERENCES messages(id),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX queue_due ON queue(next_attempt);",

	/* 1 -> 2: the outbound queue; auto-reply and forward per person */
	"CREATE TABLE outbound ("
	"  id INTEGER PRIMARY KEY,"
	"  sender TEXT NOT NULL,"
	"  recipient TEXT NOT NULL,"
	"  message_id INTEGER NOT NULL REFERENCES messages(id),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX outbound_due ON outbound(next_attempt);"
	"ALTER TABLE persons ADD COLUMN autoreply TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE persons ADD COLUMN forward_to TEXT NOT NULL DEFAULT '';",
};

_Static_assert(sizeof migrations / sizeof migrations[0] == STORE_SCHEMA_VERSION,
               "one migration per schema version");

int store_schema_version(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int v = -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int migrate(struct store *st, int from)
{
	char set_version[64];
	if (store_tx_begin(st) < 0)
		return -1;
	for (int v = from; v < STORE_SCHEMA_VERSION; v++) {
		snprintf(set_version, sizeof set_version, "PRAGMA user_version=%d", v + 1);
		if (store_exec(st, migrations[v]) < 0 || store_exec(st, set_version) < 0) {
			store_tx_rollback(st);
			log_error("store_migrate", "from=%d to=%d error=\"migration failed\"",
			          v, v + 1);
			return -1;
		}
	}
	if (store_tx_commit(st) < 0)
		return -1;
	if (from > 0)
		log_info("store_migrate", "path=%s from=%d to=%d", log_quote(st->path),
		         from, STORE_SCHEMA_VERSION);
	return 0;
}

int store_schema_apply(struct store *st)
{
	int v = store_schema_version(st);
	if (v < 0)
		return store_fail(st, "user_version", sqlite3_errcode(st->db));
	if (v > STORE_SCHEMA_VERSION) {
		log_error("store_open",
		          "path=%s error=\"the store has schema version %d, this ems "
		          "understands up to %d: upgrade ems\"",
		          log_quote(st->path), v, STORE_SCHEMA_VERSION);
		st->last_error = STORE_E_FAILED;
		return -1;
	}
	/* auto_vacuum takes effect only before the first table exists, and
	 * the journal mode cannot change inside a transaction. */
	if (v == 0 && store_exec(st, "PRAGMA auto_vacuum=INCREMENTAL;"
	                             "PRAGMA journal_mode=WAL;") < 0)
		return -1;
	return v == STORE_SCHEMA_VERSION ? 0 : migrate(st, v);
}
