/*
 * guardian_procs.c - the guardian's process table and its state machine;
 * see guardian_procs.h.  Spawning is delegated (procs_spawn_fn) and the
 * restart arithmetic lives in guardian_restart.c, so this file is only
 * about who is in which state and what happens next.
 */
#include "guardian_procs.h"

#include "guardian_chan.h"

#include "log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

static struct {
	struct instance **tab;
	size_t count, cap;
	procs_spawn_fn spawn;
	struct restart_policy restart;
	long long stop_timeout_ms;
} procs;

static const char *const state_names[] = {
	"stopped", "running", "backoff", "stopping", "failed"
};

const char *procs_state_name(enum inst_state state)
{
	return state <= INST_FAILED ? state_names[state] : "?";
}

static void take_policy(const struct registry *reg)
{
	procs.restart = reg->restart;
	procs.stop_timeout_ms = reg->shutdown_timeout_ms;
}

void procs_init(procs_spawn_fn spawn, const struct registry *reg)
{
	procs.spawn = spawn;
	take_policy(reg);
}

const struct instance *procs_at(size_t i)
{
	return i < procs.count ? procs.tab[i] : NULL;
}

static bool matches(const struct instance *in, const char *name, int number)
{
	bool all = name == NULL || strcasecmp(name, "all") == 0;

	return (all || strcasecmp(in->name, name) == 0) &&
	       (number == 0 || in->number == number);
}

/* Starting. */

static void start_instance(struct instance *in, long long now);

/* Schedules the next start of IN after DELAY: BACKOFF, or FAILED (the
 * crash-loop cool-down) when its history says so.  Every attempt is
 * logged, so the log shows the cool-down going on. */
static void schedule_restart(struct instance *in, bool was_failed,
                             long long delay, long long now)
{
	bool entering = in->history.failed && !was_failed;

	in->deadline_ms = now + delay;
	if (!in->history.failed) {
		in->state = INST_BACKOFF;
		log_warn("process_restart_scheduled", "name=%s instance=%d "
		         "last=%s exits=%u delay_ms=%lld", log_quote(in->name),
		         in->number, log_quote(in->last_exit),
		         in->history.exit_count, delay);
		return;
	}
	in->state = INST_FAILED;
	if (entering)
		log_error("process_failed", "name=%s instance=%d last=%s "
		          "exits=%u fail_count=%u window_ms=%lld "
		          "cooldown_max_ms=%lld", log_quote(in->name), in->number,
		          log_quote(in->last_exit), in->history.exit_count,
		          procs.restart.fail_count, procs.restart.fail_window_ms,
		          procs.restart.cooldown_max_ms);
	log_warn("process_cooldown", "name=%s instance=%d last=%s exits=%u "
	         "delay_ms=%lld", log_quote(in->name), in->number,
	         log_quote(in->last_exit), in->history.exit_count, delay);
}

static void exited_unexpectedly(struct instance *in, long long now)
{
	bool was_failed = in->history.failed;

	schedule_restart(in, was_failed, restart_after_exit(&procs.restart,
	                 &in->history, in->started_ms, now), now);
}

static void start_instance(struct instance *in, long long now)
{
	bool permanent = false;
	pid_t pid;

	if (in->state == INST_FAILED)
		log_info("process_cooldown_attempt", "name=%s instance=%d "
		         "exits=%u", log_quote(in->name), in->number,
		         in->history.exit_count);
	in->started_ms = now;
	in->started_wall = time(NULL);
	pid = procs.spawn(in, &permanent, in->last_exit, sizeof in->last_exit);
	if (pid > 0) {
		in->pid = pid;
		in->state = INST_RUNNING;
		log_info("process_started", "name=%s instance=%d pid=%d",
		         log_quote(in->name), in->number, (int)pid);
		return;
	}
	in->pid = 0;
	if (permanent) {  /* retrying at once cannot help: the cool-down can */
		bool was_failed = in->history.failed;
		schedule_restart(in, was_failed, restart_after_start_failure(
		                 &procs.restart, &in->history, now), now);
	} else {
		exited_unexpectedly(in, now);
	}
}

/* Stopping, in phases: listener, workers, the rest. */

static bool must_stop(const struct instance *in)
{
	return in->state == INST_RUNNING && (!in->want || in->respawn);
}

