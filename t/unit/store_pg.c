/* Unit tests for the PostgreSQL store driver (libcommon/store_db_pg.c,
 * store_schema_pg.c) on its own, against the database
 * EMS_TEST_PG_CONNINFO names (t/store_pg.t starts a private cluster and
 * runs this): the schema at the current version and a newer one refused,
 * ?N parameters, rows, blobs and booleans, changes, constraint errors by
 * kind, transactions and savepoints after a failed statement, the
 * store-wide write lock (a waiting writer fails as transient, a nowait
 * one at once), the reference-count triggers, a connection killed
 * under the driver made again on the next call, and SELECTs that stream:
 * a long result walked in bounded memory, a statement run in the middle
 * of a walk, a walk given up early, and failures in the middle of one;
 * a handle with a reply bound whose server stalls fails as transient, in
 * the middle of a walk too, and is back once the server answers. */
#include "log.h"
#include "store.h"
#include "store_driver.h"
#include "store_internal.h"
#include "tap.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ASan allocates beside malloc's arenas: mallinfo2() cannot see it. */
#if defined(__SANITIZE_ADDRESS__)
#define HEAP_SEEN false
#else
#define HEAP_SEEN true
#endif

static const struct store_driver *drv = &store_driver_pg;
static const char *conninfo;

static struct store *open_store(int busy_ms, bool nowait)
{
	struct store *st = calloc(1, sizeof *st);
	if (st == NULL || drv->open(st, conninfo, busy_ms, nowait) < 0) {
		if (st != NULL)
			drv->close(st);
		free(st);
		return NULL;
	}
	return st;
}

static void close_store(struct store *st)
{
	if (st == NULL)
		return;
	drv->close(st);
	free(st);
}

/* The first column of the one row of SQL with integer parameter P (-1 on
 * failure). */
static long long one_int(struct store *st, const char *sql, long long p)
{
	void *s = drv->prepare(st, sql);
	long long v = -1;
	if (s == NULL)
		return -1;
	drv->bind_int64(s, 1, p);
	if (drv->step(st, s) == 1)
		v = drv->col_int64(s, 0);
	drv->finalize(s);
	return v;
}

/* Runs SQL with text parameter 1 = A (NULL: none); the step's result. */
static int run_text(struct store *st, const char *sql, const char *a)
{
	void *s = drv->prepare(st, sql);
	if (s == NULL)
		return -2;
	if (a != NULL)
		drv->bind_text(s, 1, a);
	int r = drv->step(st, s);
	drv->finalize(s);
	return r;
}

static void test_schema(struct store *st)
{
	is_int(drv->schema_apply(st), 0, "schema created in an empty database");
	is_int(drv->schema_version(st), STORE_SCHEMA_VERSION, "at the current version");
	is_int(drv->schema_apply(st), 0, "applying it again changes nothing");
	is_int(one_int(st, "SELECT count(*) FROM information_schema.tables WHERE"
	               " table_schema = 'public' AND table_type = 'BASE TABLE' AND"
	               " table_name <> ?1::text", 0),
	       19, "every table of the schema (and store_version) exists");
	is_int(drv->exec(st, "UPDATE store_version SET version = 99"), 0, "version set to 99");
	struct store *newer = open_store(1000, false);
	ok(newer != NULL && drv->schema_apply(newer) < 0, "a newer schema is refused");
	close_store(newer);
	drv->exec(st, "UPDATE store_version SET version = 5");
	struct store *odd = open_store(1000, false);
	ok(odd != NULL && drv->schema_apply(odd) < 0, "a version below the base is refused");
	close_store(odd);
	drv->exec(st, "UPDATE store_version SET version = 11");
}

