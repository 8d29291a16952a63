/*
 * guardian_restart.h - the guardian's restart policy as a pure function:
 * given when an instance started and when it died, how long to wait
 * before starting it again, and whether it is crash-looping (FAILED).
 *
 * Policy (numbers from the guardian.* settings of ems.conf):
 *   - the first delay is backoff_initial; each further unexpected exit
 *     doubles it up to backoff_max;
 *   - an instance that ran at least stable_after before it died starts
 *     again from backoff_initial, and its exit history starts over;
 *   - fail_count unexpected exits within fail_window mark it FAILED,
 *     which is a cool-down, not an end: the delay goes on doubling, now
 *     up to cooldown_max, and the guardian keeps trying for ever, until
 *     a run lasts stable_after (back to normal) or an administrator
 *     starts it (restart_reset());
 *   - a start that cannot work by retrying at once (program missing,
 *     exec refused) enters the cool-down straight away.
 * Times are milliseconds of CLOCK_MONOTONIC; nothing here reads a clock,
 * which is what lets t/unit/guardian_restart.c test it.
 */
#ifndef EMS_GUARDIAN_RESTART_H
#define EMS_GUARDIAN_RESTART_H

#include <stdbool.h>

/* Most exits remembered for crash-loop detection: the upper bound of
 * guardian.fail_count. */
#define RESTART_FAIL_MAX 32

struct restart_policy {
	long long backoff_initial_ms;
	long long backoff_max_ms;
	long long cooldown_max_ms;      /* cap of the delay while FAILED */
	long long stable_after_ms;
	long long fail_window_ms;
	unsigned fail_count;            /* 1..RESTART_FAIL_MAX */
};

struct restart_state {
	long long last_delay_ms;        /* 0: none yet, next is backoff_initial */
	long long exit_times[RESTART_FAIL_MAX]; /* ring of recent exit times */
	unsigned nexits;                /* valid entries in exit_times[] */
	unsigned head;                  /* next slot to write */
	unsigned exit_count;            /* unexpected exits since the last
	                                   stable run or reset */
	bool failed;                    /* crash-looping: in the cool-down */
};

/*
 * Records an unexpected exit at EXITED_MS of an instance started at
 * STARTED_MS.  Returns the delay in milliseconds before it should start
 * again (never negative); STATE->failed tells whether the instance is
 * now in the crash-loop cool-down (FAILED).
 */
long long restart_after_exit(const struct restart_policy *policy,
                             struct restart_state *state,
                             long long started_ms, long long exited_ms);

/*
 * A start that failed in a way an immediate retry cannot mend (AT_MS:
 * when).  Enters the cool-down and returns the delay before the next
 * attempt.
 */
long long restart_after_start_failure(const struct restart_policy *policy,
                                      struct restart_state *state,
                                      long long at_ms);

/* Forgets the history: an administrator started the instance again. */
void restart_reset(struct restart_state *state);

#endif
