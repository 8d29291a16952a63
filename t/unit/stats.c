/* Unit tests for libcommon/stats.c: counts made by one process are seen
 * by another through the segment, the XTND STATS arithmetic (min, max,
 * connections), heartbeats, log-level requests and clean-up. */
#include "tap.h"
#include "evloop.h"
#include "log.h"
#include "stats.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct seen {
	int count;
	char first[STATS_NAME_MAX];
};

static int each_seen(const struct stats_snapshot *s, void *ctx)
{
	struct seen *seen = ctx;
	if (seen->count++ == 0)
		snprintf(seen->first, sizeof seen->first, "%s", s->program);
	return 0;
}

static void on_quit(struct ev_timer *t, void *arg)
{
	(void)t;
	evloop_stop(arg);
}

/* A child that counts, then waits for the parent to read. */
static pid_t counting_child(const char *run, int ready_fd, int go_fd)
{
	pid_t pid = fork();
	char c;
	if (pid != 0)
		return pid;
	stats_inc(STAT_LOGINS);        /* before open: carried over */
	if (stats_open(run, "pop3srv", 2) < 0)
		_exit(1);
	stats_conn_open();
	stats_conn_open();
	stats_conn_close(true);
	stats_retrieved(300);
	stats_retrieved(100);
	stats_retrieved(200);
	stats_inc(STAT_AUTH_FAILURES);
	stats_imap_command("fetch");
	stats_imap_command("Fetch");
	stats_imap_command("XYZZY");
	stats_wakeup();
	if (write(ready_fd, "r", 1) != 1 || read(go_fd, &c, 1) != 1)
		_exit(1);
	stats_close();
	_exit(0);
}

static void test_cross_process(const char *run)
{
	int ready[2], go[2];
	char c;
	struct stats_snapshot s;
	if (pipe(ready) < 0 || pipe(go) < 0)
		return;
	pid_t pid = counting_child(run, ready[1], go[0]);
	ok(read(ready[0], &c, 1) == 1, "the child counted");
	ok(stats_read(run, pid, &s) == 0, "its segment can be read");
	is_str(s.program, "pop3srv", "program name");
	is_int(s.instance, 2, "instance number");
	is_int((long long)s.values[STAT_CONN_CURRENT], 1, "one connection still open");
	is_int((long long)s.values[STAT_CONN_TOTAL], 2, "two connections in all");
	is_int((long long)s.values[STAT_CONN_MAX], 2, "at most two at once");
	is_int((long long)s.values[STAT_DISC_NORMAL], 1, "one normal disconnect");
	is_int((long long)s.values[STAT_RETR_MESSAGES], 3, "three messages retrieved");
	is_int((long long)s.values[STAT_RETR_OCTETS], 600, "600 octets retrieved");
	is_int((long long)s.values[STAT_RETR_MIN], 100, "smallest 100");
	is_int((long long)s.values[STAT_RETR_MAX], 300, "largest 300");
	is_int((long long)s.values[STAT_LOGINS], 1, "a count made before open is kept");
	is_int((long long)s.values[STAT_AUTH_FAILURES], 1, "one auth failure");
	int fetch = stats_counter_find("imap_fetch");
	int other = stats_counter_find("imap_other");
	ok(fetch > 0 && s.values[fetch] == 2, "FETCH counted in any case");
	ok(other > 0 && s.values[other] == 1, "an unknown command counts as other");
	ok(s.wakeup > 0, "the last wakeup is recorded");
	ok(s.heartbeat_interval_ms == 0, "no heartbeat unless started");

	struct seen seen = { 0, "" };
	is_int(stats_each(run, each_seen, &seen), 1, "stats_each visits the live segment");
	is_str(seen.first, "pop3srv", "and gives its program");

	if (write(go[1], "g", 1) != 1)
		return;
	int status;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child exited cleanly");
	ok(stats_read(run, pid, &s) < 0, "stats_close removed the segment");
	close(ready[0]); close(ready[1]); close(go[0]); close(go[1]);
}

static void test_heartbeat(const char *run)
{
	struct stats_snapshot s;
	struct evloop *loop = evloop_new();
	log_set_level(LOG_LVL_INFO);
	ok(stats_open(run, "postman", 1) == 0, "segment opened in this process");
	ok(stats_heartbeat_start(loop, 10) == 0, "heartbeat timer added");
	stats_read(run, getpid(), &s);
	int64_t first = s.heartbeat_ms;
	ok(first > 0 && s.heartbeat_interval_ms == 10, "heartbeat stamped at start");
	evloop_add_timer(loop, 50, false, on_quit, loop);
	evloop_run(loop);
	stats_read(run, getpid(), &s);
	ok(s.heartbeat_ms > first, "the timer stamps it again");
	stats_set(STAT_QUEUE_DEPTH, 7);
	stats_latency(40);
	stats_latency(20);
	is_int((long long)stats_get(STAT_LATENCY_MAX_MS), 40, "latency maximum");
	is_int((long long)stats_get(STAT_LATENCY_SUM_MS), 60, "latency sum");
	stats_close();
	is_int((long long)stats_get(STAT_QUEUE_DEPTH), 7, "counts survive close");
	ok(stats_read(run, getpid(), &s) < 0, "the segment is gone after close");
	evloop_free(loop);
}

static void test_names(void)
{
	int bad = 0;
	for (int c = 0; c < STAT_COUNTERS; c++) {
		const char *n = stats_counter_name((enum stats_counter)c);
		if (n == NULL || stats_counter_find(n) != c)
			bad++;
	}
	is_int(bad, 0, "every counter has a unique name");
	ok(stats_counter_name(STAT_COUNTERS) == NULL, "no name past the end");
	is_int(stats_counter_find("conn_total"), STAT_CONN_TOTAL, "find by name");
	is_int(stats_counter_find("nonsense"), -1, "unknown name");
	ok(stats_counter_is_gauge(STAT_CONN_CURRENT) &&
	   !stats_counter_is_gauge(STAT_CONN_TOTAL), "gauges are told apart");
}

static void test_stale(const char *run)
{
	/* A segment left by a process that died is not visited. */
	pid_t pid = fork();
	if (pid == 0) {
		stats_open(run, "imap4srv", 1);
		_exit(0);       /* no stats_close */
	}
	waitpid(pid, NULL, 0);
	struct stats_snapshot s;
	ok(stats_read(run, pid, &s) == 0, "a dead process's segment is still there");
	struct seen seen = { 0, "" };
	stats_each(run, each_seen, &seen);
	is_int(seen.count, 0, "stats_each skips it");
	is_int(stats_sweep(run), 1, "stats_sweep removes it");
	ok(stats_read(run, pid, &s) < 0, "and it is gone");
	stats_remove(run, pid);
}

int main(void)
{
	const char *run = tap_tmpdir();
	test_cross_process(run);
	test_heartbeat(run);
	test_names();
	test_stale(run);
	done_testing();
	return exit_status();
}
