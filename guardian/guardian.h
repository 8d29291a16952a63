/*
 * guardian.h - what the files of the guardian program share with
 * guardian.c: the clock, the registry operations behind oomgr's refresh
 * and set, and the request to stop.  Process-table state itself is in
 * guardian_procs.h.
 */
#ifndef EMS_GUARDIAN_H
#define EMS_GUARDIAN_H

#include <stdbool.h>
#include <stddef.h>

struct evloop;

/* Milliseconds of CLOCK_MONOTONIC. */
long long guardian_now(void);

/* The guardian's event loop. */
struct evloop *guardian_loop(void);

/*
 * Re-reads ems.conf and the overrides and applies them to the process
 * NAME ("all" or NULL: every process, and the restart policy).  Returns
 * 0, or -1 with a sentence for the administrator in ERR (the registry
 * in force is kept then).
 */
int guardian_refresh(const char *name, char *err, size_t errsz);

/*
 * Records `set process NAME INSTANCE PARAM=VALUE` (INSTANCE 0: every
 * instance) in the overrides file.  Returns 0, or -1 with a sentence in
 * ERR.
 */
int guardian_set(const char *name, int instance, const char *param,
                 const char *value, char *err, size_t errsz);

/* True once the guardian has begun to stop (nothing may start then). */
bool guardian_is_stopping(void);

/* Starts the orderly shutdown of every process, after which the guardian
 * exits. */
void guardian_request_stop(void);

/* Tells guardian.c that the process table may have changed: it re-arms
 * its timer, answers settled waiters and updates the systemd STATUS. */
void guardian_changed(void);

#endif
