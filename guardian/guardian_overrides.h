/*
 * guardian_overrides.h - <state_dir>/registry.conf, where `oomgr set
 * process` is kept.  The guardian, not the administrator, writes it
 * (libconfig would drop the comments of a hand-written ems.conf), and
 * reads it on top of ems.conf's `processes` at every start and refresh:
 *
 *   overrides = (
 *     { name = "POP3SRV"; instance = 1; maxclt = 200; flags = 64; },
 *     { name = "POP3SRV"; instance = 0; instances = 2; }   # 0: every instance
 *   );
 */
#ifndef EMS_GUARDIAN_OVERRIDES_H
#define EMS_GUARDIAN_OVERRIDES_H

#include "guardian_registry.h"

#include <stddef.h>

/*
 * Applies the overrides in PATH to REG: "instances" first (new instances
 * copy the last one's parameters), then instance 0 entries to every
 * instance, then each numbered instance.  Entries naming a process REG
 * does not have are skipped with a warning.  A missing file is no error.
 * Returns 0, or -1 (logged as file:line: what) when PATH cannot be read
 * or holds a bad value.
 */
int overrides_apply(const char *path, struct registry *reg);

/*
 * Checks PARAM=VALUE (flags, maxclt, confm, loglevel, autostart,
 * instances) and records it for NAME/INSTANCE in PATH, replacing the
 * file atomically.  Returns 0, or -1 with a sentence for the
 * administrator in ERR (also logged when the file could not be written).
 */
int overrides_set(const char *path, const char *name, int instance,
                  const char *param, const char *value, char *err,
                  size_t errsz);

#endif
