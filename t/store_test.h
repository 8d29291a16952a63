/*
 * store_test.h - the store a unit test runs on: an SQLite file in the
 * test's temporary directory, or, with EMS_TEST_STORE=postgresql, a
 * PostgreSQL store in the database EMS_TEST_PG_CONNINFO names
 * (t/store_pg.t sets both; each NAME is a schema of its own there, so a
 * test may keep several stores apart as it keeps files apart).
 */
#ifndef EMS_STORE_TEST_H
#define EMS_STORE_TEST_H

#include <stdbool.h>
#include <stddef.h>

struct store;

/* True when the tests run on PostgreSQL. */
bool test_store_pg(void);

/* "sqlite" or "postgresql": store.backend of the tests. */
const char *test_store_backend(void);

/* The target of store NAME for store_open_backend(): a path in the test's
 * temporary directory, or a connection string (a static buffer, valid
 * until the next call).  On PostgreSQL the schema NAME is created first. */
const char *test_store_target(const char *name);

/* Opens store NAME (see above) with BUSY_MS; NULL after logging why. */
struct store *test_store_open(const char *name, int busy_ms);

/* SQL on store NAME from a connection of its own (as another process or
 * an older ems would): test_raw_exec() returns 0 or -1; test_raw_int()
 * the first column of the first row, -1 when none; test_raw_text() puts
 * it in OUT ("" when none). */
int test_raw_exec(const char *name, const char *sql);
long long test_raw_int(const char *name, const char *sql);
void test_raw_text(const char *name, const char *sql, char *out, size_t len);

#endif