static void test_statements(struct store *st)
{
	ok(drv->prepare(st, "SELECT id FROM domains WHERE name = ?") == NULL,
	   "a bare ? is refused");
	void *s = drv->prepare(st, "INSERT INTO domains (name, description)"
	                           " VALUES (?1, 'a ?2 -- in quotes') RETURNING id");
	ok(s != NULL, "an INSERT ... RETURNING prepares");
	drv->bind_text(s, 1, "Example.TEST");
	is_int(drv->step(st, s), 1, "its step returns the row");
	long long id = drv->col_int64(s, 0);
	ok(id > 0, "with the new id");
	ok(drv->busy(s), "busy before the walk ends");
	is_int(drv->step(st, s), 0, "then done");
	ok(!drv->busy(s), "not busy when done");
	is_int(drv->changes(st), 1, "one row changed");
	drv->reset(s);
	drv->bind_text(s, 1, "example.test");
	is_int(drv->step(st, s), -1, "the same name in other case fails");
	is_int(drv->classify(st), STORE_E_EXISTS, "as EXISTS (a case-insensitive unique name)");
	drv->finalize(s);

	is_int(one_int(st, "SELECT id FROM domains WHERE name = 'EXAMPLE.test' AND ?1 = 1", 1),
	       id, "names compare without regard to case");
	is_int(run_text(st, "SELECT description FROM domains WHERE name = ?1", "example.test"), 1,
	       "a text parameter finds the row");
	s = drv->prepare(st, "SELECT description, ?2 FROM domains WHERE name = ?1");
	drv->bind_text(s, 1, "example.test");
	drv->bind_int64(s, 2, 5000000000LL);
	is_int(drv->step(st, s), 1, "a row");
	is_str(drv->col_text(s, 0), "a ?2 -- in quotes", "?N inside quotes is left alone");
	is_int(drv->col_int64(s, 1), 5000000000LL, "a 64-bit integer parameter comes back");
	ok(drv->col_null(s, 2), "a column past the end reads as NULL");
	drv->finalize(s);

	is_int(run_text(st, "UPDATE domains SET description = 'x' WHERE name = ?1", "none.test"),
	       0, "an UPDATE of nothing is done");
	is_int(drv->changes(st), 0, "and changed no row");
}

static long long add_message(struct store *st, const unsigned char *hash, size_t hlen,
                             const void *structure, size_t slen)
{
	void *s = drv->prepare(st, "INSERT INTO messages (hash, size, internal_date, stored,"
	                           " structure) VALUES (?1, 10, 1, 1, ?2) RETURNING id");
	drv->bind_blob(s, 1, hash, hlen);
	if (structure != NULL)
		drv->bind_blob(s, 2, structure, slen);
	long long id = drv->step(st, s) == 1 ? drv->col_int64(s, 0) : -1;
	drv->finalize(s);
	return id;
}

static void test_blobs(struct store *st)
{
	unsigned char hash[32], structure[300];
	for (size_t i = 0; i < sizeof hash; i++)
		hash[i] = (unsigned char)(i * 37);   /* NUL and high bytes included */
	for (size_t i = 0; i < sizeof structure; i++)
		structure[i] = (unsigned char)(255 - i);
	long long a = add_message(st, hash, sizeof hash, structure, sizeof structure);
	ok(a > 0, "a message row with binary blobs");
	hash[0] ^= 1;
	long long b = add_message(st, hash, sizeof hash, "", 0);
	hash[0] ^= 2;
	long long c = add_message(st, hash, sizeof hash, NULL, 0);
	void *s = drv->prepare(st, "SELECT hash, structure, structure IS NULL FROM messages"
	                           " WHERE id = ?1");
	size_t len = 0;
	drv->bind_int64(s, 1, a);
	is_int(drv->step(st, s), 1, "read back");
	const void *p = drv->col_blob(s, 1, &len);
	is_mem(p, len, structure, sizeof structure, "the blob is byte for byte the same");
	ok(drv->col_blob(s, 1, &len) == p, "and stays put until the next step");
	hash[0] ^= 3;
	p = drv->col_blob(s, 0, &len);
	is_mem(p, len, hash, sizeof hash, "the hash too");
	is_int(drv->col_int64(s, 2), 0, "a boolean column reads as 0");
	drv->reset(s);
	drv->bind_int64(s, 1, b);
	drv->step(st, s);
	ok(drv->col_blob(s, 1, &len) == NULL && len == 0 && !drv->col_null(s, 1),
	   "an empty blob is empty, not NULL");
	drv->reset(s);
	drv->bind_int64(s, 1, c);
	drv->step(st, s);
	ok(drv->col_null(s, 1) && drv->col_int64(s, 2) == 1, "an unbound blob is NULL (true)");
	drv->finalize(s);
}

