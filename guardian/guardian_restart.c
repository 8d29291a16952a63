/*
 * guardian_restart.c - backoff and crash-loop detection for the
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
	state->exits[state->head] = when;
	state->head = (state->head + 1) % RESTART_FAIL_MAX;
	if (state->nexits < RESTART_FAIL_MAX)
		state->nexits++;
}

/* The exit time N-1 exits before the latest one (N >= 1). */
static long long nth_latest_exit(const struct restart_state *state, unsigned n)
{
	unsigned idx = (state->head + RESTART_FAIL_MAX - n) % RESTART_FAIL_MAX;
	return state->exits[idx];
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

long long restart_after_exit(const struct restart_policy *policy,
                             struct restart_state *state,
                             long long started_ms, long long exited_ms)
{
	long long delay;

	if (exited_ms - started_ms >= policy->stable_after_ms)
		state->next_backoff_ms = 0;
	remember_exit(state, exited_ms);
	if (crash_looping(policy, state, exited_ms))
		return -1;
	delay = state->next_backoff_ms > 0 ? state->next_backoff_ms
	                                   : policy->backoff_initial_ms;
	if (delay > policy->backoff_max_ms)
		delay = policy->backoff_max_ms;
	state->next_backoff_ms = delay * 2 > policy->backoff_max_ms
	                         ? policy->backoff_max_ms : delay * 2;
	return delay;
}
