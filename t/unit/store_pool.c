/* Unit tests for libcommon/store_pool.c: a job's callback runs on the
 * loop and never inside the submitting call; a pool without a store runs
 * plain jobs; write jobs queued together share one transaction (one
 * commit) where a failing job rolls back only its own savepoint;
 * cancelled jobs (queued or running) never call back but are freed;
 * draining runs every pending callback; a pool freed with work queued
 * leaks nothing (run under ASan).  A sized pool (store.pool) grows by its
 * increment while jobs wait, never past max, keeps order and cancel, and
 * its threads above min end after the idle timeout, each freeing its
 * per-thread state.  Write groups run one at a time on one thread,
 * reads beside them. */
#include "config.h"
#include "evloop.h"
#include "log.h"
#include "store.h"
#include "store_directory.h"
#include "store_mail.h"
#include "store_pool.h"
#include "store_db.h"
#include "loop_answers.h"
#include "store_test.h"
#include "tap.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct evloop *loop;
static char db_path[1024];   /* its target: a path or a connection string */
static int64_t person;
static int freed;

/* One job's context: what it should do and what came back. */
struct ctx {
	const char *mailbox;   /* created by a write job */
	bool fail_after;       /* fail after the write (its savepoint goes) */
	int gate;              /* a plain job blocks reading this pipe (-1: no) */
	atomic_bool ran;       /* read on the loop while the job runs */
	int sync;              /* the sync level the job's write saw (see run) */
	int calls, rc;
	enum store_error err;
	pthread_t thread;      /* the pool thread it ran on */
};

static int run_job(struct store *st, void *local, void *arg)
{
	struct ctx *c = arg;
	char b;
	(void)local;
	c->ran = true;
	c->thread = pthread_self();
	if (c->gate >= 0 && read(c->gate, &b, 1) != 1)
		return -1;
	if (c->mailbox != NULL && store_mailbox_create(st, person, c->mailbox, NULL, NULL) < 0)
		return -1;
	/* 2: the commit syncs, 1: it need not (SQLite FULL/NORMAL, PostgreSQL
	 * synchronous_commit on/off) */
	struct store_stmt *s = st == NULL ? NULL : store_stmt_dialect(st, "PRAGMA synchronous",
	    "SELECT CASE current_setting('synchronous_commit') WHEN 'off' THEN 1 ELSE 2 END");
	if (s != NULL && store_step(st, s, "test") == STORE_ROW)
		c->sync = store_col_int(s, 0);
	if (s != NULL)
		store_reset(s);
	return c->fail_after ? -1 : 0;
}

static void on_done(void *arg, int rc, enum store_error err)
{
	struct ctx *c = arg;
	c->calls++;
	c->rc = rc;
	c->err = err;
	loop_answered();
}

static void on_free(void *arg)
{
	(void)arg;
	freed++;
}

static const struct store_job_ops write_ops = { "t_write", STORE_JOB_WRITE, run_job,
	                                        on_done, on_free };
static const struct store_job_ops plain_ops = { "t_plain", STORE_JOB_PLAIN, run_job,
	                                        on_done, on_free };
static const struct store_job_ops lazy_ops = { "t_lazy", STORE_JOB_WRITE_LAZY, run_job,
	                                       on_done, on_free };

static bool mailbox_exists(struct store *st, const char *name)
{
	struct store_mailbox mb;
	memset(&mb, 0, sizeof mb);
	bool found = store_mailbox_find(st, person, name, &mb) == 0;
	store_mailbox_clear(&mb);
	return found;
}

static struct ctx *ctx_new(const char *mailbox, int gate)
{
	struct ctx *c = calloc(1, sizeof *c);
	c->mailbox = mailbox;
	c->gate = gate;
	return c;
}

static void test_no_store(void)
{
	struct store_pool *p = store_pool_new(loop, "t_pool", NULL, NULL, 0, 1, NULL);
	ok(p != NULL, "a pool without a store starts");
	struct ctx c = { .gate = -1 };
	struct store_job_ops ops = plain_ops;
	ops.free = NULL;
	ok(store_pool_submit(p, &ops, &c) != NULL, "  a plain job is queued");
	is_int(c.calls, 0, "  its callback does not run inside the call");
	loop_answers_wait(1);
	ok(c.ran && c.calls == 1 && c.rc == 0, "  it ran on a thread and called back once");
	store_pool_free(p);
}

/* Three writes queued behind a job that holds the only thread: one
 * group, one commit; the one that fails loses only its own change. */
