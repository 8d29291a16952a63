/* Unit tests for guardian/guardian_registry.c, the process table read
 * from ems.conf: with the store in PostgreSQL the notify relay is
 * registered without a processes entry (once: an entry running it takes
 * its place), not with SQLite; an instance's pool group is read, and
 * counts as a change of how it runs. */
#include "../../guardian/guardian_registry.h"
#include "config.h"
#include "log.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

static struct registry *load(const char *text)
{
	char path[600];
	snprintf(path, sizeof path, "%s/ems.conf", tap_tmpdir());
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	struct ems_config *cfg = config_load(path);
	if (cfg == NULL)
		return NULL;
	snprintf(path, sizeof path, "%s/registry.conf", tap_tmpdir());
	struct registry *reg = registry_load(cfg, path);
	config_free(cfg);
	return reg;
}

#define IMAP "processes = ( { name = \"IMAP4SRV\"; program = \"imap4srv\"; " \
             "instances = ( { pool = { min = 2; max = 6; increment = 2; " \
             "idle_timeout_s = 9; }; }, { } ); } );\n"

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	struct registry *reg = load(IMAP);
	ok(reg != NULL && reg->ngroups == 1 && registry_find(reg, NOTIFYRELAY_NAME) == NULL,
	   "with SQLite (the default) no notify relay is registered");
	const struct group_spec *g = reg ? registry_find(reg, "IMAP4SRV") : NULL;
	ok(g != NULL && g->ninst == 2 && g->inst[0].has_pool && g->inst[0].pool.min == 2 &&
	   g->inst[0].pool.max == 6 && g->inst[0].pool.increment == 2 &&
	   g->inst[0].pool.idle_timeout_s == 9, "an instance's pool group is read");
	ok(g != NULL && !g->inst[1].has_pool, "  one without takes store.pool");
	ok(g != NULL && !inst_spec_same_run(&g->inst[0], &g->inst[1]),
	   "  a different pool is a different way to run");
	registry_free(reg);

	reg = load("store = { backend = \"postgresql\"; };\n" IMAP);
	g = reg ? registry_find(reg, NOTIFYRELAY_NAME) : NULL;
	ok(reg != NULL && reg->ngroups == 2 && g != NULL && g->ninst == 1 &&
	   g->inst[0].autostart && strcmp(g->program, "notifyrelay") == 0,
	   "with PostgreSQL the guardian registers NOTIFYRELAY itself");
	registry_free(reg);

	reg = load("store = { backend = \"postgresql\"; };\n"
	           "processes = ( { name = \"Relay\"; program = \"/opt/ems/notifyrelay\"; "
	           "instances = ( { autostart = false; } ); } );\n");
	ok(reg != NULL && reg->ngroups == 1 && registry_find(reg, "Relay") != NULL,
	   "  an entry of its own takes its place");
	registry_free(reg);
	done_testing();
	return exit_status();
}
