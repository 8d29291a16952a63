/*
 * guardian_registry.h - the process registry the guardian supervises:
 * the `processes` list of ems.conf with the administrator's `set process`
 * overrides from <state_dir>/registry.conf on top, and the guardian.*
 * restart and shutdown policy.
 */
#ifndef EMS_GUARDIAN_REGISTRY_H
#define EMS_GUARDIAN_REGISTRY_H

#include "guardian_restart.h"
#include "params.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define REGISTRY_NAME_MAX      64   /* "IMAP4SRV" */
#define REGISTRY_LOGLEVEL_MAX  16
#define REGISTRY_INSTANCES_MAX 64   /* instances of one process */
#define REGISTRY_GROUPS_MAX    64   /* registered processes */

/* The process the guardian adds by itself when store.backend is
 * "postgresql" and no `processes` entry runs it (notifyrelay(8)). */
#define NOTIFYRELAY_NAME    "NOTIFYRELAY"
#define NOTIFYRELAY_PROGRAM "notifyrelay"

/* What the registry says about one instance. */
struct inst_spec {
	long flags;
	long maxclt;
	char confm[PATH_MAX];           /* "" for none */
	char loglevel[REGISTRY_LOGLEVEL_MAX];   /* "" for log.level */
	bool autostart;
	bool has_pool;                  /* pool set: the instance's own */
	struct proc_pool pool;          /* store pool size (params.h) */
};

/* One registered process: a name, a program, its instances. */
struct group_spec {
	char name[REGISTRY_NAME_MAX];
	char program[PATH_MAX];         /* as written; see spawn_resolve() */
	int stop_phase;                 /* shutdown order, see below */
	size_t ninst;
	struct inst_spec *inst;         /* ninst entries */
};

/* Orderly shutdown: the listener first (no new clients), then the
 * protocol workers (which drain their clients), then everything else. */
enum stop_phase { PHASE_LISTENER, PHASE_WORKERS, PHASE_REST, PHASE_COUNT };

struct registry {
	struct group_spec *groups;
	size_t ngroups;
	struct restart_policy restart;
	long long shutdown_timeout_ms;  /* per phase, then SIGKILL */
};

/*
 * Reads the registry from the loaded configuration CFG plus the override
 * file OVERRIDES_PATH (a missing file is no error), with NOTIFYRELAY
 * added when the store is in PostgreSQL (see above).  Returns a registry
 * the caller frees with registry_free(), or NULL after logging what is
 * wrong (file:line for a bad override).
 */
struct ems_config;
struct registry *registry_load(const struct ems_config *cfg,
                               const char *overrides_path);

void registry_free(struct registry *reg);

/* The group named NAME (case-insensitive), or NULL. */
const struct group_spec *registry_find(const struct registry *reg,
                                       const char *name);

/*
 * Records `set process NAME INSTANCE PARAM=VALUE` in OVERRIDES_PATH,
 * after checking it against REG: the process must exist, the instance be
 * in range (ignored for "instances"), PARAM one of flags, confm, maxclt,
 * loglevel, instances, autostart and VALUE valid for it.  The file is
 * replaced atomically.  Returns 0, or -1 with a sentence for the
 * administrator in ERR (also logged).
 */
int registry_set(const struct registry *reg, const char *overrides_path,
                 const char *name, int instance, const char *param,
                 const char *value, char *err, size_t errsz);

/* True when A and B run the same way (flags, maxclt, confm, loglevel,
 * pool):
 * nothing to restart on refresh.  autostart does not count. */
bool inst_spec_same_run(const struct inst_spec *a, const struct inst_spec *b);

#endif
