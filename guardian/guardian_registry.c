/*
 * guardian_registry.c - reads the process registry (ems.conf's
 * `processes` list and `guardian.*` policy) and lays the `set process`
 * overrides over it; see guardian_registry.h.  ems.conf's values have
 * already been checked by the config loader (libcommon/config.c, its
 * schema in config_schema.c); this file only turns them into structs.
 */
#include "guardian_registry.h"

#include "config.h"
#include "guardian_overrides.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* guardian.KEY, in seconds in ems.conf, in milliseconds here. */
static long long seconds_ms(const struct ems_config *cfg, const char *key)
{
	char path[64];

	snprintf(path, sizeof path, "guardian.%s", key);
	return config_int(cfg, path) * 1000;
}

static void read_policy(const struct ems_config *cfg, struct registry *reg)
{
	long long count = config_int(cfg, "guardian.fail_count");

	reg->restart.backoff_initial_ms = seconds_ms(cfg, "backoff_initial_s");
	reg->restart.backoff_max_ms = seconds_ms(cfg, "backoff_max_s");
	reg->restart.cooldown_max_ms = seconds_ms(cfg, "cooldown_max_s");
	reg->restart.stable_after_ms = seconds_ms(cfg, "stable_after_s");
	reg->restart.fail_window_ms = seconds_ms(cfg, "fail_window_s");
	reg->restart.fail_count = count > RESTART_FAIL_MAX ? RESTART_FAIL_MAX
	                                                   : (unsigned)count;
	reg->shutdown_timeout_ms = seconds_ms(cfg, "shutdown_timeout_s");
}

/* The shutdown phase of a process: its role, or for role "auto" guessed
 * from the program, for the suite's own listener and workers. */
static int phase_of(const char *role, const char *program)
{
	const char *base = strrchr(program, '/');

	base = base != NULL ? base + 1 : program;
	if (strcmp(role, "listener") == 0)
		return PHASE_LISTENER;
	if (strcmp(role, "worker") == 0)
		return PHASE_WORKERS;
	if (strcmp(role, "service") == 0)
		return PHASE_REST;
	if (strcmp(base, "iolistener") == 0)
		return PHASE_LISTENER;
	if (strcmp(base, "pop3srv") == 0 || strcmp(base, "imap4srv") == 0 ||
	    strcmp(base, "sievesrv") == 0)
		return PHASE_WORKERS;
	return PHASE_REST;
}

static void read_instance(const struct conf_node *e, struct inst_spec *spec)
{
	const char *level = conf_str(e, "loglevel");

	spec->flags = conf_int(e, "flags");
	spec->maxclt = conf_int(e, "maxclt");
	spec->autostart = conf_bool(e, "autostart");
	/* pool.max 0 (the default): ems.conf's store.pool */
	spec->has_pool = conf_int(e, "pool.max") > 0;
	spec->pool = (struct proc_pool){
		(unsigned)conf_int(e, "pool.min"), (unsigned)conf_int(e, "pool.max"),
		(unsigned)conf_int(e, "pool.increment"), (unsigned)conf_int(e, "pool.idle_timeout_s"),
	};
	if (spec->pool.min > spec->pool.max)
		spec->pool.min = spec->pool.max;
	snprintf(spec->confm, sizeof spec->confm, "%s", conf_str(e, "confm"));
	snprintf(spec->loglevel, sizeof spec->loglevel, "%s",
	         strcmp(level, "default") == 0 ? "" : level);
}

static int read_group(const struct conf_node *e, struct group_spec *g)
{
	int n = conf_count(e, "instances");

	snprintf(g->name, sizeof g->name, "%s", conf_str(e, "name"));
	snprintf(g->program, sizeof g->program, "%s", conf_str(e, "program"));
	g->stop_phase = phase_of(conf_str(e, "role"), g->program);
	if (n > REGISTRY_INSTANCES_MAX) {
		log_error("config", "line=%d what=%s max=%d", conf_line(e),
		          log_quote("too many instances"), REGISTRY_INSTANCES_MAX);
		return -1;
	}
	g->inst = calloc((size_t)(n ? n : 1), sizeof *g->inst);
	if (g->inst == NULL) {
		log_error("out_of_memory", "what=registry");
		return -1;
	}
	g->ninst = (size_t)n;
	for (int i = 0; i < n; i++)
		read_instance(conf_elem(e, "instances", i), &g->inst[i]);
	return 0;
}

static int check_names(const struct registry *reg)
{
	for (size_t i = 0; i < reg->ngroups; i++) {
		if (reg->groups[i].name[0] == '\0' ||
		    reg->groups[i].program[0] == '\0') {
			log_error("registry_incomplete", "entry=%zu what=%s", i + 1,
			          log_quote("each process needs name and program"));
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(reg->groups[i].name, reg->groups[j].name) == 0) {
				log_error("registry_duplicate", "name=%s",
				          log_quote(reg->groups[i].name));
				return -1;
			}
	}
	return 0;
}

