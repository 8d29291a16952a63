/*
 * oomgr_migrate.c - the `migrate store` statement of oomgr:
 *
 *   migrate store to postgresql CONNINFO;
 *
 * copies the SQLite store of this configuration into the PostgreSQL
 * database CONNINFO names (a libpq connection string), with the suite
 * stopped, and checks the copy (store_migrate.h).  An interrupted run is
 * taken up again by running the statement again.  The SQLite store is
 * left as it was; ems.conf is not changed: the sentence at the end says
 * what to set.  See oomgr(8).
 */
#include "oomgr_backup.h"
#include "oomgr_admin.h"
#include "oomgr_progress.h"

#include "config.h"
#include "store_migrate.h"

#include <stdio.h>
#include <string.h>

struct shown {
	struct progress bar;
	const char *table;
	int64_t rows;      /* rows of the tables finished before TABLE */
	int64_t last;      /* TABLE's count at the last call */
};

static void show(void *ctx, const char *table, int64_t done, int64_t total, int64_t bytes)
{
	struct shown *sh = ctx;
	if (sh->table != table) {   /* a new table: its bar starts again */
		sh->rows += sh->last;
		sh->table = table;
		progress_end(&sh->bar);
		progress_start(&sh->bar, (size_t)total, "rows", "rows/s");
		if (sh->bar.tty)
			fprintf(stderr, "%s\n", table);
	}
	sh->last = done;
	progress_set(&sh->bar, (size_t)done, (size_t)total, (uint64_t)bytes);
}

int oomgr_migrate(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { NULL };
	const struct ems_config *cfg = oomgr_config(o);
	const char *to = stmt_word(st, 2), *backend = stmt_word(st, 3);
	const char *conninfo = stmt_word(st, 4);
	char problem[512];

	if (to == NULL || strcmp(to, "to") != 0 || backend == NULL ||
	    strcmp(backend, "postgresql") != 0 || conninfo == NULL ||
	    stmt_word(st, 5) != NULL)
		return oomgr_fail("Usage: migrate store to postgresql 'CONNINFO';");
	if (cfg == NULL || admin_check_params(st, known) < 0)
		return -1;
	if (strcmp(config_str(cfg, "store.backend"), "sqlite") != 0)
		return oomgr_fail("This configuration's store is already on %s: there is no "
		                  "SQLite store to migrate.", config_str(cfg, "store.backend"));
	const char *store = config_path(cfg, "store");
	if (restore_refuse_when_up(o, cfg) < 0 || restore_refuse_when_open(store) < 0)
		return -1;
	struct store *dst = store_open_backend("postgresql", conninfo,
	                                       (int)config_int(cfg, "store.busy_timeout_ms"));
	if (dst == NULL)
		return oomgr_fail("Cannot open a store in PostgreSQL with '%s' (see the "
		                  "messages above).", conninfo);
	struct shown sh = { .table = NULL };
	progress_start(&sh.bar, 0, "rows", "rows/s");
	int r = store_migrate(store, dst, config_path(cfg, "spool_dir"), show, &sh, problem,
	                      sizeof problem);
	progress_end(&sh.bar);
	store_close(dst);
	if (r < 0)
		return oomgr_fail("The migration stopped: %s.", problem);
	printf("Copied %lld rows and %.1f MB of messages from %s into PostgreSQL; every "
	       "table's count checked.\nTo run on it, set in ems.conf: store = { backend = "
	       "\"postgresql\"; conninfo = \"%s\"; }; then start the suite.\n",
	       (long long)(sh.rows + sh.last), (double)sh.bar.bytes / (1024.0 * 1024.0), store,
	       conninfo);
	return 0;
}
