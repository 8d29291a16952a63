/*
 * guardian_spawn.h - starts one process instance: fork, drop privilege,
 * parameters on argv and in the environment, stdout/stderr to the
 * instance's log, parent-death signal, the open-files limit, listening
 * sockets handed over the systemd way (LISTEN_FDS), the control channel
 * (control_chan.h) on the descriptor after them, exec.
 */
#ifndef EMS_GUARDIAN_SPAWN_H
#define EMS_GUARDIAN_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SPAWN_LISTEN_MAX 16     /* sockets one instance can be handed */

struct spawn_request {
	const char *program;        /* path to exec (see spawn_resolve) */
	const char *name;           /* registry name, for the logs */
	const char *config_path;    /* ems.conf, passed as -c */
	int instance;               /* 1-based */
	long flags;
	long maxclt;
	const char *confm;          /* "" for none */
	const struct proc_pool *pool;   /* the instance's own pool, or NULL */
	const char *loglevel;       /* "" for the suite's */
	const char *log_path;       /* where stdout/stderr go */
	bool drop_privilege;        /* run as UID/GID instead of ours */
	bool no_new_privs;          /* PR_SET_NO_NEW_PRIVS before exec, and
	                               writes confined to WRITE_DIRS */
	const char *const *write_dirs;
	int nwrite_dirs;
	const char *tmp_dir;        /* SQLITE_TMPDIR of a confined child */
	uid_t uid;
	gid_t gid;
	const int *listen_fds;      /* sockets to hand over, or NULL */
	size_t nlisten;
	const char *listen_names;   /* LISTEN_FDNAMES value, or NULL */
	long nofile;                /* RLIMIT_NOFILE to set (see spawn_nofile),
	                               0 = inherit the guardian's */
};

/*
 * The open-files limit a child gets for WANT (guardian.nofile): WANT
 * itself when the hard limit allows it or the guardian may raise its
 * own hard limit to WANT (CAP_SYS_RESOURCE; it does so here), else the
 * hard limit.  Logs once per value when it has to cap.
 */
long spawn_nofile(long want);

/*
 * Forks and execs RQ.  Returns the child's pid once the exec has
 * succeeded, or -1 when fork failed or the child could not get as far as
 * exec (privilege drop, log file, exec itself); the child's reason is
 * logged and its errno is stored in *CHILD_ERRNO (0 when fork failed).
 * With a pid, *CONTROL is the guardian's end of the child's control
 * channel (close-on-exec; the caller owns it); -1 otherwise.
 */
pid_t spawn_instance(const struct spawn_request *rq, int *child_errno,
                     int *control);

/*
 * Finds PROGRAM: a path with a '/' is taken as it is; a bare name is
 * looked for first in the directory of the running guardian binary (so a
 * build tree or an installed sbin/ finds its siblings), then along PATH.
 * Writes the path into OUT (SIZE bytes).  Returns 0, or -1 (logged) when
 * no executable file was found.
 */
int spawn_resolve(const char *program, char *out, size_t size);

#endif
