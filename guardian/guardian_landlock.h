/*
 * guardian_landlock.h - confines where a child may write, with Landlock
 * (Linux 5.13 and later): once confined, a process may create, write,
 * truncate, rename or remove files only beneath the directories it was
 * given, whatever the file permissions would allow.  Reading is left
 * alone.  The guardian confines the listener and the workers, the
 * processes that talk to clients, to the state, log and run directories
 * and the store's; a kernel without Landlock leaves them unconfined,
 * which the guardian logs once at start.
 */
#ifndef GUARDIAN_LANDLOCK_H
#define GUARDIAN_LANDLOCK_H

/* The kernel's Landlock ABI version, 0 when it has none (or it is
 * disabled). */
int landlock_abi(void);

/*
 * In the child, after PR_SET_NO_NEW_PRIVS: from now on this process and
 * everything it executes may write only beneath the NDIRS directories of
 * DIRS (one that does not exist is left out).  Returns 0, also without
 * doing anything when landlock_abi() is 0; -1 with errno set when the
 * kernel refused a step.
 */
int landlock_confine_writes(const char *const *dirs, int ndirs);

#endif
