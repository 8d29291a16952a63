/* Unit tests for libcommon/evloop.c: io readiness and event changes, timer
 * order, reset, cancel and heap integrity under many timers, deleting a
 * watch whose event is pending in the same batch, signals.  Assertions are
 * about order and occurrence, never about how many milliseconds passed. */
#include "evloop.h"
#include "tap.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MANY_TIMERS   10000
#define GUARD_SECONDS 20     /* a hung loop fails the test instead */

static char order[32];
static struct evloop *loop_of_test;

static void note(char c)
{
	size_t n = strlen(order);
	if (n + 1 < sizeof order) {
		order[n] = c;
		order[n + 1] = '\0';
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_timer(struct ev_timer *t, void *arg)
{
	(void)t;
	note(*(const char *)arg);
}

static void on_last(struct ev_timer *t, void *arg)
{
	note('Z');
	evloop_stop(arg);
	evloop_del_timer(t);     /* from its own callback */
}

static void stop_after(struct evloop *loop, unsigned ms)
{
	evloop_add_timer(loop, ms, false, on_last, loop);
}

static void test_timer_order(struct evloop *loop)
{
	order[0] = '\0';
	evloop_add_timer(loop, 30, false, on_timer, "b");
	evloop_add_timer(loop, 10, false, on_timer, "a");
	struct ev_timer *gone = evloop_add_timer(loop, 20, false, on_timer, "x");
	struct ev_timer *late = evloop_add_timer(loop, 5, false, on_timer, "c");
	evloop_timer_set(late, 50);
	evloop_del_timer(gone);
	stop_after(loop, 80);
	evloop_run(loop);
	is_str(order, "abcZ", "timers by deadline; cancelled one skipped; "
	       "re-set one postponed");
}

/* R resets T (30 ms) at 10 ms, moving it past M (35 ms). */
static struct ev_timer *reset_target;

static void on_resetter(struct ev_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	note('R');
	evloop_timer_reset(reset_target);
}

static void test_timer_reset(struct evloop *loop)
{
	order[0] = '\0';
	reset_target = evloop_add_timer(loop, 30, false, on_timer, "T");
	evloop_add_timer(loop, 10, false, on_resetter, NULL);
	evloop_add_timer(loop, 35, false, on_timer, "M");
	stop_after(loop, 100);
	evloop_run(loop);
	is_str(order, "RMTZ", "timer_reset postpones an idle timeout");
	order[0] = '\0';
	evloop_timer_reset(reset_target);   /* a fired one-shot can be re-armed */
	stop_after(loop, 60);
	evloop_run(loop);
	is_str(order, "TZ", "a fired one-shot timer fires again after reset");
	evloop_del_timer(reset_target);
}

struct many { uint64_t earliest; int fired; };
static int early_fires;

static void on_many(struct ev_timer *t, void *arg)
{
	struct many *m = arg;
	(void)t;
	m->fired++;
	if (now_ms() < m->earliest)
		early_fires++;
}

/* Heap integrity: every live timer fires once, none early, none cancelled. */
static void test_many_timers(struct evloop *loop)
{
	static struct many m[MANY_TIMERS];
	static struct ev_timer *t[MANY_TIMERS];
	for (int i = 0; i < MANY_TIMERS; i++) {
		unsigned ms = (unsigned)(i * 7919 % 97);
		m[i] = (struct many){ .earliest = now_ms() + ms };
		t[i] = evloop_add_timer(loop, ms, false, on_many, &m[i]);
	}
	for (int i = 0; i < MANY_TIMERS; i += 3)
		evloop_del_timer(t[i]);
	stop_after(loop, 200);
	evloop_run(loop);
	int right = 0;
	for (int i = 0; i < MANY_TIMERS; i++)
		right += m[i].fired == (i % 3 == 0 ? 0 : 1);
	is_int(right, MANY_TIMERS, "%d timers: each live one fired once, "
	       "no cancelled one fired", MANY_TIMERS);
	is_int(early_fires, 0, "no timer fired before its deadline");
	for (int i = 0; i < MANY_TIMERS; i++)
		if (i % 3 != 0)
			evloop_del_timer(t[i]);
}

static int spins;

/* Re-arms itself at 0 ms; stops the loop once the pipe's read came in. */
static void on_spin(struct ev_timer *t, void *arg)
{
	(void)arg;
	spins++;
	if (strchr(order, 'R') != NULL)
		evloop_stop(loop_of_test);
	else
		evloop_timer_set(t, 0);
}

static void on_read(struct ev_io *io, unsigned events, void *arg)
{
	char buf[8];
	(void)io;
	if ((events & EV_READ) && read(*(int *)arg, buf, sizeof buf) > 0)
		note('R');
}

static void on_write_pipe(struct ev_timer *t, void *arg)
{
	if (write(*(int *)arg, "x", 1) != 1)
		abort();
	evloop_del_timer(t);
}

static int polls;

static void on_poll(struct ev_io *io, unsigned events, void *arg)
{
	(void)io;
	(void)events;
	(void)arg;
	polls++;
}

/* The pipe becomes readable (by a 20 ms timer) while the 0 ms timer spins;
 * an always-writable socket counts the loop's trips through epoll. */
static void test_zero_timer_no_starvation(struct evloop *loop, int p[2])
{
	int sv[2];
	order[0] = '\0';
	spins = polls = 0;
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct ev_timer *spin = evloop_add_timer(loop, 0, false, on_spin, NULL);
	struct ev_io *r = evloop_add_io(loop, p[0], EV_READ, on_read, &p[0]);
	struct ev_io *w = evloop_add_io(loop, sv[0], EV_WRITE, on_poll, NULL);
	evloop_add_timer(loop, 20, false, on_write_pipe, &p[1]);
	evloop_run(loop);
	ok(strcmp(order, "R") == 0, "a 0 ms timer re-arming itself leaves room "
	   "for other timers and I/O");
	ok(spins >= 2 && spins <= polls + 1, "it runs once per loop iteration "
	   "(%d runs, %d polls)", spins, polls);
	evloop_del_timer(spin);
	evloop_del_io(r);
	evloop_del_io(w);
	close(sv[0]);
	close(sv[1]);
}

static void on_writable(struct ev_io *io, unsigned events, void *arg)
{
	(void)arg;
	note(events & EV_WRITE ? 'W' : '?');
	evloop_io_set_events(io, EV_READ);   /* nothing to send any more */
}

static void test_io_events(struct evloop *loop)
{
	int sv[2];
	order[0] = '\0';
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct ev_io *w = evloop_add_io(loop, sv[0], EV_READ | EV_WRITE,
	                                on_writable, NULL);
	stop_after(loop, 50);
	evloop_run(loop);
	is_str(order, "WZ", "writable reported once, then the watch waits only "
	       "for input");
	is_int(evloop_io_events(w), EV_READ, "io_set_events changed the watch");
	evloop_del_io(w);
	close(sv[0]);
	close(sv[1]);
}

/* killer's event comes first in the batch and deletes victim, whose event
 * is already in the same batch. */
static struct ev_io *victim;
static int victim_fired;

static void killer(struct ev_io *io, unsigned events, void *arg)
{
	char buf[8];
	(void)events;
	if (read(*(int *)arg, buf, sizeof buf) > 0)
		note('K');
	evloop_del_io(victim);
	evloop_del_io(io);
}

static void victim_cb(struct ev_io *io, unsigned events, void *arg)
{
	(void)io;
	(void)events;
	(void)arg;
	victim_fired++;
}

static void test_del_pending(struct evloop *loop, int p[2], int q[2])
{
	order[0] = '\0';
	evloop_add_io(loop, q[0], EV_READ, killer, &q[0]);
	victim = evloop_add_io(loop, p[0], EV_READ, victim_cb, NULL);
	if (write(q[1], "z", 1) != 1 || write(p[1], "y", 1) != 1)
		abort();
	stop_after(loop, 50);
	evloop_run(loop);
	is_str(order, "KZ", "the deleting callback ran");
	is_int(victim_fired, 0, "a watch deleted while its event was pending "
	       "never fires");
}

static void on_signal(int signo, void *arg)
{
	note(signo == SIGUSR1 ? 'S' : '?');
	evloop_stop(arg);
}

static void test_signal(struct evloop *loop)
{
	order[0] = '\0';
	ok(evloop_add_signal(loop, SIGUSR1, on_signal, loop) == 0, "signal added");
	raise(SIGUSR1);
	stop_after(loop, 5000);
	evloop_run(loop);
	ok(order[0] == 'S', "SIGUSR1 delivered as a loop callback");

	sigset_t cur;
	evloop_unblock_signals(loop);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	ok(!sigismember(&cur, SIGUSR1), "unblock_signals gives SIGUSR1 back "
	   "(for a child about to exec)");
}

int main(void)
{
	int p[2], q[2];
	alarm(GUARD_SECONDS);
	struct evloop *loop = evloop_new();
	loop_of_test = loop;

	plan(15);
	ok(loop != NULL, "loop created");
	if (pipe(p) < 0 || pipe(q) < 0)
		abort();
	test_timer_order(loop);
	test_timer_reset(loop);
	test_many_timers(loop);
	test_zero_timer_no_starvation(loop, p);
	test_io_events(loop);
	test_del_pending(loop, p, q);
	test_signal(loop);

	/* Watches and timers still registered are freed with the loop (the
	 * sanitizer build reports a leak otherwise). */
	evloop_add_io(loop, p[0], EV_READ, victim_cb, NULL);
	evloop_add_timer(loop, 1000, true, on_timer, "L");
	evloop_free(loop);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	return exit_status();
}