/* True when a group of REG runs PROGRAM (by its base name). */
static bool runs_program(const struct registry *reg, const char *program)
{
	for (size_t i = 0; i < reg->ngroups; i++) {
		const char *base = strrchr(reg->groups[i].program, '/');
		base = base != NULL ? base + 1 : reg->groups[i].program;
		if (strcmp(base, program) == 0)
			return true;
	}
	return false;
}

/* With the store in PostgreSQL, wake-ups must cross machines: the notify
 * relay runs on every node without the administrator listing it (a
 * `processes` entry for it, with other settings, takes its place).
 * Returns 0 or -1 (logged). */
static int add_implicit(const struct ems_config *cfg, struct registry *reg)
{
	if (strcmp(config_str(cfg, "store.backend"), "postgresql") != 0 ||
	    runs_program(reg, NOTIFYRELAY_PROGRAM))
		return 0;
	struct group_spec *g = &reg->groups[reg->ngroups];
	if ((g->inst = calloc(1, sizeof *g->inst)) == NULL) {
		log_error("out_of_memory", "what=registry");
		return -1;
	}
	snprintf(g->name, sizeof g->name, "%s", NOTIFYRELAY_NAME);
	snprintf(g->program, sizeof g->program, "%s", NOTIFYRELAY_PROGRAM);
	g->stop_phase = PHASE_REST;
	g->ninst = 1;
	g->inst->autostart = true;
	reg->ngroups++;
	return 0;
}

struct registry *registry_load(const struct ems_config *cfg,
                               const char *overrides_path)
{
	const struct conf_node *root = config_root(cfg);
	int n = conf_count(root, "processes");
	struct registry *reg = calloc(1, sizeof *reg);

	/* one more group than listed, for add_implicit() */
	if (reg == NULL || n > REGISTRY_GROUPS_MAX ||
	    (reg->groups = calloc((size_t)n + 1, sizeof *reg->groups))
	    == NULL) {
		log_error(reg == NULL || n <= REGISTRY_GROUPS_MAX ? "out_of_memory"
		          : "registry_too_big", "processes=%d max=%d", n,
		          REGISTRY_GROUPS_MAX);
		registry_free(reg);
		return NULL;
	}
	read_policy(cfg, reg);
	for (int i = 0; i < n; i++, reg->ngroups++)
		if (read_group(conf_elem(root, "processes", i),
		               &reg->groups[i]) < 0)
			goto fail;
	if (add_implicit(cfg, reg) < 0 || check_names(reg) < 0 ||
	    overrides_apply(overrides_path, reg) < 0)
		goto fail;
	return reg;
fail:
	registry_free(reg);
	return NULL;
}

void registry_free(struct registry *reg)
{
	if (reg == NULL)
		return;
	for (size_t i = 0; i < reg->ngroups; i++)
		free(reg->groups[i].inst);
	free(reg->groups);
	free(reg);
}

const struct group_spec *registry_find(const struct registry *reg,
                                       const char *name)
{
	for (size_t i = 0; reg != NULL && i < reg->ngroups; i++)
		if (strcasecmp(reg->groups[i].name, name) == 0)
			return &reg->groups[i];
	return NULL;
}

int registry_set(const struct registry *reg, const char *overrides_path,
                 const char *name, int instance, const char *param,
                 const char *value, char *err, size_t errsz)
{
	const struct group_spec *g = registry_find(reg, name);

	if (g == NULL) {
		snprintf(err, errsz, "Unknown process %s: disp process lists the "
		         "registered ones.", name);
		return -1;
	}
	if (instance > 0 && (size_t)instance > g->ninst &&
	    strcasecmp(param, "instances") != 0) {
		snprintf(err, errsz, "%s has %zu instance%s, not %d; set process "
		         "%s instances=%d first.", g->name, g->ninst,
		         g->ninst == 1 ? "" : "s", instance, g->name, instance);
		return -1;
	}
	/* Stored under the registry's spelling of the name. */
	return overrides_set(overrides_path, g->name, instance, param, value,
	                     err, errsz);
}

bool inst_spec_same_run(const struct inst_spec *a, const struct inst_spec *b)
{
	return a->flags == b->flags && a->maxclt == b->maxclt &&
	       a->has_pool == b->has_pool &&
	       (!a->has_pool || memcmp(&a->pool, &b->pool, sizeof a->pool) == 0) &&
	       strcmp(a->confm, b->confm) == 0 &&
	       strcmp(a->loglevel, b->loglevel) == 0;
}