static void send_term(struct instance *in, long long now)
{
	in->state = INST_STOPPING;
	in->deadline_ms = now + procs.stop_timeout_ms;
	log_info("process_stopping", "name=%s instance=%d pid=%d",
	         log_quote(in->name), in->number, (int)in->pid);
	chan_stop(in->pid);
}

/* Stops what must stop, one phase at a time: nothing of a later phase
 * gets SIGTERM while an earlier phase is still stopping. */
static void advance_stops(long long now)
{
	int phase = PHASE_COUNT;

	for (size_t i = 0; i < procs.count; i++) {
		const struct instance *in = procs.tab[i];
		if ((must_stop(in) || in->state == INST_STOPPING) &&
		    in->stop_phase < phase)
			phase = in->stop_phase;
	}
	for (size_t i = 0; i < procs.count; i++) {
		struct instance *in = procs.tab[i];
		if (must_stop(in) && in->stop_phase == phase)
			send_term(in, now);
	}
}

static void remove_at(size_t i)
{
	free(procs.tab[i]);
	memmove(procs.tab + i, procs.tab + i + 1,
	        (procs.count - i - 1) * sizeof procs.tab[0]);
	procs.count--;
}

/* After an instance came to rest: drop it, start it with its new spec,
 * or leave it. */
static void settle_stopped(size_t i, long long now)
{
	struct instance *in = procs.tab[i];

	if (in->drop) {
		log_info("process_removed", "name=%s instance=%d",
		         log_quote(in->name), in->number);
		remove_at(i);
		return;
	}
	if (in->respawn) {
		in->respawn = false;
		in->spec = in->next_spec;
		restart_reset(&in->history);
		if (in->want)
			start_instance(in, now);
	}
}

/* Table maintenance. */

static struct instance *find(const char *name, int number)
{
	for (size_t i = 0; i < procs.count; i++)
		if (strcasecmp(procs.tab[i]->name, name) == 0 &&
		    procs.tab[i]->number == number)
			return procs.tab[i];
	return NULL;
}

static struct instance *add_instance(const struct group_spec *g, int number)
{
	struct instance *in;

	if (procs.count == procs.cap) {
		size_t cap = procs.cap ? procs.cap * 2 : 32;
		struct instance **tab = realloc(procs.tab, cap * sizeof *tab);
		if (tab == NULL)
			goto oom;
		procs.tab = tab;
		procs.cap = cap;
	}
	in = calloc(1, sizeof *in);
	if (in == NULL)
		goto oom;
	snprintf(in->name, sizeof in->name, "%s", g->name);
	in->number = number;
	in->spec = g->inst[number - 1];
	in->want = in->spec.autostart;
	procs.tab[procs.count++] = in;
	return in;
oom:
	log_error("out_of_memory", "what=process_table");
	return NULL;
}

/* Takes the registry's word for IN: program, phase, spec. */
static void update_instance(struct instance *in, const struct group_spec *g,
                            const struct inst_spec *spec, int order)
{
	bool program_changed = strcmp(in->program, g->program) != 0 &&
	                       in->program[0] != '\0';
	bool running = in->state == INST_RUNNING ||
	               in->state == INST_STOPPING;

	snprintf(in->program, sizeof in->program, "%s", g->program);
	in->stop_phase = g->stop_phase;
	in->order = order;
	in->drop = false;
	if (running && (program_changed ||
	                !inst_spec_same_run(&in->spec, spec))) {
		in->next_spec = *spec;
		in->respawn = true;
		log_info("process_changed", "name=%s instance=%d",
		         log_quote(in->name), in->number);
	} else if (running) {
		in->spec.autostart = spec->autostart;
	} else {
		in->spec = *spec;
	}
}

static int by_order(const void *a, const void *b)
{
	const struct instance *x = *(struct instance *const *)a;
	const struct instance *y = *(struct instance *const *)b;

	return x->order != y->order ? (x->order > y->order) - (x->order < y->order)
	                            : x->number - y->number;
}

