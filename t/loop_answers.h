/*
 * loop_answers.h - for unit tests of code that answers through an event
 * loop (auth_async, store_pool): run the loop until a number of answers
 * came, with a generous bound so that a broken pool fails the test
 * instead of hanging it.  Header-only: each test binary gets its own
 * copy of the state.
 *
 * A test sets loop_answers_loop, calls loop_answered() from each
 * callback, and loop_answers_wait(N) where it expects N answers; it
 * reads loop_answers_count for the answers since the last wait.
 */
#ifndef EMS_T_LOOP_ANSWERS_H
#define EMS_T_LOOP_ANSWERS_H

#include "evloop.h"
#include "tap.h"

#include <stdbool.h>

/* Longest wait for the answers: generous, it bounds a failure only. */
#define LOOP_ANSWERS_BOUND_MS 60000

static struct evloop *loop_answers_loop;
static int loop_answers_count, loop_answers_wanted;
static bool loop_answers_timed_out;

/* Counts an answer; stops the loop once enough came. */
static inline void loop_answered(void)
{
	if (++loop_answers_count >= loop_answers_wanted)
		evloop_stop(loop_answers_loop);
}

static inline void loop_answers_guard(struct ev_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	loop_answers_timed_out = true;
	evloop_stop(loop_answers_loop);
}

/* Runs the loop until N more answers came; one TAP line says whether
 * they did. */
static inline void loop_answers_wait(int n)
{
	loop_answers_count = 0;
	loop_answers_wanted = n;
	loop_answers_timed_out = false;
	struct ev_timer *guard = evloop_add_timer(loop_answers_loop, LOOP_ANSWERS_BOUND_MS, false,
	                                          loop_answers_guard, NULL);
	evloop_run(loop_answers_loop);
	evloop_del_timer(guard);
	ok(!loop_answers_timed_out, "  the answers came");
}

#endif
