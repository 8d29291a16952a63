/* Unit test: the SQLite and PostgreSQL schemas (store_schema.c and
 * store_schema_pg.c, two descriptions of one store) have the same tables
 * with the same columns, but for the differences listed below on
 * purpose.  A migration added to one backend only fails here.  Runs
 * where the tests have a PostgreSQL database (t/store_pg.t). */
#include "store.h"
#include "store_db.h"
#include "store_test.h"
#include "log.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "table.column" of one backend only, each for a reason. */
static const char *const sqlite_only[] = {
	"message_bodies.body", "message_bodies.id",   /* one blob per message */
	NULL,
};
static const char *const pg_only[] = {
	/* 64 KiB rows: a body is never whole in one value */
	"message_chunks.data", "message_chunks.message_id", "message_chunks.seq",
	/* SQLite keeps the version in PRAGMA user_version */
	"store_version.id", "store_version.version",
	NULL,
};

#define COLS_MAX 400

struct cols {
	char *name[COLS_MAX];
	size_t n;
};

static bool listed(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

static int load(struct store *st, struct cols *c)
{
	struct store_stmt *s = store_stmt_dialect(st,
	    "SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p"
	    " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1",
	    "SELECT table_name || '.' || column_name FROM information_schema.columns"
	    " WHERE table_schema = current_schema() ORDER BY 1");
	c->n = 0;
	while (s != NULL && store_step(st, s, "columns") == STORE_ROW && c->n < COLS_MAX)
		c->name[c->n++] = strdup(store_col_str(s, 0));
	if (s != NULL)
		store_reset(s);
	return s == NULL ? -1 : 0;
}

static bool has(const struct cols *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->name[i], name) == 0)
			return true;
	return false;
}

/* Every column of A is in B, or listed in A_ONLY; says which are not. */
static int missing(const struct cols *a, const struct cols *b, const char *const *a_only,
                   const char *b_name)
{
	int n = 0;
	for (size_t i = 0; i < a->n; i++)
		if (!has(b, a->name[i]) && !listed(a_only, a->name[i])) {
			diag("%s has no column %s", b_name, a->name[i]);
			n++;
		}
	return n;
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	if (!test_store_pg())
		skip_all("needs a PostgreSQL database (EMS_TEST_STORE=postgresql)");
	char path[4096];
	snprintf(path, sizeof path, "%s/store.db", tap_tmpdir());
	struct store *sq = store_open_backend("sqlite", path, 2000);
	struct store *pg = test_store_open("schema_same", 2000);
	static struct cols a, b;   /* zeroed: freed whatever load() got to */
	ok(sq != NULL && pg != NULL, "a new store on each backend");
	if (sq == NULL || pg == NULL)
		return exit_status();
	int ra = load(sq, &a), rb = load(pg, &b);
	ok(ra == 0 && a.n > 50, "SQLite's columns (%zu)", a.n);
	ok(rb == 0 && b.n > 50, "PostgreSQL's columns (%zu)", b.n);
	is_int(missing(&a, &b, sqlite_only, "PostgreSQL"), 0,
	       "every SQLite column is in PostgreSQL's schema too");
	is_int(missing(&b, &a, pg_only, "SQLite"), 0,
	       "every PostgreSQL column is in SQLite's schema too");
	for (size_t i = 0; i < a.n; i++)
		free(a.name[i]);
	for (size_t i = 0; i < b.n; i++)
		free(b.name[i]);
	store_close(sq);
	store_close(pg);
	done_testing();
	return exit_status();
}