static void test_triggers(struct store *st)
{
	drv->exec(st, "INSERT INTO persons (domain_id, username, password_hash, created)"
	              " SELECT id, 'ann', 'x', 1 FROM domains;"
	              "INSERT INTO mailboxes (person_id, name, uidvalidity)"
	              " SELECT id, 'INBOX', 77 FROM persons");
	long long mid = one_int(st, "SELECT min(id) FROM messages WHERE ?1 = 1", 1);
	long long mbox = one_int(st, "SELECT id FROM mailboxes WHERE uidvalidity = ?1", 77);
	char sql[256];
	snprintf(sql, sizeof sql, "INSERT INTO entries (mailbox_id, uid, message_id, modseq,"
	         " internal_date) VALUES (%lld, 1, %lld, 2, 1), (%lld, 2, %lld, 3, 1)",
	         mbox, mid, mbox, mid);
	is_int(drv->exec(st, sql), 0, "two entries of one message");
	is_int(one_int(st, "SELECT refcount FROM messages WHERE id = ?1", mid), 2,
	       "count two references");
	is_int(drv->exec(st, "UPDATE entries SET expunged = 5, modseq = 9 WHERE uid = 1"), 0,
	       "one expunged");
	is_int(one_int(st, "SELECT refcount FROM messages WHERE id = ?1", mid), 1,
	       "leaves one reference");
	is_int(drv->exec(st, "DELETE FROM entries WHERE uid = 1"), 0, "its mark purged");
	is_int(one_int(st, "SELECT vanished_floor FROM mailboxes WHERE id = ?1", mbox), 9,
	       "raises the mailbox's vanished floor");
	is_int(one_int(st, "SELECT value FROM uidvalidity_high WHERE id = ?1", 1), 77,
	       "the highest uidvalidity is kept");
	snprintf(sql, sizeof sql, "INSERT INTO queue (sender, recipients, message_id,"
	         " next_attempt, created) VALUES ('a', 'b', %lld, 1, 1)", mid);
	drv->exec(st, sql);
	is_int(one_int(st, "SELECT refcount FROM messages WHERE id = ?1", mid), 2,
	       "a queued item references its message");
	drv->exec(st, "UPDATE queue SET state = 'done'");
	is_int(one_int(st, "SELECT refcount FROM messages WHERE id = ?1", mid), 1,
	       "and lets go when done");
	drv->exec(st, "DELETE FROM mailboxes");
	is_int(one_int(st, "SELECT refcount FROM messages WHERE id = ?1", mid), 0,
	       "a deleted mailbox releases its entries' messages");
	snprintf(sql, sizeof sql, "INSERT INTO message_chunks VALUES (%lld, 0, 'x')", mid);
	drv->exec(st, sql);
	drv->exec(st, "DELETE FROM queue");
	snprintf(sql, sizeof sql, "DELETE FROM messages WHERE id = %lld", mid);
	drv->exec(st, sql);
	is_int(one_int(st, "SELECT count(*) FROM message_chunks WHERE message_id = ?1", mid), 0,
	       "a deleted message takes its body along");
}

static void test_transactions(struct store *st)
{
	is_int(drv->begin(st), 0, "begin");
	ok(drv->in_tx(st), "in a transaction");
	run_text(st, "INSERT INTO domains (name) VALUES (?1)", "one.test");
	is_int(drv->exec(st, "SAVEPOINT s1"), 0, "a savepoint");
	is_int(run_text(st, "INSERT INTO aliases (domain_id, name, target) VALUES (-5, ?1, 'x')",
	                "a"), -1, "an insert pointing nowhere fails");
	is_int(drv->classify(st), STORE_E_NOTFOUND, "as NOTFOUND");
	ok(drv->in_tx(st), "the transaction is still open (aborted)");
	is_int(drv->exec(st, "ROLLBACK TO s1; RELEASE s1"), 0, "rolled back to the savepoint");
	is_int(run_text(st, "INSERT INTO domains (name) VALUES (?1)", "two.test"), 0,
	       "and the transaction goes on");
	is_int(drv->commit(st), 0, "commit");
	ok(!drv->in_tx(st), "no transaction after commit");
	is_int(one_int(st, "SELECT count(*) FROM domains WHERE name IN ('one.test', 'two.test')"
	               " AND ?1 = 1", 1), 2, "both rows are there");

	drv->begin(st);
	run_text(st, "INSERT INTO domains (name) VALUES (?1)", "three.test");
	run_text(st, "INSERT INTO domains (name) VALUES (?1)", "ONE.test");
	is_int(drv->commit(st), -1, "a commit after a failed statement fails");
	ok(!drv->in_tx(st), "and ends the transaction");
	is_int(one_int(st, "SELECT count(*) FROM domains WHERE name = 'three.test' AND ?1 = 1", 1),
	       0, "nothing of it was kept");

	drv->begin(st);
	run_text(st, "INSERT INTO domains (name) VALUES (?1)", "four.test");
	drv->rollback(st);
	is_int(one_int(st, "SELECT count(*) FROM domains WHERE name = 'four.test' AND ?1 = 1", 1),
	       0, "a rollback undoes");
}

