/*
 * health.h - the "store is full" flag the monitor raises and the
 * delivering programs obey.
 *
 * When free disk space for the store or log directory falls under the
 * hard threshold (monitor.disk_hard_mb), the monitor creates the file
 * <run_dir>/store_full holding one line of reason; when space is back it
 * removes it.  smtpgw checks the flag before queueing a message and
 * answers a temporary failure (mailer exit 75, LMTP 451) instead of
 * failing half-way through a write the disk cannot take.  A file (not the
 * store) carries the flag because a full disk is exactly when writing the
 * store is the thing that fails.
 */
#ifndef EMS_HEALTH_H
#define EMS_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

/* Raises the flag with REASON (one line).  Returns 0, or -1 (logged). */
int health_set_store_full(const char *run_dir, const char *reason);

/* Lowers the flag (a missing flag is fine).  Returns 0, or -1 (logged). */
int health_clear_store_full(const char *run_dir);

/* True while the flag is up (one stat(2)). */
bool health_store_full(const char *run_dir);

/* Free space, in MiB, of the file system holding PATH; -1 (logged) when
 * statvfs fails. */
long long health_free_mb(const char *path);

#endif
