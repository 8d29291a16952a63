/*
 * guardian_restart.h - the guardian's restart policy as a pure function:
 * given when an instance started and when it died, how long to wait
 * before starting it again, or that it is FAILED.
 *
 * Policy (numbers from the guardian.* settings of ems.conf):
 *   - the first delay is backoff_initial; each further unexpected exit
 *     doubles it up to backoff_max;
 *   - an instance that ran at least stable_after before it died starts
 *     again from backoff_initial;
 *   - fail_count unexpected exits within fail_window mark it FAILED: the
 *     guardian logs it and leaves it alone until an administrator starts
 *     it again (restart_reset()).
 * Times are milliseconds of CLOCK_MONOTONIC; nothing here reads a clock,
 * which is what lets t/unit/guardian_restart.c test it.
 */
#ifndef EMS_GUARDIAN_RESTART_H
#define EMS_GUARDIAN_RESTART_H

/* Most exits remembered for crash-loop detection: the upper bound of
 * guardian.fail_count. */
#define RESTART_FAIL_MAX 32

struct restart_policy {
	long long backoff_initial_ms;
	long long backoff_max_ms;
	long long stable_after_ms;
	long long fail_window_ms;
	unsigned fail_count;            /* 1..RESTART_FAIL_MAX */
};

struct restart_state {
	long long next_backoff_ms;      /* 0: backoff_initial */
	long long exits[RESTART_FAIL_MAX]; /* ring of recent exit times */
	unsigned nexits;                /* valid entries in exits[] */
	unsigned head;                  /* next slot to write */
};

/*
 * Records an unexpected exit at EXITED_MS of an instance started at
 * STARTED_MS.  Returns the delay in milliseconds before it should start
 * again, or -1 when it has now failed fail_count times within
 * fail_window and must be marked FAILED.
 */
long long restart_after_exit(const struct restart_policy *policy,
                             struct restart_state *state,
                             long long started_ms, long long exited_ms);

/* Forgets the history: an administrator started the instance again. */
void restart_reset(struct restart_state *state);

#endif
