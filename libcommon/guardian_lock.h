/*
 * guardian_lock.h - one guardian per suite: the lock file
 * <run_dir>/guardian.pid holds the guardian's pid and a POSIX record
 * lock (fcntl F_SETLK) while it runs.  The guardian takes it; `guardian
 * start|stop` and oomgr's `restore` ask who holds it.  The kernel drops the lock when the
 * process dies, however it dies, so a lock left by a guardian killed with
 * SIGKILL never blocks the next start; children never hold it (record
 * locks are not inherited across fork).
 */
#ifndef EMS_GUARDIAN_LOCK_H
#define EMS_GUARDIAN_LOCK_H

#include <sys/types.h>

#define LOCK_FILE_NAME "guardian.pid"

/*
 * Takes the lock on PATH and writes our pid into it.  Returns the file's
 * fd, which must stay open (closing any fd of the file drops the lock),
 * or -1: *HOLDER is then the pid of the guardian holding it (not logged:
 * the caller says it in a sentence), or 0 when the file could not be used
 * (logged).
 */
int lock_acquire(const char *path, pid_t *holder);

/* The pid of the process holding the lock on PATH, 0 when none does (or
 * there is no file), -1 (logged) on an error. */
pid_t lock_holder(const char *path);

#endif
