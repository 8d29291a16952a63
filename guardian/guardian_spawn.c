/*
 * guardian_spawn.c - fork/exec of one registered process instance for
 * the guardian; see guardian_spawn.h.
 *
 * The child reports a failure before exec through a close-on-exec pipe:
 * EOF means exec succeeded, four bytes are the errno of the step that
 * failed.  So the guardian knows at once that a program is missing or
 * its log unwritable, instead of seeing a mysterious exit status 127.
 */
#include "guardian_spawn.h"

#include "guardian_landlock.h"

#include "control_chan.h"
#include "log.h"
#include "params.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Where the child parks descriptors while it moves them into place. */
#define SPAWN_FD_PARK 64

/* Environment the guardian keeps for itself: systemd's notify and
 * socket-activation variables describe the guardian, not its children. */
static const char *const guardian_only_env[] = {
	"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS",
	"LISTEN_PID", "LISTEN_FDNAMES", NULL
};

enum spawn_step { STEP_SIGNALS, STEP_FDS, STEP_LIMITS, STEP_PRIVILEGE, STEP_LOG,
                  STEP_PDEATHSIG, STEP_ENV, STEP_CONFINE, STEP_EXEC };
static const char *const step_names[] = {
	"signals", "fds", "limits", "privilege", "log", "pdeathsig", "env", "confine",
	"exec"
};

/* Child side: report STEP/ERR to the guardian and die. */
static void __attribute__((noreturn)) child_fail(int pipefd, enum spawn_step step,
                                                 int err)
{
	int msg[2] = { (int)step, err };
	ssize_t n = write(pipefd, msg, sizeof msg);

	(void)n;
	_exit(127);
}

static int reset_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Puts the listening sockets at 3, 4, ..., the control channel CONTROL
 * right after them and the report pipe *PIPEFD above all (updating
 * *PIPEFD first, so a failure can still be reported); marks every other
 * descriptor close-on-exec.  Returns 0 or -1. */
static int place_fds(const struct spawn_request *rq, int control, int *pipefd)
{
	int parked[SPAWN_LISTEN_MAX + 1];
	size_t n = rq->nlisten;
	int newpipe = fcntl(*pipefd, F_DUPFD_CLOEXEC,
	                    SPAWN_FD_PARK + SPAWN_LISTEN_MAX + 1);

	if (newpipe < 0)
		return -1;
	*pipefd = newpipe;
	for (size_t i = 0; i <= n; i++) {
		parked[i] = fcntl(i < n ? rq->listen_fds[i] : control,
		                  F_DUPFD_CLOEXEC, SPAWN_FD_PARK);
		if (parked[i] < 0)
			return -1;
	}
	/* dup2 clears close-on-exec on the copies: only these survive. */
	for (size_t i = 0; i <= n; i++)
		if (dup2(parked[i], 3 + (int)i) < 0)
			return -1;
	if (close_range(3 + (unsigned)n + 1, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return -1;
	return 0;
}

static int redirect_output(const char *log_path)
{
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int out = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	               0640);

	if (in < 0 || out < 0)
		return -1;
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(out, STDERR_FILENO) < 0)
		return -1;
	return 0;
}

long spawn_nofile(long want)
{
	static long warned;
	struct rlimit rl;

	if (want <= 0 || getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max == RLIM_INFINITY ||
	    (rlim_t)want <= rl.rlim_max)
		return want;
	/* Raising the guardian's own hard limit (its soft one stays) lets
	 * every child inherit room for WANT; it takes CAP_SYS_RESOURCE. */
	rlim_t hard = rl.rlim_max;
	rl.rlim_max = (rlim_t)want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		return want;
	if (warned != want)
		log_warn("nofile_capped", "want=%ld hard=%llu", want, (unsigned long long)hard);
	warned = want;
	return (long)hard;
}

