/*
 * guardian.c - the parent of every ems process.  main() reads the
 * configuration, then either runs the suite (-F in the foreground, or
 * `start` as a daemon) or asks a running guardian to stop.  Running, it
 * prepares the directories, takes the lock, opens the control socket,
 * starts the registry's autostart processes and turns the event loop:
 * children's exits, signals, oomgr's requests and one timer drive the
 * process table (guardian_procs.c).  See guardian(8).
 *
 *   guardian.c            main, event loop, refresh/set, systemd status
 *   guardian_startstop.c  `guardian start` (daemonise) and `guardian stop`
 *   guardian_registry.c   the registry from ems.conf + registry.conf
 *   guardian_procs.c      process table and its state machine
 *   guardian_restart.c    backoff and crash-loop policy
 *   guardian_spawn.c      fork/exec of one instance
 *   guardian_chan.c       the control channel to each child (requests)
 *   guardian_control.c    the control socket oomgr talks to
 *   guardian_notify.c     sd_notify
 *   guardian_sockets.c    listening sockets handed to the listener
 *   guardian_heartbeat.c  hung children (heartbeats), their Last Wakeup
 *   guardian_standin.c    answers on the mail ports while no listener runs
 *
 * Shared with oomgr, in libcommon: the lock file (guardian_lock.c), the
 * children's user and directories (run_identity.c), the control protocol
 * (ctlproto.c).
 */
#include "guardian.h"

#include "config.h"
#include "config_find.h"
#include "evloop.h"
#include "guardian_chan.h"
#include "guardian_control.h"
#include "guardian_heartbeat.h"
#include "guardian_lock.h"
#include "guardian_notify.h"
#include "guardian_procs.h"
#include "guardian_registry.h"
#include "guardian_sockets.h"
#include "guardian_landlock.h"
#include "guardian_spawn.h"
#include "guardian_standin.h"
#include "guardian_startstop.h"
#include "run_identity.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GUARDIAN_LOG_NAME   "local_guardian"    /* <node>_local_guardian01.log */
#define OVERRIDES_NAME      "registry.conf"
#define READY_WAIT_MS       120000  /* READY=1 at the latest after this */
#define TIMER_IDLE_MS       60000   /* the timer's beat when nothing is due */
#define EXIT_USAGE          2

static struct {
	struct evloop *loop;
	struct ems_config *cfg;
	struct registry *reg;
	char config_path[PATH_MAX];
	char overrides[PATH_MAX];
	struct run_identity id;
	int lock_fd;
	bool foreground;                /* -F: a word on stderr when ready */
	bool stopping;
	bool ready;                     /* READY=1 sent, start reported */
	long long ready_deadline;
	int start_pipe;                 /* `guardian start` waits here, or -1 */
	struct listen_sockets sockets;
	uint64_t watchdog_ms;
	long long next_watchdog;
	struct ev_timer *timer;
	char status[256];               /* last STATUS= sent */
} g = { .lock_fd = -1, .start_pipe = -1 };

long long guardian_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct evloop *guardian_loop(void)
{
	return g.loop;
}

bool guardian_is_stopping(void)
{
	return g.stopping;
}

/* Spawning one instance: everything the table does not know. */

/* <log_dir>/<node>_<program><NN>.log: the file the program's own
 * log_open() writes, so its stderr and its log lines end up together. */
static int child_log_path(const struct instance *in, char *out, size_t size)
{
	const char *base = strrchr(in->program, '/');
	size_t len;

	base = base != NULL ? base + 1 : in->program;
	len = strcspn(base, ".");
	return (size_t)snprintf(out, size, "%s/%s_%.*s%02d.log",
	                        config_path(g.cfg, "log_dir"),
	                        config_path(g.cfg, "node"), (int)len, base,
	                        in->number) < size ? 0 : -1;
}

/* The directories a confined child may write to: the suite's own, the
 * spool (messages arriving) and the store's (which may lie elsewhere).
 * STORE_DIR holds the latter. */