static void test_group(struct store *st)
{
	int gate[2];
	ok(pipe(gate) == 0, "a gate");
	struct store_pool *p = store_pool_new(loop, "t_pool", test_store_backend(), db_path, 2000,
	                                      1, NULL);
	struct ctx *g = ctx_new(NULL, gate[0]);
	struct ctx *a = ctx_new("GroupA", -1), *bad = ctx_new("GroupBad", -1);
	struct ctx *dup = ctx_new("INBOX", -1), *b = ctx_new("GroupB", -1);
	bad->fail_after = true;
	freed = 0;
	store_pool_submit(p, &plain_ops, g);
	store_pool_submit(p, &write_ops, a);
	store_pool_submit(p, &write_ops, bad);
	store_pool_submit(p, &write_ops, dup);
	store_pool_submit(p, &write_ops, b);
	unsigned long before = store_pool_commits(p);
	ok(write(gate[1], "x", 1) == 1, "  the gate opens");
	loop_answers_wait(5);
	is_int((long long)(store_pool_commits(p) - before), 1, "  four writes, one commit");
	ok(a->rc == 0 && b->rc == 0, "  the good writes succeed");
	ok(bad->rc < 0 && dup->rc < 0, "  the failing ones fail");
	is_int(dup->err, STORE_E_EXISTS, "  with their own error");
	ok(mailbox_exists(st, "GroupA") && mailbox_exists(st, "GroupB"),
	   "  the good writes are in the store");
	ok(!mailbox_exists(st, "GroupBad"), "  the failed job's own write was rolled back");
	/* the free functions ran (the contexts belong to the test) */
	is_int(freed, 5, "  every context was freed after its callback");
	free(g), free(a), free(bad), free(dup), free(b);
	store_pool_free(p);
	close(gate[0]);
	close(gate[1]);
}

/* Flag changes queued together commit without a sync; one durable write
 * among them makes the whole group's commit sync. */
static void test_lazy_group(struct store *st)
{
	int gate[2];
	ok(pipe(gate) == 0, "a gate");
	struct store_pool *p = store_pool_new(loop, "t_pool", test_store_backend(), db_path, 2000,
	                                      1, NULL);
	struct ctx *g = ctx_new(NULL, gate[0]);
	struct ctx *l1 = ctx_new("Lazy1", -1), *l2 = ctx_new("Lazy2", -1);
	store_pool_submit(p, &plain_ops, g);
	store_pool_submit(p, &lazy_ops, l1);
	store_pool_submit(p, &lazy_ops, l2);
	ok(write(gate[1], "x", 1) == 1, "  the gate opens");
	loop_answers_wait(3);
	ok(l1->rc == 0 && l2->rc == 0 && mailbox_exists(st, "Lazy1") &&
	   mailbox_exists(st, "Lazy2"), "  two lazy writes are committed");
	ok(l1->sync == 1 && l2->sync == 1, "  in a group whose commit does not sync");
	struct ctx *l3 = ctx_new("Lazy3", -1), *d = ctx_new("Durable", -1);
	g->calls = 0;
	store_pool_submit(p, &plain_ops, g);
	store_pool_submit(p, &lazy_ops, l3);
	store_pool_submit(p, &write_ops, d);
	ok(write(gate[1], "x", 1) == 1, "  the gate opens again");
	loop_answers_wait(3);
	ok(l3->rc == 0 && d->rc == 0 && l3->sync == 2 && d->sync == 2,
	   "  a lazy write grouped with a durable one is synced with it");
	free(g), free(l1), free(l2), free(l3), free(d);
	store_pool_free(p);
	close(gate[0]);
	close(gate[1]);
}

static void test_cancel(void)
{
	int gate[2];
	ok(pipe(gate) == 0, "a gate");
	struct store_pool *p = store_pool_new(loop, "t_pool", test_store_backend(), db_path, 2000,
	                                      1, NULL);
	struct ctx *running = ctx_new(NULL, gate[0]);
	struct ctx *queued = ctx_new("CancelQ", -1), *last = ctx_new(NULL, -1);
	freed = 0;
	struct store_job *jr = store_pool_submit(p, &plain_ops, running);
	struct store_job *jq = store_pool_submit(p, &write_ops, queued);
	store_pool_submit(p, &plain_ops, last);
	store_job_cancel(jq);
	is_int(freed, 1, "a cancelled queued job is freed at once");
	store_job_cancel(jr);
	ok(write(gate[1], "x", 1) == 1, "  the running job goes on");
	loop_answers_wait(1);
	is_int(last->calls, 1, "  the job after them calls back");
	is_int(running->calls + queued->calls, 0, "  the cancelled ones never do");
	ok(!queued->ran, "  the queued one never ran");
	is_int(freed, 3, "  and every context was freed");
	free(running), free(queued), free(last);
	store_pool_free(p);
	close(gate[0]);
	close(gate[1]);
}

