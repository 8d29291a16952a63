/*
 * tap.h - a small Test Anything Protocol helper for the C unit tests in
 * t/unit/.  Each test program calls plan() (or done_testing() at the
 * end), then ok()/is_int()/is_str()..., and returns exit_status().
 * prove(1) reads the output.
 *
 * Linking tap.o also makes the test quiet: before main() its standard
 * error goes to BUILD/t/log/NAME.log, printed (its last lines) by a
 * waiting parent process only when the test fails or crashes.
 * EMS_TEST_STDERR=1 leaves standard error alone.
 */
#ifndef EMS_TAP_H
#define EMS_TAP_H

#include <stddef.h>

/* Announces N tests ("1..N"). */
void plan(int n);
/* Prints the plan for the tests run so far; use instead of plan(). */
void done_testing(void);

/* Each returns COND (non-zero when the test passed) and prints ok/not ok
 * with the printf-style description. */
int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int is_int(long long got, long long want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int is_str(const char *got, const char *want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int is_mem(const void *got, size_t got_len, const void *want, size_t want_len,
           const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Prints "# ..." to stdout (a diagnostic prove shows with -v). */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Records N tests as skipped, for the reason WHY. */
void skip(int n, const char *why);

/* Skips the whole program ("1..0 # SKIP why") and exits 0. */
void skip_all(const char *why) __attribute__((noreturn));

/* Returns a fresh directory under $TMPDIR for this test, removed by
 * tap_cleanup() (registered with atexit on first use). */
const char *tap_tmpdir(void);

/* 0 when every test passed and the plan matched, 1 otherwise. */
int exit_status(void);

#endif
