/* Unit tests for guardian/guardian_procs.c, the guardian's process table,
 * with real children (forked here; each waits in pause()) and a clock the
 * test moves: start order, the three shutdown phases, restart after an
 * unexpected exit, FAILED for a program that cannot start, the FAILED
 * cool-down after a crash loop (retried for ever, the wait capped at
 * cooldown_max; startup starts at once, shutdown ends it), a changed
 * instance restarted with its new parameters, a removed one dropped, and
 * SIGKILL for a child that ignores SIGTERM. */
#include "../../guardian/guardian_procs.h"
#include "log.h"
#include "tap.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_SPAWNS 64

static char spawned[MAX_SPAWNS][REGISTRY_NAME_MAX + 16];    /* "NAME/N" in start order */
static int nspawned;
static bool fail_permanently;           /* the next spawn cannot exec */
static bool ignore_term;                /* the next child ignores SIGTERM */

static pid_t fake_spawn(const struct instance *in, bool *permanent,
                        char *why, size_t whysize)
{
	pid_t pid;

	if (fail_permanently) {
		*permanent = true;
		snprintf(why, whysize, "program missing");
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		if (ignore_term)
			signal(SIGTERM, SIG_IGN);
		for (;;)
			pause();
	}
	ignore_term = false;
	snprintf(spawned[nspawned++ % MAX_SPAWNS], sizeof spawned[0], "%s/%d",
	         in->name, in->number);
	return pid;
}

static const struct instance *get(const char *name, int number)
{
	const struct instance *in;

	for (size_t i = 0; (in = procs_at(i)) != NULL; i++)
		if (strcmp(in->name, name) == 0 && in->number == number)
			return in;
	return NULL;
}

static enum inst_state state_of(const char *name, int number)
{
	const struct instance *in = get(name, number);
	return in != NULL ? in->state : (enum inst_state)-1;
}

/* Waits for the child of NAME/NUMBER to die and tells the table. */
static void reap(const char *name, int number, long long now)
{
	const struct instance *in = get(name, number);
	int status;
	pid_t pid = in != NULL ? in->pid : 0;

	if (pid > 0 && waitpid(pid, &status, 0) == pid)
		procs_child_exited(pid, status, now);
}

static struct inst_spec specs[4][2];
static struct group_spec groups[4];
static struct registry reg = {
	.groups = groups, .ngroups = 3, .shutdown_timeout_ms = 5000,
	.restart = { .backoff_initial_ms = 1000, .backoff_max_ms = 8000,
	             .cooldown_max_ms = 10000, .stable_after_ms = 60000,
	             .fail_window_ms = 60000, .fail_count = 3 },
};

static void setup_registry(void)
{
	const char *names[] = { "LISTENER", "WORKER", "REST", "EXTRA" };
	const int phases[] = { PHASE_LISTENER, PHASE_WORKERS, PHASE_REST,
	                       PHASE_REST };

	for (int g = 0; g < 4; g++) {
		snprintf(groups[g].name, sizeof groups[g].name, "%s", names[g]);
		snprintf(groups[g].program, sizeof groups[g].program, "/bin/x");
		groups[g].stop_phase = phases[g];
		groups[g].inst = specs[g];
		groups[g].ninst = g == 1 ? 2 : 1;
		for (int i = 0; i < 2; i++) {
			specs[g][i].autostart = true;
			specs[g][i].maxclt = 10;
		}
	}
}