static void test_drain(void)
{
	struct store_pool *p = store_pool_new(loop, "t_pool", test_store_backend(), db_path, 2000,
	                                      2, NULL);
	struct ctx *c[4];
	for (int i = 0; i < 4; i++) {
		static const char *names[] = { "Drain0", "Drain1", NULL, NULL };
		c[i] = ctx_new(names[i], -1);
		store_pool_submit(p, i < 2 ? &write_ops : &plain_ops, c[i]);
	}
	store_pool_drain(p);
	int calls = 0;
	for (int i = 0; i < 4; i++)
		calls += c[i]->calls;
	is_int(calls, 4, "drain returns after every callback ran");
	is_int(store_pool_pending(p), 0, "  nothing is pending");
	struct ctx *after = ctx_new(NULL, -1);
	ok(store_pool_submit(p, &plain_ops, after) != NULL, "  the pool takes jobs again");
	loop_answers_wait(1);
	for (int i = 0; i < 4; i++)
		free(c[i]);
	free(after);
	store_pool_free(p);
}

/* ---- sized pools ---- */

/* Pool threads start and stop here: counted atomically. */
static atomic_int starts, stops;
/* While HOLD_STARTS, a thread's start waits for a byte on this pipe. */
static atomic_bool hold_starts;
static int start_gate[2] = { -1, -1 };

static void *count_start(struct store *st, void *arg)
{
	char b;
	(void)arg;
	if (atomic_load(&hold_starts) && read(start_gate[0], &b, 1) != 1)
		return NULL;
	atomic_fetch_add(&starts, 1);
	return st != NULL ? (void *)st : (void *)&starts;
}

static void count_stop(void *local)
{
	(void)local;
	atomic_fetch_add(&stops, 1);
}

/* Waits (a generous bound) until N thread starts were counted. */
static bool wait_starts(int n)
{
	for (int i = 0; i < LOOP_ANSWERS_BOUND_MS / 10 && atomic_load(&starts) < n; i++)
		usleep(10000);
	return atomic_load(&starts) == n;
}

static const struct store_pool_hooks counting = { count_start, count_stop, NULL };

static struct store_pool *watched;
static unsigned watched_live;

static void watch_live(struct ev_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	/* the loop joins an ended thread (and frees its state) once woken:
	 * counted only then, or the check below races it */
	if (store_pool_live(watched) == watched_live &&
	    atomic_load(&stops) >= atomic_load(&starts) - (int)watched_live)
		evloop_stop(loop);
}

/* Runs the loop until P runs LIVE threads (the idle timeout ends the
 * others) and has freed the state of those that ended; true when it did
 * within the generous bound. */
static bool wait_live(struct store_pool *p, unsigned live)
{
	watched = p;
	watched_live = live;
	loop_answers_timed_out = false;
	struct ev_timer *poll = evloop_add_timer(loop, 20, true, watch_live, NULL);
	struct ev_timer *guard = evloop_add_timer(loop, LOOP_ANSWERS_BOUND_MS, false,
	                                          loop_answers_guard, NULL);
	evloop_run(loop);
	evloop_del_timer(poll);
	evloop_del_timer(guard);
	return !loop_answers_timed_out && store_pool_live(p) == live;
}

/* Jobs that hold their thread make the pool grow, by the increment, up
 * to max and no further, each new thread making its store handle and
 * state itself, off the loop (the submits return while they are still
 * at it); once the jobs end, the extra threads go after the idle
 * timeout. */