static int write_dirs(const char *dirs[5], char *store_dir, size_t size)
{
	const char *store = config_path(g.cfg, "store");
	const char *slash = strrchr(store, '/');
	int n = 0;

	dirs[n++] = config_path(g.cfg, "state_dir");
	dirs[n++] = config_path(g.cfg, "log_dir");
	dirs[n++] = config_path(g.cfg, "run_dir");
	dirs[n++] = config_path(g.cfg, "spool_dir");
	if (slash != NULL && slash != store &&
	    (size_t)snprintf(store_dir, size, "%.*s", (int)(slash - store), store) < size)
		dirs[n++] = store_dir;
	return n;
}

static pid_t spawn_child(const struct instance *in, bool *permanent,
                         char *why, size_t whysize)
{
	char program[PATH_MAX], log_path[PATH_MAX], store_dir[PATH_MAX];
	const char *dirs[5];
	int ndirs = write_dirs(dirs, store_dir, sizeof store_dir);
	bool listener = in->stop_phase == PHASE_LISTENER;
	struct spawn_request rq = {
		.program = program, .name = in->name,
		.config_path = g.config_path, .instance = in->number,
		.flags = in->spec.flags, .maxclt = in->spec.maxclt,
		.confm = in->spec.confm, .loglevel = in->spec.loglevel,
		.pool = in->spec.has_pool ? &in->spec.pool : NULL,
		.log_path = log_path, .drop_privilege = g.id.drop,
		/* Services may run the MTA's set-group-ID sendmail (outbound);
		 * what faces clients never needs to gain a privilege. */
		.no_new_privs = in->stop_phase != PHASE_REST,
		.write_dirs = dirs, .nwrite_dirs = ndirs,
		.tmp_dir = config_path(g.cfg, "run_dir"),
		.uid = g.id.uid, .gid = g.id.gid,
		.listen_fds = listener ? g.sockets.fds : NULL,
		.nlisten = listener ? g.sockets.count : 0,
		.listen_names = listener ? g.sockets.names : NULL,
		.nofile = spawn_nofile((long)config_int(g.cfg, "guardian.nofile")),
	};
	int err, control;
	pid_t pid;

	*permanent = true;
	if (spawn_resolve(in->program, program, sizeof program) < 0) {
		snprintf(why, whysize, "program %s not found", in->program);
		return -1;
	}
	if (child_log_path(in, log_path, sizeof log_path) < 0) {
		snprintf(why, whysize, "log path too long");
		return -1;
	}
	pid = spawn_instance(&rq, &err, &control);
	if (pid > 0)
		chan_attach(pid, control);
	if (pid < 0) {
		/* A step in the child failed (exec, privilege, log): starting
		 * again will not help.  A failed fork may. */
		*permanent = err != 0;
		snprintf(why, whysize, "start: %s", err ? strerror(err)
		                                        : "fork failed");
	}
	return pid;
}

/* Registry operations behind oomgr's refresh and set. */

static struct registry *load_registry(struct ems_config **cfgp, char *err,
                                      size_t errsz)
{
	struct ems_config *cfg = config_load(g.config_path);
	struct registry *reg;

	if (cfg == NULL) {
		snprintf(err, errsz, "%s has errors (the guardian's log names "
		         "them); nothing was changed.", g.config_path);
		return NULL;
	}
	reg = registry_load(cfg, g.overrides);
	if (reg == NULL) {
		snprintf(err, errsz, "The registry in %s or %s has errors (the "
		         "guardian's log names them); nothing was changed.",
		         g.config_path, g.overrides);
		config_free(cfg);
		return NULL;
	}
	*cfgp = cfg;
	return reg;
}

static bool known_now(const char *name)
{
	const struct instance *in;

	for (size_t i = 0; (in = procs_at(i)) != NULL; i++)
		if (strcasecmp(in->name, name) == 0)
			return true;
	return false;
}

