/*
 * oomgr.h - what oomgr's statement handlers share: the session (which
 * configuration, where the guardian's socket is, --json) and the one way
 * to report a failed statement.
 */
#ifndef EMS_OOMGR_H
#define EMS_OOMGR_H

#include "oomgr_cmd.h"

#include <limits.h>
#include <stdbool.h>

struct ems_config;

struct oomgr {
	char config_path[PATH_MAX];     /* the file found (see oomgr(8)) */
	struct ems_config *cfg;             /* loaded on first need */
	bool json;                      /* --json */
};

/* The configuration, loaded on first use.  Returns NULL after printing
 * why it could not be loaded. */
const struct ems_config *oomgr_config(struct oomgr *o);

/* Prints the sentence FMT... on stderr and returns -1: the result of a
 * failed statement. */
int oomgr_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Statement handlers: each returns 0 when the statement succeeded, -1
 * when it failed (after saying why on stderr). */
int oomgr_startup(struct oomgr *o, const struct oomgr_stmt *st);
int oomgr_shutdown(struct oomgr *o, const struct oomgr_stmt *st);
int oomgr_refresh(struct oomgr *o, const struct oomgr_stmt *st);
int oomgr_disp_process(struct oomgr *o, const struct oomgr_stmt *st);
int oomgr_set_process(struct oomgr *o, const struct oomgr_stmt *st);
/* disp stats [NAME] | NAME history [counter=C] [period=hour|day]
 * (oomgr_stats.c) */
int oomgr_disp_stats(struct oomgr *o, const struct oomgr_stmt *st);

#endif