static void test_grow_shrink(void)
{
	enum { JOBS = 7 };
	int gate[2];
	ok(pipe(gate) == 0 && pipe(start_gate) == 0, "a gate");
	struct store_pool_size size = { .min = 1, .max = 4, .increment = 2, .idle_timeout_s = 1 };
	atomic_store(&starts, 0);
	atomic_store(&stops, 0);
	struct store_pool *p = store_pool_new_sized(loop, "t_sized", test_store_backend(),
	                                            db_path, 2000, &size, &counting);
	ok(p != NULL && store_pool_live(p) == 1, "a sized pool starts min threads");
	struct ctx *c[JOBS];
	atomic_store(&hold_starts, true);
	alarm(LOOP_ANSWERS_BOUND_MS / 1000 + 30);   /* a start on the loop would hang here */
	for (int i = 0; i < JOBS; i++) {
		c[i] = ctx_new(NULL, gate[0]);
		store_pool_submit(p, &plain_ops, c[i]);
	}
	alarm(0);
	is_int(store_pool_live(p), 4, "  jobs waiting for threads grow it to max");
	is_int(atomic_load(&starts), 1, "  the submits returned while the new threads were starting");
	ok(write(start_gate[1], "xxx", 3) == 3, "  their starts go on");
	ok(wait_starts(4), "  each new thread got its own state");
	atomic_store(&hold_starts, false);
	ok(write(gate[1], "xxxxxxx", JOBS) == JOBS, "  the gate opens");
	loop_answers_wait(JOBS);
	int calls = 0;
	for (int i = 0; i < JOBS; i++)
		calls += c[i]->calls;
	is_int(calls, JOBS, "  every job called back once");
	is_int(store_pool_peak(p), 4, "  never more than max threads at once");
	ok(wait_live(p, 1), "  idle past the timeout, it shrinks back to min");
	is_int(atomic_load(&stops), 3, "  the threads that ended freed their state");
	struct ctx *again = ctx_new("Sized", -1);
	store_pool_submit(p, &write_ops, again);
	loop_answers_wait(1);
	ok(again->calls == 1 && again->rc == 0, "  and a write after the shrink commits");
	for (int i = 0; i < JOBS; i++)
		free(c[i]);
	free(again);
	store_pool_free(p);
	is_int(atomic_load(&stops), 4, "  freeing the pool frees the rest");
	close(gate[0]);
	close(gate[1]);
	close(start_gate[0]);
	close(start_gate[1]);
}

/* Write groups run one at a time, all on one thread (the writer): a
 * write queued while one runs neither runs beside it nor grows the pool,
 * while a read queued then gets a thread of its own and is answered
 * before the write ends. */
static void test_writer(void)
{
	int gate[2];
	ok(pipe(gate) == 0, "a gate");
	struct store_pool_size size = { .min = 1, .max = 3, .increment = 1, .idle_timeout_s = 60 };
	struct store_pool *p = store_pool_new_sized(loop, "t_writer", test_store_backend(),
	                                            db_path, 2000, &size, NULL);
	struct ctx *w1 = ctx_new("Writer1", gate[0]), *w2 = ctx_new("Writer2", -1);
	struct ctx *w3 = ctx_new("Writer3", -1), *r = ctx_new(NULL, -1);
	unsigned long before = store_pool_commits(p);
	store_pool_submit(p, &write_ops, w1);
	for (int i = 0; i < 10000 && !w1->ran; i++)   /* at most 10 s */
		usleep(1000);
	ok(w1->ran, "a write runs");
	unsigned live = store_pool_live(p);
	store_pool_submit(p, &write_ops, w2);
	store_pool_submit(p, &write_ops, w3);
	is_int(store_pool_live(p), live, "  writes queued behind it do not grow the pool");
	store_pool_submit(p, &plain_ops, r);
	loop_answers_wait(1);
	ok(r->calls == 1 && r->rc == 0 && w1->calls == 0,
	   "  a read queued behind them gets a thread and its answer first");
	ok(!w2->ran && !w3->ran, "  the queued writes wait for the running one");
	ok(write(gate[1], "x", 1) == 1, "  the gate opens");
	loop_answers_wait(3);
	ok(w1->rc == 0 && w2->rc == 0 && w3->rc == 0, "  the writes commit");
	is_int((long long)(store_pool_commits(p) - before), 2, "  the two queued as one group");
	ok(pthread_equal(w1->thread, w2->thread) && pthread_equal(w2->thread, w3->thread) &&
	   !pthread_equal(r->thread, w1->thread), "  all on the writer's thread, the read not");
	free(w1), free(w2), free(w3), free(r);
	store_pool_free(p);
	close(gate[0]);
	close(gate[1]);
}

/* With a pool at max, a queued job can still be cancelled and jobs start
 * in the order submitted. */