static void test_write_lock(struct store *st)
{
	struct store *other = open_store(200, false), *quick = open_store(0, true);
	ok(other != NULL && quick != NULL, "two more handles");
	if (other == NULL || quick == NULL)
		goto out;
	is_int(drv->begin(st), 0, "one writer begins");
	is_int(drv->begin(other), -1, "a second one waits, then fails");
	is_int(drv->classify(other), STORE_E_TRANSIENT, "as transient");
	ok(!drv->in_tx(other), "with no transaction left open");
	is_int(drv->begin(quick), -1, "a nowait handle fails at once");
	is_int(drv->classify(quick), STORE_E_TRANSIENT, "as transient too");
	is_int(one_int(other, "SELECT count(*) FROM domains WHERE ?1 = 1", 1), 3,
	       "readers are not held up");
	is_int(run_text(other, "INSERT INTO domains (name) VALUES (?1)", "six.test"), -1,
	       "a write outside a transaction waits for the lock too, then fails");
	ok(drv->classify(other) == STORE_E_TRANSIENT && !drv->in_tx(other),
	   "as transient, leaving no transaction open");
	drv->commit(st);
	is_int(drv->begin(other), 0, "after the commit the next writer gets in");
	drv->commit(other);
	is_int(drv->begin(quick), 0, "and the nowait one");
	drv->commit(quick);
out:
	close_store(other);
	close_store(quick);
}

