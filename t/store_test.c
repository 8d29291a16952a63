/*
 * store_test.c - the store a unit test runs on (store_test.h).
 */
#include "store_test.h"
#include "store.h"
#include "tap.h"

#include "pq_lib.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Room for the connection string of one store. */
#define TARGET_MAX 1024

bool test_store_pg(void)
{
	const char *b = getenv("EMS_TEST_STORE");
	return b != NULL && strcmp(b, "postgresql") == 0;
}

const char *test_store_backend(void)
{
	return test_store_pg() ? "postgresql" : "sqlite";
}

/* NAME as an SQL identifier: letters, digits and '_' ("main.db": s_main_db). */
static void schema_of(const char *name, char *out, size_t len)
{
	size_t o = 0;
	out[o++] = 's';
	out[o++] = '_';
	for (const char *p = name; *p && o + 1 < len; p++)
		out[o++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p : '_';
	out[o] = '\0';
}

/* libpq for the test's own SQL: the loader the store uses. */
static void libpq(void)
{
	char why[256];
	if (pq_lib_load(why, sizeof why) == NULL) {
		printf("Bail out! %s\n", why);
		exit(1);
	}
}

static void create_schema(const char *conninfo, const char *schema)
{
	libpq();
	char sql[200];
	PGconn *c = pq_lib->connectdb(conninfo);
	snprintf(sql, sizeof sql, "SET client_min_messages = warning;"
	         " CREATE SCHEMA IF NOT EXISTS %s", schema);
	PGresult *r = pq_lib->exec(c, sql);
	if (pq_lib->resultStatus(r) != PGRES_COMMAND_OK)
		diag("create schema %s: %s", schema, pq_lib->errorMessage(c));
	pq_lib->clear(r);
	pq_lib->finish(c);
}

/* The database the test's stores live in: EMS_TEST_PG_CONNINFO's
 * (t/store_pg.t makes one per unit), or under `make check
 * STORE=postgresql` a new one in the run's cluster (EMS_TEST_PG_DIR and
 * _PORT), one per process, so that units running side by side never
 * share a schema. */
static const char *pg_base(void)
{
	static char base[TARGET_MAX];
	const char *given = getenv("EMS_TEST_PG_CONNINFO");
	if (given != NULL && *given != '\0')
		return given;
	if (base[0] != '\0')
		return base;
	const char *dir = getenv("EMS_TEST_PG_DIR"), *port = getenv("EMS_TEST_PG_PORT");
	if (dir == NULL || *dir == '\0' || port == NULL || *port == '\0') {
		printf("Bail out! EMS_TEST_STORE=postgresql without a cluster "
		       "(EMS_TEST_PG_CONNINFO, or EMS_TEST_PG_DIR and EMS_TEST_PG_PORT)\n");
		exit(1);
	}
	char admin[TARGET_MAX], sql[96];
	snprintf(admin, sizeof admin, "host=%s port=%s dbname=postgres user=ems", dir, port);
	snprintf(sql, sizeof sql, "CREATE DATABASE unit_%ld_%ld", (long)getpid(),
	         (long)time(NULL));
	libpq();
	PGconn *c = pq_lib->connectdb(admin);
	PGresult *r = pq_lib->exec(c, sql);
	bool made = pq_lib->resultStatus(r) == PGRES_COMMAND_OK;
	if (!made)
		printf("Bail out! %s: %s\n", sql, pq_lib->errorMessage(c));
	pq_lib->clear(r);
	pq_lib->finish(c);
	if (!made)
		exit(1);
	snprintf(base, sizeof base, "host=%s port=%s dbname=%s user=ems", dir, port, sql + 16);
	return base;
}

const char *test_store_target(const char *name)
{
	static char target[TARGET_MAX];
	if (!test_store_pg()) {
		snprintf(target, sizeof target, "%s/%s", tap_tmpdir(), name);
		return target;
	}
	const char *base = pg_base();
	char schema[64];
	schema_of(name, schema, sizeof schema);
	create_schema(base, schema);
	snprintf(target, sizeof target, "%s options='-c search_path=%s'", base, schema);
	return target;
}

struct store *test_store_open(const char *name, int busy_ms)
{
	return store_open_backend(test_store_backend(), test_store_target(name), busy_ms);
}

/* The first column of the first row of SQL on NAME into OUT; 0, or -1
 * when SQL failed (OUT "" when it gave no row). */
static int raw(const char *name, const char *sql, char *out, size_t len)
{
	const char *target = test_store_target(name);
	int r = -1;
	if (out != NULL)
		out[0] = '\0';
	if (test_store_pg()) {
		libpq();
		PGconn *c = pq_lib->connectdb(target);
		PGresult *res = pq_lib->exec(c, sql);
		ExecStatusType rs = pq_lib->resultStatus(res);
		if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK)
			r = 0;
		if (r == 0 && out != NULL && pq_lib->ntuples(res) > 0 && pq_lib->nfields(res) > 0)
			snprintf(out, len, "%s", pq_lib->getvalue(res, 0, 0));
		pq_lib->clear(res);
		pq_lib->finish(c);
		return r;
	}
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	if (sqlite3_open(target, &db) == SQLITE_OK && out == NULL)
		r = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	else if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		int rc = sqlite3_step(s);
		r = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
		if (rc == SQLITE_ROW && sqlite3_column_text(s, 0))
			snprintf(out, len, "%s", (const char *)sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return r;
}

int test_raw_exec(const char *name, const char *sql)
{
	return raw(name, sql, NULL, 0);
}

long long test_raw_int(const char *name, const char *sql)
{
	char v[64];
	if (raw(name, sql, v, sizeof v) < 0 || v[0] == '\0')
		return -1;
	return strtoll(v, NULL, 10);
}

void test_raw_text(const char *name, const char *sql, char *out, size_t len)
{
	raw(name, sql, out, len);
}
