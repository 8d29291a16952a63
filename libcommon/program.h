/*
 * program.h - the first lines of every ems program's main(): the common
 * parameters with the program's --help text, the stop and reload signals
 * on the event loop, and the log opened at the level the configuration
 * (or the process table) asks for.
 *
 * A program keeps its own usage text: a printf format with one "%s" where
 * params_usage (the common options) goes.
 */
#ifndef EMS_PROGRAM_H
#define EMS_PROGRAM_H

#include "config.h"
#include "evloop.h"
#include "log.h"
#include "params.h"

/* program_params()'s answer when main() is to go on. */
#define PROGRAM_GO_ON (-1)

/*
 * params_parse() into P (see params.h; *NEXT is the index of the first
 * argument left to the program).  At -h/--help prints USAGE to stdout and
 * returns 0; at a bad parameter (already reported by params_parse) prints
 * USAGE to stderr and returns 2.  Otherwise returns PROGRAM_GO_ON.  The
 * caller exits with any other answer.
 */
int program_params(struct proc_params *p, int argc, char **argv, int *next,
                   const char *usage);

/*
 * The start of a protocol worker or listener: program_params(), then
 * SIGPIPE ignored (a peer gone mid-write is an error return, not death),
 * ems.conf loaded into *CFG and the log opened as PROG at
 * program_wanted_level().  Returns PROGRAM_GO_ON, or the exit code: 0
 * after --help, 2 at a bad parameter, 1 when ems.conf did not load
 * (config_load() said why).
 */
int program_start(struct proc_params *p, int argc, char **argv, int *next,
                  const char *usage, const char *prog, struct ems_config **cfg);

/* Adds SIGTERM, SIGINT and SIGHUP to LOOP, each calling CB with ARG (CB
 * tells them apart by the number: SIGHUP reopens the log and rereads,
 * the others stop), and opens the guardian's control channel, whose
 * shutdown and refresh call CB the same way (control_chan.h).  Returns
 * 0, or -1 (logged). */
int program_add_signals(struct evloop *loop, ev_signal_cb *cb, void *arg);

/* The level log.level of CFG names; info when it names none. */
enum log_level program_config_level(const struct ems_config *cfg);

/* The level EMS_LOGLEVEL names (the process table's loglevel, set by the
 * guardian; unset, empty or "default" defer), else program_config_level(). */
enum log_level program_wanted_level(const struct ems_config *cfg);

/* log_open() as program PROG, instance INSTANCE, at LEVEL, with the node,
 * log_dir and log.syslog of CFG.  Returns log_open()'s answer: 0, or -1
 * after saying why on stderr (the log stays on stderr then). */
int program_log_open(const struct ems_config *cfg, const char *prog, int instance,
                     enum log_level level);

#endif