static void test_reconnect(struct store *st)
{
	struct store *killer = open_store(1000, false);
	void *s = drv->prepare(st, "SELECT count(*) FROM domains WHERE id > ?1");
	drv->bind_int64(s, 1, 0);
	is_int(drv->step(st, s), 1, "a prepared statement runs");
	drv->reset(s);
	long long pid = one_int(st, "SELECT pg_backend_pid() + ?1", 0);
	long long killed = one_int(killer, "SELECT pg_terminate_backend(?1::integer)::integer", pid);
	is_int(killed, 1, "its connection is killed");
	drv->bind_int64(s, 1, 0);
	is_int(drv->step(st, s), 1, "the next step connects again and prepares anew");
	is_int(drv->col_int64(s, 0), 3, "with the right answer");
	drv->finalize(s);
	pid = one_int(st, "SELECT pg_backend_pid() + ?1", 0);
	one_int(killer, "SELECT pg_terminate_backend(?1::integer)::integer", pid);
	is_int(run_text(st, "INSERT INTO domains (name) VALUES (?1)", "seven.test"), 0,
	       "a write outside a transaction too (found before its write was sent)");
	is_int(one_int(st, "SELECT count(*) FROM domains WHERE name = 'seven.test' AND ?1 = 1",
	               1), 1, "once");

	is_int(drv->begin(st), 0, "a transaction");
	st->tx_depth = 1;   /* as store.c counts it */
	pid = one_int(st, "SELECT pg_backend_pid() + ?1", 0);
	one_int(killer, "SELECT pg_terminate_backend(?1::integer)::integer", pid);
	is_int(run_text(st, "INSERT INTO domains (name) VALUES (?1)", "five.test"), -1,
	       "loses its connection");
	is_int(run_text(st, "INSERT INTO domains (name) VALUES (?1)", "five.test"), -1,
	       "and is not continued on a new one");
	ok(!drv->in_tx(st), "it is over");
	st->tx_depth = 0;   /* store.c closes it without the driver */
	is_int(run_text(st, "INSERT INTO domains (name) VALUES (?1)", "five.test"), 0,
	       "once the store has closed it the handle works again");

	/* the server refuses new connections for a while (said from another
	 * database: a database cannot close itself) */
	char sql[160], db[64], other[600];
	void *q = drv->prepare(killer, "SELECT current_database()");
	snprintf(db, sizeof db, "%s", drv->step(killer, q) == 1 ? drv->col_text(q, 0) : "");
	drv->finalize(q);
	close_store(killer);
	snprintf(other, sizeof other, "%s dbname=postgres", conninfo);   /* the last wins */
	killer = calloc(1, sizeof *killer);
	if (killer == NULL || drv->open(killer, other, 1000, false) < 0)
		diag("no connection to the postgres database");
	snprintf(sql, sizeof sql, "ALTER DATABASE %s ALLOW_CONNECTIONS false", db);
	if (!is_int(drv->exec(killer, sql), 0, "the database takes no new connections"))
		diag("%s", drv->errmsg(killer));
	pid = one_int(st, "SELECT pg_backend_pid() + ?1", 0);
	one_int(killer, "SELECT pg_terminate_backend(?1::integer)::integer", pid);
	ok(one_int(st, "SELECT ?1", 1) < 0 && drv->classify(st) == STORE_E_TRANSIENT,
	   "a killed connection that cannot be made again fails, as transient");
	ok(one_int(st, "SELECT ?1", 1) < 0 && drv->classify(st) == STORE_E_TRANSIENT,
	   "and so do the calls after it meanwhile");
	snprintf(sql, sizeof sql, "ALTER DATABASE %s ALLOW_CONNECTIONS true", db);
	drv->exec(killer, sql);
	int tries = 0;
	while (one_int(st, "SELECT ?1", 1) != 1 && tries++ < 200)
		usleep(50 * 1000);   /* the back-off is at most 5 s */
	ok(tries < 200, "once the server takes connections the handle is back by itself");
	close_store(killer);
}


/* A statement of SQL with integer parameter 1 = P, not yet stepped. */
static void *prepared(struct store *st, const char *sql, long long p)
{
	void *s = drv->prepare(st, sql);
	if (s != NULL)
		drv->bind_int64(s, 1, p);
	return s;
}

/* Bytes malloc has handed out and not had back. */
static size_t heap_used(void)
{
	struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd;
}

#define STREAM_ROWS 200000
/* What a walk of STREAM_ROWS rows may hold at most at once (the whole
 * result is over 40 MB). */
#define STREAM_HEAP_MAX (2 * 1024 * 1024)

static void test_stream_memory(struct store *st)
{
	void *s = prepared(st, "SELECT g, repeat('x', 200) FROM generate_series(1, ?1) g",
	                   STREAM_ROWS);
	size_t base = heap_used(), peak = base;
	long long rows = 0, sum = 0, bytes = 0;
	int r;
	while ((r = drv->step(st, s)) == 1) {
		rows++;
		sum += drv->col_int64(s, 0);
		bytes += (long long)strlen(drv->col_text(s, 1));
		if (rows % 1000 == 0 && heap_used() > peak)
			peak = heap_used();
	}
	is_int(r, 0, "a %d-row SELECT walks to its end", STREAM_ROWS);
	ok(rows == STREAM_ROWS && sum == (long long)STREAM_ROWS * (STREAM_ROWS + 1) / 2 &&
	   bytes == 200LL * STREAM_ROWS, "every row, in order, whole (%lld rows)", rows);
	if (HEAP_SEEN)
		ok(peak - base < STREAM_HEAP_MAX,
		   "holding at most %zu bytes at once (%zu KB)", (size_t)STREAM_HEAP_MAX,
		   (peak - base) / 1024);
	else
		skip(1, "the heap is not malloc's under ASan");
	drv->finalize(s);
}

/* Steps S N times: the sum of column 0 over those rows, -1 when a step
 * was not a row. */
static long long walk_sum(struct store *st, void *s, int n)
{
	long long sum = 0;
	for (int i = 0; i < n; i++) {
		if (drv->step(st, s) != 1)
			return -1;
		sum += drv->col_int64(s, 0);
	}
	return sum;
}

