/*
 * guardian_procs.h - the guardian's process table: one entry per
 * registered process instance, its state, pid, restarts and timers, and
 * every transition between states.  The state machine is driven by
 * calls (start, stop, a child's exit, the clock); it reads no clock
 * itself: NOW is milliseconds of CLOCK_MONOTONIC passed by the caller.
 * Stops and reloads reach a child through guardian_chan.h (its control
 * channel, else a signal).
 *
 *            start                exit (unexpected)
 *   STOPPED ───────► RUNNING ─────────────────────► BACKOFF ──► RUNNING
 *      ▲               │  stop                        │ fail_count exits
 *      └── STOPPING ◄──┘  (shutdown, SIGKILL later)   ▼ in fail_window
 *                                FAILED: cool-down ──► RUNNING (each attempt
 *                                after a longer wait, up to cooldown_max; an
 *                                administrator's startup starts it at once)
 */
#ifndef EMS_GUARDIAN_PROCS_H
#define EMS_GUARDIAN_PROCS_H

#include "guardian_registry.h"
#include "guardian_restart.h"

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

/* A process counts as up once it has run this long without dying. */
#define PROCS_SETTLE_MS 500

enum inst_state { INST_STOPPED, INST_RUNNING, INST_BACKOFF, INST_STOPPING,
                  INST_FAILED };

struct instance {
	char name[REGISTRY_NAME_MAX];   /* the registered process */
	char program[PATH_MAX];
	int stop_phase;                 /* enum stop_phase */
	int order;                      /* position in the registry */
	int number;                     /* 1-based instance */
	struct inst_spec spec;          /* what it runs with */
	enum inst_state state;
	pid_t pid;                      /* 0 when not running */
	long long started_ms;
	time_t started_wall;            /* "Last Wakeup" */
	long long deadline_ms;          /* BACKOFF, FAILED: next start;
	                                   STOPPING: SIGKILL */
	unsigned restarts;
	struct restart_state history;
	bool want;                      /* should be running */
	bool drop;                      /* leaves the table once stopped */
	struct inst_spec next_spec;     /* changed spec to start with next */
	bool respawn;                   /* start with next_spec once stopped */
	char last_exit[48];             /* "exit 1", "signal 9", "exec: ..." */
};

/*
 * How the table starts a process; guardian.c supplies it (spawning needs
 * the paths, the user and the sockets).  Returns the pid, or -1 when the
 * start failed; *PERMANENT is set when retrying cannot help (program
 * missing, exec refused), so the instance goes FAILED at once.
 */
typedef pid_t (*procs_spawn_fn)(const struct instance *inst, bool *permanent,
                                char *why, size_t whysize);

/* Sets the spawn function and the restart/shutdown policy. */
void procs_init(procs_spawn_fn spawn, const struct registry *reg);

/*
 * Brings the table in line with REG for the process NAME (NULL: all):
 * new instances are added (and started when autostart and START_NEW),
 * removed ones are stopped and dropped, changed ones are restarted with
 * their new spec, the rest are left running.  Also takes over REG's
 * policy.  Returns 0 or -1 (logged; out of memory).
 */
int procs_apply(const struct registry *reg, const char *name, bool start_new,
                long long now);

/* Administrator's startup/shutdown of NAME ("all" for every process)
 * and INSTANCE (0 for every instance).  startup also clears FAILED and
 * starts at once; shutdown ends a back-off or cool-down (STOPPED).
 * Each returns the number of instances it matched (0: unknown name or
 * instance). */
int procs_startup(const char *name, int instance, long long now);
int procs_shutdown(const char *name, int instance, long long now);

/* Sends SIGHUP to the instances of NAME that have been running since
 * before SINCE (a refresh of an unchanged process rereads its own
 * configuration; one just started has read it already). */
void procs_signal_reload(const char *name, long long since);

/* A child was reaped with wait status STATUS.  Returns false when PID is
 * no child of the table. */
bool procs_child_exited(pid_t pid, int status, long long now);

/* Does what is due at NOW: restarts after backoff, the next shutdown
 * phase, SIGKILL after the shutdown timeout. */
void procs_tick(long long now);

/* When procs_tick() next has something to do, or a running instance
 * next counts as settled (procs_settled()), as of NOW; -1 for never. */
long long procs_next_deadline(long long now);

/* When IN is next started by itself (monotonic ms: BACKOFF, or FAILED
 * in its cool-down), or -1 when nothing is scheduled. */
long long procs_next_start(const struct instance *in);

/* Counts of instances: all, running, and failed. */
void procs_count(size_t *total, size_t *running, size_t *failed);

/* True when no child is running (all STOPPED/FAILED). */
bool procs_all_down(void);

/*
 * Whether the instances NAME/INSTANCE ("all"/0 for all) have settled:
 * for WANT_UP every wanted one is up (running PROCS_SETTLE_MS) or FAILED;
 * for !WANT_UP every one is down.  Returns 0 while waiting, 1 when all
 * settled well, -1 when settled with failures (listed in WHY, e.g.
 * "POP3SRV 1 (exit 1)").
 */
int procs_settled(const char *name, int instance, bool want_up,
                  long long now, char *why, size_t whysize);

/* Iterates: returns instance I (0-based) or NULL past the end. */
const struct instance *procs_at(size_t i);

/* Lower-case state name: "running", "backoff", "failed" ... */
const char *procs_state_name(enum inst_state state);

/* Frees the table (the children are not touched). */
void procs_free(void);

#endif