int guardian_refresh(const char *name, char *err, size_t errsz)
{
	struct ems_config *cfg;
	struct registry *reg;
	bool all = name == NULL || strcasecmp(name, "all") == 0;
	long long now = guardian_now();

	if (g.stopping) {
		snprintf(err, errsz, "The guardian is stopping.");
		return -1;
	}
	reg = load_registry(&cfg, err, errsz);
	if (reg == NULL)
		return -1;
	if (!all && registry_find(reg, name) == NULL && !known_now(name)) {
		snprintf(err, errsz, "Unknown process %s: disp process lists the "
		         "registered ones.", name);
		registry_free(reg);
		config_free(cfg);
		return -1;
	}
	log_info("registry_refresh", "name=%s", log_quote(all ? "all" : name));
	if (procs_apply(reg, all ? NULL : name, true, now) < 0) {
		snprintf(err, errsz, "Out of memory while applying the registry.");
		registry_free(reg);
		config_free(cfg);
		return -1;
	}
	/* Unchanged instances reread their own configuration and reopen
	 * their logs (logrotate's postrotate sends the guardian SIGHUP). */
	procs_signal_reload(all ? "all" : name, now);
	registry_free(g.reg);
	g.reg = reg;
	heartbeat_configure(NULL, config_int(cfg, "monitor.heartbeat_timeout_s") * 1000);
	config_free(cfg);       /* paths and user stay as at start */
	guardian_changed();
	return 0;
}

int guardian_set(const char *name, int instance, const char *param,
                 const char *value, char *err, size_t errsz)
{
	if (registry_set(g.reg, g.overrides, name, instance, param, value,
	                 err, errsz) < 0)
		return -1;
	/* A new log level reaches running instances at once, over their
	 * control channels; the others start with it. */
	if (strcmp(param, "loglevel") == 0)
		chan_request_loglevel(name, instance, value);
	return 0;
}

/* Status, readiness, timer. */

static void update_status(void)
{
	size_t total, running, failed;
	char status[sizeof g.status];

	procs_count(&total, &running, &failed);
	snprintf(status, sizeof status, "%zu processes: %zu running, %zu "
	         "failed%s", total, running, failed,
	         g.stopping ? "; stopping" : "");
	if (strcmp(status, g.status) == 0)
		return;
	snprintf(g.status, sizeof g.status, "%s", status);
	if (g.ready)
		notify_status(g.status);
}

/* `guardian start` is waiting on the pipe: tell it, then leave the
 * terminal for good.  stdout/stderr go on into the guardian's log, so a
 * crash report (or a sanitizer's) is not lost. */
