/* Unit tests for guardian/guardian_restart.c: exponential backoff with a
 * cap, reset after a stable run, FAILED after fail_count exits within
 * fail_window as a cool-down that goes on doubling up to cooldown_max and
 * never ends by itself, the exit count, a start failure entering the
 * cool-down at once, and a fresh start after restart_reset(). */
#include "../../guardian/guardian_restart.h"
#include "tap.h"

static const struct restart_policy policy = {
	.backoff_initial_ms = 1000,
	.backoff_max_ms = 8000,
	.cooldown_max_ms = 60000,
	.stable_after_ms = 60000,
	.fail_window_ms = 120000,
	.fail_count = 5,
};

/* Crashes (100 ms runs) started at *T, each after the delay the last one
 * returned, until STATE is FAILED or N exits happened. Returns the last
 * delay. */
static long long crash_until_failed(const struct restart_policy *p,
                                    struct restart_state *st, long long *t,
                                    int n)
{
	long long delay = 0;

	for (int i = 0; i < n && !st->failed; i++) {
		delay = restart_after_exit(p, st, *t, *t + 100);
		*t += 100 + delay;
	}
	return delay;
}

static void test_backoff(void)
{
	struct restart_state st;
	struct restart_policy loose = policy;
	long long t = 0;

	restart_reset(&st);
	is_int(restart_after_exit(&policy, &st, 0, 100), 1000,
	       "first crash waits backoff_initial");
	is_int(restart_after_exit(&policy, &st, 1100, 1200), 2000,
	       "second crash doubles");
	is_int(restart_after_exit(&policy, &st, 3200, 3300), 4000,
	       "third doubles again");
	is_int(restart_after_exit(&policy, &st, 7300, 7400), 8000,
	       "fourth reaches the cap");
	ok(!st.failed, "four crashes: not FAILED yet");
	is_int(restart_after_exit(&policy, &st, 15400, 15500), 16000,
	       "fifth crash within the window: the wait doubles past "
	       "backoff_max");
	ok(st.failed, "and the instance is FAILED");
	is_int(st.exit_count, 5, "five exits counted");

	restart_reset(&st);
	is_int(restart_after_exit(&policy, &st, 0, 100), 1000,
	       "after restart_reset the backoff starts over");
	ok(!st.failed && st.exit_count == 1, "not FAILED, one exit");

	/* Crashes spaced wider than the window never fail. */
	loose.fail_count = 3;
	loose.fail_window_ms = 5000;
	restart_reset(&st);
	int failed = 0;
	for (int i = 0; i < 10; i++, t += 10000) {
		restart_after_exit(&loose, &st, t, t + 100);
		failed |= st.failed;
	}
	ok(!failed, "exits further apart than fail_window never mark FAILED");
	is_int(restart_after_exit(&loose, &st, t, t + 100), 8000,
	       "but the backoff stayed at the cap (runs were not stable)");

	/* A stable run resets the backoff. */
	is_int(restart_after_exit(&policy, &st, 200000, 200000 + 60000), 1000,
	       "exit after stable_after: backoff back to initial");
	is_int(restart_after_exit(&policy, &st, 261000, 261500), 2000,
	       "and grows again from there");

	/* The cap applies even when initial exceeds it. */
	struct restart_policy odd = policy;
	odd.backoff_initial_ms = 20000;
	restart_reset(&st);
	is_int(restart_after_exit(&odd, &st, 0, 1), 8000,
	       "initial above the cap is capped");
}

static void test_cooldown(void)
{
	struct restart_state st;
	long long t = 0, delay;
	int over_cap = 0;

	restart_reset(&st);
	crash_until_failed(&policy, &st, &t, 100);
	ok(st.failed, "a crash loop ends FAILED");
	delay = 0;
	for (int i = 0; i < 20; i++) {
		long long d = restart_after_exit(&policy, &st, t, t + 100);
		over_cap |= d > policy.cooldown_max_ms;
		if (i == 0)
			is_int(d, 32000, "each failed attempt doubles the wait");
		delay = d;
		t += 100 + d;
	}
	ok(!over_cap, "the wait never exceeds cooldown_max");
	is_int(delay, 60000, "and stays at cooldown_max");
	ok(st.failed, "still FAILED after 20 more failed attempts (exits now "
	   "a minute apart, still counted as the loop)");
	is_int(st.exit_count, 25, "every exit counted");

	/* An attempt that runs stable_after ends the cool-down. */
	is_int(restart_after_exit(&policy, &st, t, t + 60000), 1000,
	       "an attempt that ran stable_after: back to backoff_initial");
	ok(!st.failed && st.exit_count == 1, "no longer FAILED, the count "
	   "starts over");
	is_int(restart_after_exit(&policy, &st, t + 61000, t + 61100), 2000,
	       "and a crash after that is an ordinary backoff");

	/* A small cap, as in a test configuration. */
	struct restart_policy small = policy;
	small.backoff_max_ms = 2000;
	small.cooldown_max_ms = 3000;
	small.fail_count = 3;
	restart_reset(&st);
	t = 0;
	crash_until_failed(&small, &st, &t, 100);
	is_int(st.last_delay_ms, 3000, "FAILED after three: the wait is "
	       "capped at cooldown_max (3 s)");

	/* cooldown_max below backoff_max is honoured as written. */
	struct restart_policy shy = policy;
	shy.cooldown_max_ms = 500;
	restart_reset(&st);
	t = 0;
	is_int(crash_until_failed(&shy, &st, &t, 100), 500,
	       "cooldown_max below backoff_max caps the cool-down");
}

static void test_start_failure(void)
{
	struct restart_state st;

	restart_reset(&st);
	is_int(restart_after_start_failure(&policy, &st, 0), 1000,
	       "a start that cannot work waits backoff_initial");
	ok(st.failed && st.exit_count == 1, "and is FAILED at once");
	is_int(restart_after_start_failure(&policy, &st, 1000), 2000,
	       "the next failure doubles");
	for (int i = 0; i < 10; i++)
		restart_after_start_failure(&policy, &st, 2000 + i);
	is_int(st.last_delay_ms, 60000, "up to cooldown_max");
}

static void test_limits(void)
{
	struct restart_state st;
	long long t;

	/* fail_count 1: the first unexpected exit fails. */
	struct restart_policy strict = policy;
	strict.fail_count = 1;
	restart_reset(&st);
	restart_after_exit(&strict, &st, 0, 10);
	ok(st.failed, "fail_count 1 fails at once");

	/* More exits than the ring holds. */
	struct restart_policy many = policy;
	many.fail_count = RESTART_FAIL_MAX;
	many.fail_window_ms = 1000000000;
	restart_reset(&st);
	int n = 0;
	for (t = 0; !st.failed && n < 100; n++, t += 10)
		restart_after_exit(&many, &st, t, t + 5);
	is_int(n, RESTART_FAIL_MAX, "fail_count = RESTART_FAIL_MAX is honoured");
	ok(st.failed, "and ends FAILED");
}

int main(void)
{
	plan(33);
	test_backoff();
	test_cooldown();
	test_start_failure();
	test_limits();
	return exit_status();
}