static void test_stream_nested(struct store *st)
{
	void *a = prepared(st, "SELECT g, 'row ' || g FROM generate_series(1, ?1) g", 1000);
	is_int(walk_sum(st, a, 10), 55, "a walk reads its first ten rows");
	is_str(drv->col_text(a, 1), "row 10", "the tenth");
	void *b = prepared(st, "SELECT g FROM generate_series(1, ?1) g", 5);
	is_int(walk_sum(st, b, 5), 15, "another SELECT run in the middle gets its rows");
	is_int(drv->step(st, b), 0, "and its end");
	is_str(drv->col_text(a, 1), "row 10", "the first walk's row is still there");
	is_int(run_text(st, "INSERT INTO domains (name) VALUES (?1)", "nested.test"), 0,
	       "a write in the middle of the walk");
	is_int(walk_sum(st, a, 990), 500500 - 55, "the first walk goes on with the right rows");
	is_int(drv->step(st, a), 0, "to its end");
	ok(!drv->busy(a), "and is no longer busy");

	drv->reset(a);
	drv->bind_int64(a, 1, 3);
	is_int(walk_sum(st, a, 1), 1, "run again, a walk reads a row");
	is_int(drv->begin(st), 0, "a transaction begins in the middle of it");
	is_int(run_text(st, "INSERT INTO domains (name) VALUES (?1)", "nested2.test"), 0,
	       "writes");
	is_int(drv->commit(st), 0, "and commits");
	is_int(walk_sum(st, a, 2), 5, "the walk goes on");
	is_int(drv->step(st, a), 0, "to its end");
	drv->finalize(a);
	drv->finalize(b);
	is_int(one_int(st, "SELECT count(*) FROM domains WHERE name IN ('nested.test',"
	               " 'nested2.test') AND ?1 = 1", 1), 2, "both writes are there");
}

#define ABANDON_ROWS 1000000

static void test_stream_abandon(struct store *st)
{
	drv->exec(st, "CREATE SEQUENCE stream_probe");
	void *a = prepared(st, "SELECT nextval('stream_probe'), repeat('y', 1000)"
	                       " FROM generate_series(1, ?1)", ABANDON_ROWS);
	is_int(drv->step(st, a), 1, "a walk of a million rows reads its first");
	drv->reset(a);
	ok(!drv->busy(a), "is given up");
	long long made = one_int(st, "SELECT last_value FROM stream_probe WHERE ?1 = 1", 1);
	ok(made > 0 && made < ABANDON_ROWS / 2,
	   "and the server stopped making its rows (%lld of %d made)", made, ABANDON_ROWS);
	is_int(one_int(st, "SELECT ?1 + 1", 41), 42, "the connection answers the next one");

	/* in a transaction the rest is read instead: a cancel would abort it */
	is_int(drv->begin(st), 0, "a transaction");
	drv->bind_int64(a, 1, 100000);
	is_int(drv->step(st, a), 1, "a walk inside it reads a row");
	drv->reset(a);
	is_int(run_text(st, "INSERT INTO domains (name) VALUES (?1)", "abandon.test"), 0,
	       "given up, the transaction goes on");
	is_int(drv->commit(st), 0, "and commits");
	is_int(one_int(st, "SELECT count(*) FROM domains WHERE name = 'abandon.test' AND ?1 = 1",
	               1), 1, "with its write");
	drv->finalize(a);
	drv->exec(st, "DROP SEQUENCE stream_probe");
}

/* Walks S to its end: the rows before it; *R gets the last step's result. */
static long long count_rows(struct store *st, void *s, int *r)
{
	long long n = 0;
	while ((*r = drv->step(st, s)) == 1)
		n++;
	return n;
}