static void test_start_and_phases(void)
{
	long long now = 1000;
	char why[256];

	is_int(procs_apply(&reg, NULL, true, now), 0, "registry applied");
	is_int(nspawned, 4, "four autostart instances started");
	is_str(spawned[0], "REST/1", "the rest start first");
	is_str(spawned[3], "LISTENER/1", "the listener starts last");
	is_int(procs_settled("all", 0, true, now + 100, why, sizeof why), 0,
	       "not settled before PROCS_SETTLE_MS");
	is_int(procs_settled("all", 0, true, now + PROCS_SETTLE_MS, why,
	                     sizeof why), 1, "settled (up) after it");
	is_int(procs_next_deadline(now), now + PROCS_SETTLE_MS,
	       "the next deadline: when they count as up");
	is_int(procs_next_deadline(now + PROCS_SETTLE_MS), -1,
	       "once all are up and nothing is due, no deadline (no busy timer)");

	now += 1000;
	is_int(procs_shutdown("all", 0, now), 4, "shutdown all matches 4");
	ok(state_of("LISTENER", 1) == INST_STOPPING &&
	   state_of("WORKER", 1) == INST_RUNNING &&
	   state_of("REST", 1) == INST_RUNNING,
	   "phase 1: only the listener gets SIGTERM");
	reap("LISTENER", 1, now);
	ok(state_of("WORKER", 1) == INST_STOPPING &&
	   state_of("WORKER", 2) == INST_STOPPING &&
	   state_of("REST", 1) == INST_RUNNING,
	   "phase 2: then the workers, the rest still runs");
	reap("WORKER", 1, now);
	ok(state_of("REST", 1) == INST_RUNNING,
	   "the rest waits for the last worker");
	reap("WORKER", 2, now);
	is_int(state_of("REST", 1), INST_STOPPING, "phase 3: the rest");
	is_int(procs_settled("all", 0, false, now, why, sizeof why), 0,
	       "not down while one is stopping");
	reap("REST", 1, now);
	ok(procs_all_down(), "everything is down");
	is_int(procs_settled("all", 0, false, now, why, sizeof why), 1,
	       "shutdown settled");
}

static void test_restart(void)
{
	long long now = 10000;
	const struct instance *in;
	pid_t old;
	char why[256];

	is_int(procs_startup("REST", 0, now), 1, "startup REST matches one");
	in = get("REST", 1);
	old = in->pid;
	kill(old, SIGKILL);
	reap("REST", 1, now + 10);
	is_int(in->state, INST_BACKOFF, "unexpected exit: BACKOFF");
	is_str(in->last_exit, "signal 9", "last exit recorded");
	is_int(procs_next_deadline(now + 10), now + 10 + 1000,
	       "restart due after backoff_initial");
	procs_tick(now + 500);
	is_int(in->state, INST_BACKOFF, "not restarted before the delay");
	procs_tick(now + 1010);
	ok(in->state == INST_RUNNING && in->pid != old && in->pid > 0,
	   "restarted with a new pid after the delay");
	is_int(in->restarts, 1, "restart counted");

	fail_permanently = true;
	procs_shutdown("REST", 0, now + 2000);
	reap("REST", 1, now + 2000);
	procs_startup("REST", 1, now + 3000);
	fail_permanently = false;
	is_int(in->state, INST_FAILED, "a program that cannot start: FAILED");
	is_int(procs_settled("REST", 0, true, now + 3000, why, sizeof why), -1,
	       "startup settles as failed");
	ok(strstr(why, "REST 1 (program missing)") != NULL,
	   "naming the instance and why: %s", why);
	is_int(procs_startup("NOSUCH", 0, now), 0, "unknown name matches none");
	is_int(procs_startup("REST", 7, now), 0, "unknown instance matches none");
}

/* Kills REST/1 and reaps it at NOW. */
static void crash_rest(long long now)
{
	kill(get("REST", 1)->pid, SIGKILL);
	reap("REST", 1, now);
}

