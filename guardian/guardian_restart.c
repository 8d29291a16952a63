/*
 * guardian_restart.c - backoff and crash-loop cool-down for the
 * guardian's children; see guardian_restart.h.  Pure: no clock, no I/O.
 */
#include "guardian_restart.h"

#include <string.h>

void restart_reset(struct restart_state *state)
{
	memset(state, 0, sizeof *state);
}

static void remember_exit(struct restart_state *state, long long when)
{
	state->exit_times[state->head] = when;
	state->head = (state->head + 1) % RESTART_FAIL_MAX;
	if (state->nexits < RESTART_FAIL_MAX)
		state->nexits++;
	state->exit_count++;
}

/* The exit time N-1 exits before the latest one (N >= 1). */
static long long nth_latest_exit(const struct restart_state *state, unsigned n)
{
	unsigned idx = (state->head + RESTART_FAIL_MAX - n) % RESTART_FAIL_MAX;
	return state->exit_times[idx];
}

static int crash_looping(const struct restart_policy *policy,
                         const struct restart_state *state, long long now)
{
	unsigned count = policy->fail_count;

	if (count < 1)
		count = 1;
	if (count > RESTART_FAIL_MAX)
		count = RESTART_FAIL_MAX;
	if (state->nexits < count)
		return 0;
	return now - nth_latest_exit(state, count) <= policy->fail_window_ms;
}

/* The next delay: double the last one (backoff_initial at first), capped
 * by backoff_max, or by cooldown_max while FAILED. */
static long long next_delay(const struct restart_policy *policy,
                            struct restart_state *state)
{
	long long cap = state->failed ? policy->cooldown_max_ms
	                              : policy->backoff_max_ms;
	long long delay = state->last_delay_ms > 0 ? state->last_delay_ms * 2
	                                           : policy->backoff_initial_ms;

	if (delay > cap)
		delay = cap;
	if (delay < 0)
		delay = 0;
	state->last_delay_ms = delay;
	return delay;
}

long long restart_after_exit(const struct restart_policy *policy,
                             struct restart_state *state,
                             long long started_ms, long long exited_ms)
{
	if (exited_ms - started_ms >= policy->stable_after_ms) {
		/* It was not crash-looping: the old exits no longer count. */
		restart_reset(state);
	}
	remember_exit(state, exited_ms);
	if (!state->failed && crash_looping(policy, state, exited_ms))
		state->failed = true;
	return next_delay(policy, state);
}

long long restart_after_start_failure(const struct restart_policy *policy,
                                      struct restart_state *state,
                                      long long at_ms)
{
	remember_exit(state, at_ms);
	state->failed = true;
	return next_delay(policy, state);
}