static void test_stream_errors(struct store *st)
{
	static const char *const divide =
	    "SELECT 1000 / (100000 - g) FROM generate_series(1, ?1) g";
	int r;
	void *a = prepared(st, divide, 200000);
	long long n = count_rows(st, a, &r);
	ok(n > 0 && n < 100000 && r == -1,
	   "a division by zero in the middle fails the walk there (%lld rows before)", n);
	is_int(drv->classify(st), STORE_E_FAILED, "as failed");
	ok(strstr(drv->errmsg(st), "division by zero") != NULL, "saying why (%s)",
	   drv->errmsg(st));
	is_int(one_int(st, "SELECT ?1", 7), 7, "the connection goes on");

	drv->reset(a);
	drv->bind_int64(a, 1, 200000);
	is_int(drv->step(st, a), 1, "the same walk again reads a row");
	is_int(one_int(st, "SELECT ?1", 8), 8, "a statement in the middle of it runs");
	n = count_rows(st, a, &r);
	ok(n > 0 && n < 100000 && r == -1, "and the walk still fails where the error is (%lld)",
	   n);
	is_int(drv->classify(st), STORE_E_FAILED, "as failed");
	drv->finalize(a);

	struct store *killer = open_store(1000, false);
	long long pid = one_int(st, "SELECT pg_backend_pid() + ?1", 0);
	a = prepared(st, "SELECT g, repeat('z', 1000) FROM generate_series(1, ?1) g", 1000000);
	is_int(drv->step(st, a), 1, "a long walk reads a row");
	is_int(one_int(killer, "SELECT pg_terminate_backend(?1::integer)::integer", pid), 1,
	       "its connection is killed");
	n = count_rows(st, a, &r);
	ok(r == -1 && n < 1000000, "the walk fails (%lld rows before)", n);
	is_int(drv->classify(st), STORE_E_TRANSIENT, "as transient");
	drv->finalize(a);
	is_int(one_int(st, "SELECT ?1", 9), 9, "the next statement connects again");
	close_store(killer);
}

/* The parent of process PID (its postmaster for a backend), or -1. */
static pid_t parent_of(pid_t pid)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	const char *end = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
	fclose(f);
	int ppid = -1;
	return end != NULL && sscanf(end + 1, " %*c %d", &ppid) == 1 ? (pid_t)ppid : -1;
}

/* Sends SIG to PID, a server process read off the database: never to a
 * group (0, -1: a failed read), which would stop the test itself. */
static void signal_pid(pid_t pid, int sig)
{
	if (pid > 1)
		kill(pid, sig);
}

/* A handle with a reply bound (store_open_loop()'s) whose server stops
 * answering: SIGSTOP its backend, as a hung server or a network that
 * drops everything would look.  Every stopped backend is continued
 * before the checks go on, or the cluster could not stop. */
static void test_stall(void)
{
	struct store *b = open_store(1000, false);
	if (b == NULL) {
		ok(false, "a second handle opens");
		return;
	}
	drv->reply_timeout(b, 300);
	is_int(one_int(b, "SELECT ?1", 1), 1, "a handle with a 300 ms reply bound answers");
	pid_t pid = (pid_t)one_int(b, "SELECT pg_backend_pid() + ?1", 0);
	if (pid <= 1 || kill(pid, SIGSTOP) < 0) {
		char why[128];
		snprintf(why, sizeof why, "cannot stop the server's backend: %s", strerror(errno));
		skip(6, why);
		close_store(b);
		return;
	}
	alarm(60);   /* a wait that is not bounded fails the test, not CI */
	long long v = one_int(b, "SELECT ?1", 2);
	signal_pid(pid, SIGCONT);
	is_int(v, 2, "its backend stalls: the read is sent again on a new connection");

	/* the whole server stalls: the new connection is not answered either */
	pid = (pid_t)one_int(b, "SELECT pg_backend_pid() + ?1", 0);
	pid_t postmaster = parent_of(pid);
	signal_pid(postmaster, SIGSTOP);
	signal_pid(pid, SIGSTOP);
	v = one_int(b, "SELECT ?1", 3);
	signal_pid(pid, SIGCONT);
	signal_pid(postmaster, SIGCONT);
	ok(v == -1 && drv->classify(b) == STORE_E_TRANSIENT,
	   "the server stalls: the read fails, as transient (%s)", drv->errmsg(b));
	int tries = 0;
	while (one_int(b, "SELECT ?1", 4) != 4 && tries++ < 200)
		usleep(50 * 1000);   /* the back-off is at most 5 s */
	ok(tries < 200, "once it answers the handle is back by itself");

	/* stalled in the middle of a walk: it fails, it does not end early.
	 * The bound is longer here: the series is made before its first row,
	 * and on a loaded machine a 300 ms bound would take that for a stall
	 * and send the walk again on another backend than PID */
	int r;
	drv->reply_timeout(b, 5000);
	pid = (pid_t)one_int(b, "SELECT pg_backend_pid() + ?1", 0);
	void *a = prepared(b, "SELECT g, repeat('z', 1000) FROM generate_series(1, ?1) g", 2000000);
	is_int(drv->step(b, a), 1, "a long walk reads a row");
	signal_pid(pid, SIGSTOP);
	long long n = count_rows(b, a, &r);
	signal_pid(pid, SIGCONT);
	ok(r == -1 && n < 2000000 && drv->classify(b) == STORE_E_TRANSIENT,
	   "the server stalls: the walk fails, as transient (%lld rows before)", n);
	drv->finalize(a);
	is_int(one_int(b, "SELECT ?1", 5), 5, "and the handle is back");
	alarm(0);
	close_store(b);
}