/* Marks instances of NAME no longer in REG for removal. */
static void drop_missing(const struct registry *reg, const char *name,
                         long long now)
{
	for (size_t i = procs.count; i-- > 0;) {
		struct instance *in = procs.tab[i];
		const struct group_spec *g = registry_find(reg, in->name);
		if (!matches(in, name, 0) ||
		    (g != NULL && (size_t)in->number <= g->ninst))
			continue;
		in->want = false;
		in->drop = true;
		if (in->state != INST_RUNNING && in->state != INST_STOPPING)
			settle_stopped(i, now);
	}
}

/* Starts the wanted, stopped instances of NAME in reverse stop order:
 * the rest, the workers, then the listener. */
static void start_wanted(const char *name, int number, long long now)
{
	for (int phase = PHASE_COUNT - 1; phase >= 0; phase--)
		for (size_t i = 0; i < procs.count; i++) {
			struct instance *in = procs.tab[i];
			if (in->stop_phase == phase && in->want && !in->drop &&
			    in->state == INST_STOPPED &&
			    matches(in, name, number))
				start_instance(in, now);
		}
}

int procs_apply(const struct registry *reg, const char *name, bool start_new,
                long long now)
{
	take_policy(reg);
	for (size_t gi = 0; gi < reg->ngroups; gi++) {
		const struct group_spec *g = &reg->groups[gi];
		if (name != NULL && strcasecmp(name, "all") != 0 &&
		    strcasecmp(name, g->name) != 0)
			continue;
		for (size_t n = 1; n <= g->ninst; n++) {
			struct instance *in = find(g->name, (int)n);
			if (in == NULL && (in = add_instance(g, (int)n)) == NULL)
				return -1;
			update_instance(in, g, &g->inst[n - 1],
			                (int)(gi * REGISTRY_INSTANCES_MAX + n));
		}
	}
	drop_missing(reg, name, now);
	qsort(procs.tab, procs.count, sizeof procs.tab[0], by_order);
	advance_stops(now);
	if (start_new)
		start_wanted(name, 0, now);
	return 0;
}

/* Administrator's commands. */

int procs_startup(const char *name, int number, long long now)
{
	int matched = 0;

	for (size_t i = 0; i < procs.count; i++) {
		struct instance *in = procs.tab[i];
		if (!matches(in, name, number) || in->drop)
			continue;
		matched++;
		in->want = true;
		if (in->state == INST_FAILED) {
			in->state = INST_STOPPED;
			restart_reset(&in->history);
		} else if (in->state == INST_BACKOFF) {
			in->state = INST_STOPPED;
		} else if (in->state == INST_STOPPING && !in->respawn) {
			in->next_spec = in->spec;
			in->respawn = true;
		}
	}
	start_wanted(name, number, now);
	return matched;
}

int procs_shutdown(const char *name, int number, long long now)
{
	int matched = 0;

	for (size_t i = 0; i < procs.count; i++) {
		struct instance *in = procs.tab[i];
		if (!matches(in, name, number))
			continue;
		matched++;
		in->want = false;
		in->respawn = false;
		/* Stopped by hand: no more attempts, nor a cool-down. */
		if (in->state == INST_BACKOFF || in->state == INST_FAILED)
			in->state = INST_STOPPED;
	}
	advance_stops(now);
	return matched;
}

void procs_signal_reload(const char *name, long long since)
{
	for (size_t i = 0; i < procs.count; i++) {
		struct instance *in = procs.tab[i];
		if (matches(in, name, 0) && in->state == INST_RUNNING &&
		    !in->respawn && in->started_ms < since &&
		    chan_reload(in->pid) == 0)
			log_info("process_reload_signalled", "name=%s instance=%d "
			         "pid=%d", log_quote(in->name), in->number,
			         (int)in->pid);
	}
}

/* Events. */

static void describe_exit(struct instance *in, int status)
{
	if (WIFSIGNALED(status))
		snprintf(in->last_exit, sizeof in->last_exit, "signal %d",
		         WTERMSIG(status));
	else
		snprintf(in->last_exit, sizeof in->last_exit, "exit %d",
		         WEXITSTATUS(status));
}

