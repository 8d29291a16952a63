/*
 * guardian_startstop.h - the two short-lived forms of the guardian:
 * `guardian start`, which daemonises and waits until the new guardian
 * reports its autostart processes up, and `guardian stop`, which asks the
 * running one to stop and waits until it is gone.
 */
#ifndef EMS_GUARDIAN_STARTSTOP_H
#define EMS_GUARDIAN_STARTSTOP_H

#include <stdbool.h>

struct ems_config;

/*
 * Forks the daemon.  In the daemon returns false, with *REPORT_FD the
 * pipe on which it reports "0 \n" once every autostart process is up or
 * "1 <what failed>\n".  In the calling process returns true once the
 * report (or the daemon's death) came, with *EXIT_STATUS 0 or 1 and a
 * sentence printed.  Also returns true with status 1 when a guardian
 * already runs for CFG.
 */
bool daemonise(const struct ems_config *cfg, const char *config_path,
               int *report_fd, int *exit_status);

/* Stops the guardian running for CFG and waits until it has exited.
 * Returns the exit status for main(): 0, or 1 after printing why. */
int guardian_stop(const struct ems_config *cfg, const char *config_path);

#endif