/* store_bound_writes(): a statement before the COMMIT is cut off at the
 * bound, the COMMIT is not (a deferred trigger makes it take 800 ms
 * against a 300 ms bound); store_bound_replies() cuts the COMMIT too. */
static void test_bound_writes(void)
{
	struct store *st = store_open_backend("postgresql", conninfo, 1000);
	ok(st != NULL, "a store handle opens");
	if (st == NULL)
		return;
	alarm(60);
	ok(drv->exec(st, "CREATE TABLE slow_commit (x int);"
	                 "CREATE FUNCTION slow_commit_f() RETURNS trigger LANGUAGE plpgsql AS"
	                 " $$ BEGIN PERFORM pg_sleep(0.8); RETURN NULL; END $$;"
	                 "CREATE CONSTRAINT TRIGGER slow_commit_t AFTER INSERT ON slow_commit"
	                 " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
	                 " EXECUTE FUNCTION slow_commit_f()") == 0,
	   "a table whose commits take 800 ms");
	store_bound_writes(st, 300);
	ok(store_begin(st) == 0 && run_text(st, "INSERT INTO slow_commit VALUES (1)", NULL) == 0,
	   "bounded writes: a transaction inserts");
	is_int(store_commit(st), 0, "its COMMIT waits past the bound and commits");
	is_int(one_int(st, "SELECT count(*) FROM slow_commit WHERE ?1 = 1", 1), 1, "the row is there");

	ok(store_begin(st) == 0, "another transaction");
	is_int(one_int(st, "SELECT ?1 FROM pg_sleep(0.8)", 7), -1,
	       "a statement before the COMMIT is cut off at the bound");
	ok(store_last_error(st) == STORE_E_TRANSIENT || drv->classify(st) == STORE_E_TRANSIENT,
	   "as transient");
	is_int(store_commit(st), -1, "and the transaction fails at once");
	int tries = 0;
	while (one_int(st, "SELECT ?1", 4) != 4 && tries++ < 200)
		usleep(50 * 1000);   /* the back-off is at most 5 s */
	ok(tries < 200, "the handle is back by itself");

	store_bound_replies(st, 300);
	store_begin(st);
	run_text(st, "INSERT INTO slow_commit VALUES (2)", NULL);
	is_int(store_commit(st), -1, "bounded replies: the slow COMMIT is cut off");
	alarm(0);
	store_close(st);
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	conninfo = getenv("EMS_TEST_PG_CONNINFO");
	if (conninfo == NULL || *conninfo == '\0')
		skip_all("EMS_TEST_PG_CONNINFO not set (t/store_pg.t runs this on a private cluster)");
	struct store *bad = calloc(1, sizeof *bad);
	ok(drv->open(bad, "host=/nonexistent port=1 dbname=x connect_timeout=2", 100, false) < 0,
	   "no server: open fails");
	drv->close(bad);
	free(bad);
	struct store *st = open_store(1000, false);
	ok(st != NULL, "opened");
	if (st == NULL)
		return exit_status();
	test_schema(st);
	test_statements(st);
	test_blobs(st);
	test_triggers(st);
	test_transactions(st);
	test_write_lock(st);
	test_reconnect(st);
	test_stream_memory(st);
	test_stream_nested(st);
	test_stream_abandon(st);
	test_stream_errors(st);
	test_stall();
	test_bound_writes();
	close_store(st);
	done_testing();
	return exit_status();
}