bool procs_child_exited(pid_t pid, int status, long long now)
{
	size_t i;
	struct instance *in;

	for (i = 0; i < procs.count && procs.tab[i]->pid != pid; i++)
		;
	if (i == procs.count)
		return false;
	in = procs.tab[i];
	in->pid = 0;
	describe_exit(in, status);
	if (in->state == INST_STOPPING || !in->want) {
		in->state = INST_STOPPED;
		log_info("process_stopped", "name=%s instance=%d pid=%d how=%s",
		         log_quote(in->name), in->number, (int)pid,
		         log_quote(in->last_exit));
		settle_stopped(i, now);
	} else {
		log_warn("process_died", "name=%s instance=%d pid=%d how=%s "
		         "uptime_ms=%lld", log_quote(in->name), in->number,
		         (int)pid, log_quote(in->last_exit), now - in->started_ms);
		exited_unexpectedly(in, now);
	}
	advance_stops(now);
	return true;
}

/* BACKOFF, or FAILED in its cool-down: a start is due at deadline_ms. */
static bool waiting_restart(const struct instance *in)
{
	return (in->state == INST_BACKOFF || in->state == INST_FAILED) &&
	       in->want && !in->drop;
}

void procs_tick(long long now)
{
	for (size_t i = 0; i < procs.count; i++) {
		struct instance *in = procs.tab[i];
		if (waiting_restart(in) && in->deadline_ms <= now) {
			in->restarts++;
			start_instance(in, now);
		} else if (in->state == INST_STOPPING && in->deadline_ms >= 0 &&
		           in->deadline_ms <= now) {
			log_warn("process_stop_timeout", "name=%s instance=%d "
			         "pid=%d action=SIGKILL", log_quote(in->name),
			         in->number, (int)in->pid);
			kill(in->pid, SIGKILL);
			in->deadline_ms = -1;
		}
	}
	advance_stops(now);
}

long long procs_next_start(const struct instance *in)
{
	return waiting_restart(in) ? in->deadline_ms : -1;
}

static long long earliest(long long a, long long b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

long long procs_next_deadline(long long now)
{
	long long next = -1;

	for (size_t i = 0; i < procs.count; i++) {
		const struct instance *in = procs.tab[i];
		if (waiting_restart(in) ||
		    (in->state == INST_STOPPING && in->deadline_ms >= 0))
			next = earliest(next, in->deadline_ms);
		else if (in->state == INST_RUNNING && in->started_ms + PROCS_SETTLE_MS > now)
			/* when it counts as up, for procs_settled() waiters; once
			 * past, no deadline (else the timer would fire at once,
			 * forever) */
			next = earliest(next, in->started_ms + PROCS_SETTLE_MS);
	}
	return next;
}

/* Queries. */

void procs_count(size_t *total, size_t *running, size_t *failed)
{
	*total = procs.count;
	*running = *failed = 0;
	for (size_t i = 0; i < procs.count; i++) {
		*running += procs.tab[i]->state == INST_RUNNING;
		*failed += procs.tab[i]->state == INST_FAILED;
	}
}

bool procs_all_down(void)
{
	for (size_t i = 0; i < procs.count; i++)
		if (procs.tab[i]->pid != 0)
			return false;
	return true;
}

static void append_failure(char *why, size_t size, const struct instance *in)
{
	size_t len = strlen(why);

	if (len < size)
		snprintf(why + len, size - len, "%s%s %d (%s)", len ? ", " : "",
		         in->name, in->number,
		         in->last_exit[0] ? in->last_exit : "not started");
}

int procs_settled(const char *name, int number, bool want_up, long long now,
                  char *why, size_t whysize)
{
	bool failed = false;

	why[0] = '\0';
	for (size_t i = 0; i < procs.count; i++) {
		const struct instance *in = procs.tab[i];
		if (!matches(in, name, number))
			continue;
		if (!want_up) {
			if (in->state == INST_RUNNING || in->state == INST_STOPPING)
				return 0;
			continue;
		}
		if (!in->want || in->drop)
			continue;
		if (in->state == INST_FAILED) {
			failed = true;
			append_failure(why, whysize, in);
		} else if (in->state != INST_RUNNING || in->respawn ||
		           now - in->started_ms < PROCS_SETTLE_MS) {
			return 0;
		}
	}
	return failed ? -1 : 1;
}

void procs_free(void)
{
	for (size_t i = 0; i < procs.count; i++)
		free(procs.tab[i]);
	free(procs.tab);
	memset(&procs, 0, sizeof procs);
}