static void test_sized_order_cancel(void)
{
	int gate[2];
	ok(pipe(gate) == 0, "a gate");
	struct store_pool_size size = { .min = 0, .max = 2, .increment = 1, .idle_timeout_s = 60 };
	struct store_pool *p = store_pool_new_sized(loop, "t_sized", test_store_backend(),
	                                            db_path, 2000, &size, NULL);
	struct ctx *hold[2] = { ctx_new(NULL, gate[0]), ctx_new(NULL, gate[0]) };
	struct ctx *queued = ctx_new("SizedCancel", -1), *a = ctx_new("SizedA", -1);
	struct ctx *b = ctx_new("SizedB", -1);
	freed = 0;
	store_pool_submit(p, &plain_ops, hold[0]);
	store_pool_submit(p, &plain_ops, hold[1]);
	struct store_job *jq = store_pool_submit(p, &write_ops, queued);
	store_pool_submit(p, &write_ops, a);
	store_pool_submit(p, &write_ops, b);
	is_int(store_pool_live(p), 2, "a pool of min 0 grows to its max of 2");
	store_job_cancel(jq);
	is_int(freed, 1, "  a queued job cancelled is freed at once");
	ok(write(gate[1], "xx", 2) == 2, "  the gate opens");
	loop_answers_wait(4);
	ok(!queued->ran && queued->calls == 0, "  the cancelled job never ran");
	ok(a->calls == 1 && b->calls == 1 && a->rc == 0 && b->rc == 0,
	   "  the writes behind it committed");
	struct store *st = test_store_open("store.db", 2000);
	ok(st != NULL && mailbox_exists(st, "SizedA") && mailbox_exists(st, "SizedB") &&
	   !mailbox_exists(st, "SizedCancel"), "  their mailboxes exist, the cancelled one's not");
	store_close(st);
	free(hold[0]), free(hold[1]), free(queued), free(a), free(b);
	store_pool_free(p);
	close(gate[0]);
	close(gate[1]);
}

/* The size from ems.conf: store.pool when its max is set, else the
 * fixed pool of store.threads (the setting of before). */
static void test_size_config(void)
{
	char path[600];
	struct store_pool_size size;
	snprintf(path, sizeof path, "%s/pool.conf", tap_tmpdir());
	FILE *f = fopen(path, "w");
	fputs("store = { threads = 3; pool = { min = 2; max = 6; increment = 2; "
	      "idle_timeout_s = 9; }; };\n", f);
	fclose(f);
	struct ems_config *cfg = config_load(path);
	store_pool_size_from_config(cfg, &size);
	ok(cfg != NULL && size.min == 2 && size.max == 6 && size.increment == 2 &&
	   size.idle_timeout_s == 9, "store.pool gives min, max, increment, idle timeout");
	config_free(cfg);
	f = fopen(path, "w");
	fputs("store = { threads = 3; };\n", f);
	fclose(f);
	cfg = config_load(path);
	store_pool_size_from_config(cfg, &size);
	ok(cfg != NULL && size.min == 3 && size.max == 3,
	   "  without it, store.threads = 3 is a fixed pool of 3");
	config_free(cfg);
	cfg = config_load(NULL);
	store_pool_size_from_config(cfg, &size);
	ok(size.min == 1 && size.max == 1, "  and the defaults one thread, as before");
	config_free(cfg);
}

static void free_ctx(void *arg)
{
	free(arg);
	freed++;
}

static void test_free_queued(void)
{
	int gate[2];
	ok(pipe(gate) == 0, "a gate");
	static const struct store_job_ops owned = { "t_owned", STORE_JOB_PLAIN, run_job,
		                                    on_done, free_ctx };
	struct store_pool *p = store_pool_new(loop, "t_pool", test_store_backend(), db_path, 2000,
	                                      1, NULL);
	store_pool_submit(p, &owned, ctx_new(NULL, gate[0]));
	for (int i = 0; i < 3; i++)
		store_pool_submit(p, &owned, ctx_new(NULL, -1));
	freed = 0;
	loop_answers_count = 0;
	close(gate[1]);   /* the running job's read ends */
	store_pool_free(p);
	ok(loop_answers_count == 0 && freed == 4,
	   "a pool freed with jobs queued and running frees them all, calling nobody back");
	close(gate[0]);
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	/* the store of the tests' backend (t/store_test.h) */
	snprintf(db_path, sizeof db_path, "%s", test_store_target("store.db"));
	struct store *st = test_store_open("store.db", 2000);
	loop = loop_answers_loop = evloop_new();
	if (st == NULL || loop == NULL || store_domain_add(st, "example.test", "", NULL) < 0 ||
	    store_person_add(st, "example.test", "demo", "pw1", &person) < 0)
		skip_all("cannot set up a store");
	if (!mailbox_exists(st, "INBOX"))
		store_mailbox_create(st, person, "INBOX", NULL, NULL);
	test_no_store();
	test_group(st);
	test_lazy_group(st);
	test_cancel();
	test_drain();
	test_free_queued();
	test_grow_shrink();
	test_sized_order_cancel();
	test_writer();
	test_size_config();
	evloop_free(loop);
	store_close(st);
	done_testing();
	return exit_status();
}
