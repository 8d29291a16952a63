/* Unit tests for guardian/guardian_restart.c: exponential backoff with a
 * cap, reset after a stable run, FAILED after fail_count exits within
 * fail_window, and a fresh start after restart_reset(). */
#include "../../guardian/guardian_restart.h"
#include "tap.h"

static const struct restart_policy policy = {
	.backoff_initial_ms = 1000,
	.backoff_max_ms = 8000,
	.stable_after_ms = 60000,
	.fail_window_ms = 120000,
	.fail_count = 5,
};

int main(void)
{
	struct restart_state st;
	struct restart_policy loose = policy;
	long long t = 0;

	plan(14);
	restart_reset(&st);
	is_int(restart_after_exit(&policy, &st, 0, 100), 1000,
	       "first crash waits backoff_initial");
	is_int(restart_after_exit(&policy, &st, 1100, 1200), 2000,
	       "second crash doubles");
	is_int(restart_after_exit(&policy, &st, 3200, 3300), 4000,
	       "third doubles again");
	is_int(restart_after_exit(&policy, &st, 7300, 7400), 8000,
	       "fourth reaches the cap");
	is_int(restart_after_exit(&policy, &st, 15400, 15500), -1,
	       "fifth crash within the window: FAILED");

	restart_reset(&st);
	is_int(restart_after_exit(&policy, &st, 0, 100), 1000,
	       "after restart_reset the backoff starts over");

	/* Crashes spaced wider than the window never fail. */
	loose.fail_count = 3;
	loose.fail_window_ms = 5000;
	restart_reset(&st);
	int failed = 0;
	for (int i = 0; i < 10; i++, t += 10000)
		failed |= restart_after_exit(&loose, &st, t, t + 100) < 0;
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

	/* fail_count 1: the first unexpected exit fails. */
	struct restart_policy strict = policy;
	strict.fail_count = 1;
	restart_reset(&st);
	is_int(restart_after_exit(&strict, &st, 0, 10), -1,
	       "fail_count 1 fails at once");

	/* More exits than the ring holds. */
	struct restart_policy many = policy;
	many.fail_count = RESTART_FAIL_MAX;
	many.fail_window_ms = 1000000;
	restart_reset(&st);
	long long rc = 0;
	int n = 0;
	for (t = 0; rc >= 0 && n < 100; n++, t += 10)
		rc = restart_after_exit(&many, &st, t, t + 5);
	is_int(n, RESTART_FAIL_MAX, "fail_count = RESTART_FAIL_MAX is honoured");
	is_int(rc, -1, "and ends FAILED");
	return exit_status();
}