static void test_cooldown(void)
{
	long long now = 15000;
	struct instance *in = (struct instance *)get("REST", 1);

	is_int(in->state, INST_FAILED, "REST is FAILED from the last test");
	ok(procs_next_start(in) > 0, "and its next attempt is scheduled: "
	   "FAILED for a missing program is a cool-down too");
	procs_startup("REST", 1, now);
	is_int(in->state, INST_RUNNING, "startup starts a FAILED one at once");
	is_int(in->history.exit_count, 0, "with its exit count cleared");
	crash_rest(now);
	procs_tick(now += 1000);
	crash_rest(now);
	procs_tick(now += 2000);
	crash_rest(now);
	is_int(in->state, INST_FAILED, "fail_count exits in fail_window: FAILED");
	is_int(in->history.exit_count, 3, "three exits counted");
	is_int(procs_next_start(in) - now, 4000, "the cool-down waits twice "
	       "the last delay");
	procs_tick(now + 3999);
	is_int(in->state, INST_FAILED, "nothing starts before it");
	procs_tick(now += 4000);
	is_int(in->state, INST_RUNNING, "then the guardian tries again");
	crash_rest(now);
	is_int(procs_next_start(in) - now, 8000, "each failed attempt doubles "
	       "the wait");
	procs_tick(now += 8000);
	crash_rest(now);
	is_int(procs_next_start(in) - now, 10000, "up to cooldown_max");
	procs_tick(now += 10000);
	crash_rest(now);
	ok(in->state == INST_FAILED && procs_next_start(in) - now == 10000 &&
	   in->restarts >= 3, "and goes on trying at that pace for ever");
	procs_shutdown("REST", 1, now);
	ok(in->state == INST_STOPPED && procs_next_start(in) < 0,
	   "shutdown ends the cool-down");
}

static void test_refresh(void)
{
	long long now = 20000;
	const struct instance *in;
	pid_t old;

	procs_startup("all", 0, now);
	procs_tick(now);
	in = get("WORKER", 2);
	old = in->pid;
	specs[1][1].maxclt = 99;
	reg.ngroups = 4;                        /* EXTRA is new */
	procs_apply(&reg, NULL, true, now);
	is_int(state_of("EXTRA", 1), INST_RUNNING, "a new process is started");
	is_int(in->state, INST_STOPPING, "a changed instance is restarted");
	ok(get("WORKER", 1)->state == INST_RUNNING,
	   "an unchanged one keeps running");
	reap("WORKER", 2, now);
	ok(in->state == INST_RUNNING && in->pid != old &&
	   in->spec.maxclt == 99, "it runs again with the new maxclt");

	reg.ngroups = 3;                        /* EXTRA removed */
	procs_apply(&reg, NULL, true, now);
	is_int(state_of("EXTRA", 1), INST_STOPPING, "a removed one is stopped");
	reap("EXTRA", 1, now);
	ok(get("EXTRA", 1) == NULL, "and leaves the table");
}

static void test_kill_after_timeout(void)
{
	long long now = 30000;
	const struct instance *in;
	int status;
	pid_t pid;

	procs_shutdown("LISTENER", 0, now);
	reap("LISTENER", 1, now);
	ignore_term = true;
	procs_startup("LISTENER", 0, now);
	usleep(100000);                 /* the child sets SIG_IGN */
	in = get("LISTENER", 1);
	pid = in->pid;
	procs_shutdown("LISTENER", 0, now + 1000);
	is_int(procs_next_deadline(now + 1000) <= now + 1000 + 5000, 1,
	       "a stop deadline is set");
	usleep(100000);
	ok(waitpid(pid, &status, WNOHANG) == 0, "SIGTERM was ignored");
	procs_tick(now + 1000 + 5000);
	ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	   WTERMSIG(status) == SIGKILL, "SIGKILL after shutdown_timeout");
	procs_child_exited(pid, status, now + 6000);
	is_int(in->state, INST_STOPPED, "then it is stopped");
}

int main(void)
{
	plan(51);
	log_open("test", "procs", 0, tap_tmpdir(), LOG_LVL_DEBUG, false);
	setup_registry();
	procs_init(fake_spawn, &reg);
	test_start_and_phases();
	test_restart();
	test_cooldown();
	test_refresh();
	test_kill_after_timeout();
	for (size_t i = 0; procs_at(i) != NULL; i++)
		if (procs_at(i)->pid > 0)
			kill(procs_at(i)->pid, SIGKILL);
	while (wait(NULL) > 0)
		;
	procs_free();
	return exit_status();
}