static void report_start(int result, const char *why)
{
	char line[1024];
	const char *log = log_path();
	int n, in, out;

	if (g.start_pipe < 0)
		return;
	n = snprintf(line, sizeof line, "%d %s\n", result < 0 ? 1 : 0, why);
	if (write(g.start_pipe, line, (size_t)n) < 0)
		log_warn("start_report_failed", "error=%s",
		         log_quote(strerror(errno)));
	close(g.start_pipe);
	g.start_pipe = -1;
	in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	out = log != NULL ? open(log, O_WRONLY | O_APPEND | O_CLOEXEC)
	                  : open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (in >= 0)
		dup2(in, STDIN_FILENO);
	if (out >= 0) {
		dup2(out, STDOUT_FILENO);
		dup2(out, STDERR_FILENO);
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
}

static void check_ready(long long now)
{
	char why[512];
	int r;

	if (g.ready)
		return;
	r = procs_settled("all", 0, true, now, why, sizeof why);
	if (r == 0 && now < g.ready_deadline)
		return;
	if (r == 0)
		snprintf(why, sizeof why, "not every autostart process is up "
		         "after %d s", READY_WAIT_MS / 1000);
	g.ready = true;
	update_status();
	notify_ready(g.status);
	log_info("guardian_ready", "status=%s failed=%s", log_quote(g.status),
	         log_quote(why));
	if (g.foreground)
		fprintf(stderr, "guardian: %s%s%s; log %s\n", g.status,
		        r < 0 ? "; not started: " : "", r < 0 ? why : "",
		        log_path() != NULL ? log_path() : "on stderr");
	report_start(r > 0 ? 0 : -1, why);
}

static long long earliest(long long a, long long b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

static void arm_timer(long long now)
{
	long long next = earliest(procs_next_deadline(now),
	                          control_next_deadline());

	if (!g.ready)
		next = earliest(next, g.ready_deadline);
	if (g.watchdog_ms > 0)
		next = earliest(next, g.next_watchdog);
	next = earliest(next, heartbeat_next_deadline());
	next = earliest(next, standin_next_deadline());
	if (next < 0 || next - now > TIMER_IDLE_MS)
		next = now + TIMER_IDLE_MS;
	evloop_timer_set(g.timer, next > now ? (unsigned)(next - now) : 0);
}

/* True while an instance of the listener role runs (it, not the
 * guardian, accepts the clients of the mail ports then). */
static bool listener_running(void)
{
	const struct instance *in;

	for (size_t i = 0; (in = procs_at(i)) != NULL; i++)
		if (in->stop_phase == PHASE_LISTENER && in->state == INST_RUNNING)
			return true;
	return false;
}

void guardian_changed(void)
{
	long long now = guardian_now();

	standin_update(listener_running(), now);
	control_check_waiters(now);
	check_ready(now);
	update_status();
	if (g.stopping && procs_all_down()) {
		evloop_stop(g.loop);
		return;
	}
	arm_timer(now);
}

static void on_timer(struct ev_timer *t, void *arg)
{
	long long now = guardian_now();

	(void)t;
	(void)arg;
	if (g.watchdog_ms > 0 && now >= g.next_watchdog) {
		notify_watchdog();
		g.next_watchdog = now + (long long)g.watchdog_ms;
	}
	heartbeat_check(now);
	procs_tick(now);
	guardian_changed();
}

/* Signals. */

void guardian_request_stop(void)
{
	if (g.stopping)
		return;
	g.stopping = true;
	log_info("guardian_stopping", NULL);
	notify_stopping();
	procs_shutdown("all", 0, guardian_now());
	guardian_changed();
}

static void on_sigchld(void)
{
	long long now = guardian_now();
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		heartbeat_forget(pid);
		chan_forget(pid);
		if (!procs_child_exited(pid, status, now))
			log_debug("reaped_unknown", "pid=%d", (int)pid);
	}
	guardian_changed();
}

static void on_sighup(void)
{
	char err[512];

	log_reopen();
	notify_reloading();
	if (guardian_refresh("all", err, sizeof err) < 0)
		log_error("reload_failed", "reason=%s", log_quote(err));
	notify_ready(g.status);
}

static void on_signal(int signo, void *arg)
{
	(void)arg;
	switch (signo) {
	case SIGCHLD:
		on_sigchld();
		break;
	case SIGHUP:
		on_sighup();
		break;
	case SIGTERM:
	case SIGINT:
		guardian_request_stop();
		break;
	default:
		break;
	}
}

/* Running the suite. */

static int prepare(void)
{
	static const char *const dirs[] = { "run_dir", "log_dir", "state_dir", "spool_dir" };
	char lock[PATH_MAX];
	pid_t holder;

	if (identity_lookup(config_str(g.cfg, "user"), config_str(g.cfg, "group"),
	                    &g.id) < 0)
		return -1;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (prepare_dir(config_path(g.cfg, dirs[i]), 0750, &g.id) < 0)
			return -1;
	snprintf(lock, sizeof lock, "%s/%s", config_path(g.cfg, "run_dir"),
	         LOCK_FILE_NAME);
	g.lock_fd = lock_acquire(lock, &holder);
	if (g.lock_fd < 0) {
		if (holder > 0)
			fprintf(stderr, "guardian: already running (pid %d) for %s\n",
			        (int)holder, g.config_path);
		return -1;
	}
	snprintf(g.overrides, sizeof g.overrides, "%s/%s",
	         config_path(g.cfg, "state_dir"), OVERRIDES_NAME);
	return 0;
}

static int open_loop(void)
{
	static const int signals[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT };

	signal(SIGPIPE, SIG_IGN);
	g.loop = evloop_new();
	if (g.loop == NULL)
		return -1;
	chan_init(g.loop);
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
		if (evloop_add_signal(g.loop, signals[i], on_signal, NULL) < 0)
			return -1;
	g.timer = evloop_add_timer(g.loop, TIMER_IDLE_MS, false, on_timer, NULL);
	return g.timer != NULL ? 0 : -1;
}

static int run_suite(void)
{
	long long now;

	if (prepare() < 0) {
		report_start(-1, "");
		return 1;
	}
	if (log_open(config_path(g.cfg, "node"), GUARDIAN_LOG_NAME, 1,
	             config_path(g.cfg, "log_dir"),
	             (enum log_level)log_level_parse(config_str(g.cfg, "log.level")),
	             config_bool(g.cfg, "log.syslog")) < 0)
		return 1;
	log_info("guardian_starting", "config=%s pid=%d landlock_abi=%d",
	         log_quote(g.config_path), (int)getpid(), landlock_abi());
	if (landlock_abi() == 0)
		log_warn("landlock_unavailable", "error=\"the kernel has no Landlock: "
		         "the listener and workers can write wherever their user may\"");
	g.reg = registry_load(g.cfg, g.overrides);
	if (g.reg == NULL || open_loop() < 0 ||
	    sockets_open(g.cfg, g.reg, &g.sockets) < 0 ||
	    standin_open(g.loop, &g.sockets, g.cfg) < 0 ||
	    control_open(config_path(g.cfg, "run_dir"), g.id.drop, g.id.gid) < 0) {
		report_start(-1, "");
		return 1;
	}
	now = guardian_now();
	g.ready_deadline = now + READY_WAIT_MS;
	g.watchdog_ms = notify_watchdog_interval_ms();
	g.next_watchdog = now;
	heartbeat_configure(config_path(g.cfg, "run_dir"),
	                    config_int(g.cfg, "monitor.heartbeat_timeout_s") * 1000);
	procs_init(spawn_child, g.reg);
	procs_apply(g.reg, NULL, true, now);
	guardian_changed();
	evloop_run(g.loop);
	chan_close_all();
	control_close();
	standin_close();
	sockets_close(&g.sockets);
	procs_free();
	registry_free(g.reg);
	evloop_free(g.loop);
	log_info("guardian_stopped", NULL);
	if (g.foreground)
		fprintf(stderr, "guardian: stopped\n");
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: guardian [-c FILE] start | stop | -F\n"
	        "Starts, supervises and stops every process of an ems suite.\n\n"
	        "  start      daemonise; return once every autostart process is "
	        "up\n"
	        "  stop       stop the suite and the running guardian\n"
	        "  -F         run in the foreground (systemd, make run)\n"
	        "  -c FILE    configuration (default: $EMS_CONFIG, else "
	        "./run-state/ems.conf,\n"
	        "             else /etc/ems/ems.conf)\n"
	        "  --help     this text\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = NULL, *cmd = NULL;
	bool foreground = false;
	int c, status;

	while ((c = getopt_long(argc, argv, "c:F", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': conf = optarg; break;
		case 'F': foreground = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (optind < argc || foreground == (cmd != NULL) ||
	    (cmd != NULL && strcmp(cmd, "start") != 0 &&
	     strcmp(cmd, "stop") != 0)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (config_find(conf, g.config_path, sizeof g.config_path) < 0)
		return 1;
	g.cfg = config_load(g.config_path);
	if (g.cfg == NULL)
		return 1;
	if (cmd != NULL && strcmp(cmd, "stop") == 0)
		return guardian_stop(g.cfg, g.config_path);
	g.foreground = foreground;
	if (cmd != NULL && daemonise(g.cfg, g.config_path, &g.start_pipe,
	                             &status))
		return status;          /* the parent, once the suite is up */
	status = run_suite();
	config_free(g.cfg);
	return status;
}