/* The soft limit only: spawn_nofile() made sure the hard one allows it. */
static int set_nofile(const struct spawn_request *rq)
{
	struct rlimit rl;

	if (rq->nofile <= 0)
		return 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	rl.rlim_cur = (rlim_t)rq->nofile;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/* Drops to RQ's uid/gid for good, and checks that root cannot return. */
static int drop_privilege(const struct spawn_request *rq)
{
	if (!rq->drop_privilege)
		return 0;
	if (setgroups(1, &rq->gid) < 0 ||
	    setresgid(rq->gid, rq->gid, rq->gid) < 0 ||
	    setresuid(rq->uid, rq->uid, rq->uid) < 0)
		return -1;
	if (getuid() != rq->uid || geteuid() != rq->uid ||
	    getgid() != rq->gid || getegid() != rq->gid) {
		errno = EPERM;
		return -1;
	}
	if (rq->uid != 0 && setuid(0) == 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

static int set_env_long(const char *name, long value)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%ld", value);
	return setenv(name, buf, 1);
}

/* The parameter contract (params.h): the same values on argv and in the
 * environment, so a program may read either. */
static int set_environment(const struct spawn_request *rq)
{
	struct proc_params p = {
		.config_path = rq->config_path, .instance = rq->instance,
		.flags = (unsigned)rq->flags, .maxclt = (int)rq->maxclt,
		.confm = *rq->confm != '\0' ? rq->confm : NULL,
		.has_pool = rq->pool != NULL,
	};
	if (rq->pool != NULL)
		p.pool = *rq->pool;

	for (const char *const *v = guardian_only_env; *v != NULL; v++)
		unsetenv(*v);
	if (params_to_env(&p) < 0)
		return -1;
	if (*rq->loglevel != '\0' ? setenv("EMS_LOGLEVEL", rq->loglevel, 1) < 0
	                          : unsetenv("EMS_LOGLEVEL") < 0)
		return -1;
	if (set_env_long(CONTROL_FD_ENV, 3 + (long)rq->nlisten) < 0)
		return -1;
	if (rq->nlisten == 0)
		return 0;
	if (set_env_long("LISTEN_FDS", (long)rq->nlisten) < 0 ||
	    set_env_long("LISTEN_PID", (long)getpid()) < 0)
		return -1;
	if (rq->listen_names != NULL &&
	    setenv("LISTEN_FDNAMES", rq->listen_names, 1) < 0)
		return -1;
	return 0;
}

/* A client-facing child writes only to the suite's own directories;
 * SQLite's temporary files go there too. */
static int confine(const struct spawn_request *rq)
{
	if (rq->tmp_dir != NULL && setenv("SQLITE_TMPDIR", rq->tmp_dir, 1) < 0)
		return -1;
	return landlock_confine_writes(rq->write_dirs, rq->nwrite_dirs);
}

static void __attribute__((noreturn)) child_exec(const struct spawn_request *rq,
                                                 int control, int pipefd,
                                                 pid_t guardian)
{
	char inst[16], flags[32], maxclt[32], pool[48];
	const char *base = strrchr(rq->program, '/');
	char *argv[16];
	int n = 0;

	if (reset_signals() < 0)
		child_fail(pipefd, STEP_SIGNALS, errno);
	/* Own session: a Ctrl-C at the guardian's terminal reaches only the
	 * guardian, which then stops the children in order. */
	setsid();
	if (place_fds(rq, control, &pipefd) < 0)
		child_fail(pipefd, STEP_FDS, errno);
	if (set_nofile(rq) < 0)
		child_fail(pipefd, STEP_LIMITS, errno);
	if (drop_privilege(rq) < 0)
		child_fail(pipefd, STEP_PRIVILEGE, errno);
	/* No exec after this one may gain privileges (set-uid programs,
	 * file capabilities), whoever the child runs as. */
	if (rq->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(pipefd, STEP_PRIVILEGE, errno);
	/* Opened as the child's user, so the program can reopen it later. */
	if (redirect_output(rq->log_path) < 0)
		child_fail(pipefd, STEP_LOG, errno);
	/* After the uid change, which would clear it again.  A program that
	 * opens its control channel clears it: the channel's end of file
	 * then stops it in order (control_chan.h). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(pipefd, STEP_PDEATHSIG, errno);
	if (getppid() != guardian)
		_exit(0);       /* the guardian died before we got here */
	if (set_environment(rq) < 0)
		child_fail(pipefd, STEP_ENV, errno);
	/* Last, so every file the steps above opened is open already. */
	if (rq->no_new_privs && confine(rq) < 0)
		child_fail(pipefd, STEP_CONFINE, errno);
	snprintf(inst, sizeof inst, "%d", rq->instance);
	snprintf(flags, sizeof flags, "%ld", rq->flags);
	snprintf(maxclt, sizeof maxclt, "%ld", rq->maxclt);
	argv[n++] = (char *)(base != NULL ? base + 1 : rq->program);
	argv[n++] = "--instance"; argv[n++] = inst;
	argv[n++] = "--flags";    argv[n++] = flags;
	argv[n++] = "--maxclt";   argv[n++] = maxclt;
	if (*rq->confm != '\0') {
		argv[n++] = "--confm";
		argv[n++] = (char *)rq->confm;
	}
	if (rq->pool != NULL) {
		params_pool_text(rq->pool, pool, sizeof pool);
		argv[n++] = "--pool";
		argv[n++] = pool;
	}
	argv[n++] = "-c";
	argv[n++] = (char *)rq->config_path;
	argv[n] = NULL;
	execv(rq->program, argv);
	child_fail(pipefd, STEP_EXEC, errno);
}

/* Parent side: waits for exec or the child's report. */
static pid_t await_exec(const struct spawn_request *rq, pid_t pid, int pipefd,
                        int *child_errno)
{
	int msg[2];
	ssize_t n;

	do
		n = read(pipefd, msg, sizeof msg);
	while (n < 0 && errno == EINTR);
	close(pipefd);
	if (n == 0)
		return pid;
	if (n != (ssize_t)sizeof msg) {
		msg[0] = STEP_EXEC;
		msg[1] = n < 0 ? errno : EIO;
	}
	*child_errno = msg[1];
	log_error("spawn_failed", "name=%s instance=%d program=%s step=%s "
	          "error=%s", log_quote(rq->name), rq->instance,
	          log_quote(rq->program),
	          msg[0] >= 0 && msg[0] <= STEP_EXEC ? step_names[msg[0]] : "?",
	          log_quote(strerror(msg[1])));
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return -1;
}

pid_t spawn_instance(const struct spawn_request *rq, int *child_errno,
                     int *control)
{
	int pipefds[2], chan[2];
	pid_t guardian = getpid(), pid;

	*child_errno = 0;
	*control = -1;
	if (rq->nlisten > SPAWN_LISTEN_MAX) {
		log_error("spawn_too_many_sockets", "name=%s count=%zu max=%d",
		          log_quote(rq->name), rq->nlisten, SPAWN_LISTEN_MAX);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) < 0) {
		log_error("spawn_channel_failed", "error=%s",
		          log_quote(strerror(errno)));
		return -1;
	}
	if (pipe2(pipefds, O_CLOEXEC) < 0) {
		log_error("spawn_pipe_failed", "error=%s",
		          log_quote(strerror(errno)));
		close(chan[0]);
		close(chan[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_error("fork_failed", "name=%s error=%s", log_quote(rq->name),
		          log_quote(strerror(errno)));
		close(pipefds[0]);
		close(pipefds[1]);
		close(chan[0]);
		close(chan[1]);
		return -1;
	}
	if (pid == 0) {
		close(pipefds[0]);
		close(chan[0]);
		child_exec(rq, chan[1], pipefds[1], guardian);
	}
	close(pipefds[1]);
	close(chan[1]);
	pid = await_exec(rq, pid, pipefds[0], child_errno);
	if (pid < 0)
		close(chan[0]);
	else
		*control = chan[0];
	return pid;
}

static bool executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

/* Tries DIR/PROGRAM (DIR of DIRLEN bytes). */
static bool try_dir(const char *dir, size_t dirlen, const char *program,
                    char *out, size_t size)
{
	int n = snprintf(out, size, "%.*s/%s", (int)dirlen, dir, program);

	return n > 0 && (size_t)n < size && executable(out);
}

int spawn_resolve(const char *program, char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n;
	const char *path = getenv("PATH");

	if (strchr(program, '/') != NULL) {
		if ((size_t)snprintf(out, size, "%s", program) < size &&
		    executable(out))
			return 0;
		goto missing;
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash != NULL &&
		    try_dir(self, (size_t)(slash - self), program, out, size))
			return 0;
	}
	while (path != NULL && *path != '\0') {
		size_t len = strcspn(path, ":");
		if (len > 0 && try_dir(path, len, program, out, size))
			return 0;
		path += len + (path[len] == ':');
	}
missing:
	log_error("program_not_found", "program=%s", log_quote(program));
	return -1;
}
