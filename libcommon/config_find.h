/*
 * config_find.h - which ems.conf an administrator's command means when it
 * is not told (guardian, oomgr).  In order:
 *
 *   1. the file given with -c,
 *   2. $EMS_CONFIG,
 *   3. ./run-state/ems.conf when it exists: in a source tree while
 *      `make run` is up, the tools find that suite with no flags,
 *   4. /etc/ems/ems.conf (PARAMS_DEFAULT_CONFIG), the installed one.
 *
 * Programs the guardian starts get -c and EMS_CONFIG, so they never need
 * this.
 */
#ifndef EMS_CONFIG_FIND_H
#define EMS_CONFIG_FIND_H

#include <stddef.h>

/* The development suite's configuration, relative to the current
 * directory (mk/run.sh writes it). */
#define CONFIG_FIND_DEV "run-state/ems.conf"

/*
 * Writes the chosen path, made absolute when the file exists (the
 * guardian passes it to its children and may change directory), into
 * OUT of SIZE bytes.  GIVEN is the -c argument or NULL.  Returns 0, or -1
 * (logged) when the path does not fit.
 */
int config_find(const char *given, char *out, size_t size);

#endif
