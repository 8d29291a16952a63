/* tap.c - the TAP helper the C unit tests link with; see tap.h. */
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tests_run;
static int tests_failed;
static int tests_planned = -1;
static char tmpdir[256];

void plan(int n)
{
	tests_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

void done_testing(void)
{
	tests_planned = tests_run;
	printf("1..%d\n", tests_run);
	fflush(stdout);
}

static int report(int cond, const char *fmt, va_list ap)
{
	tests_run++;
	if (!cond)
		tests_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tests_run);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	return cond;
}

int is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	int cond = got == want;
	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("     got: %lld\n#     expected: %lld", got, want);
	return cond;
}

int is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int cond = (got == NULL && want == NULL) ||
	           (got != NULL && want != NULL && strcmp(got, want) == 0);
	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("     got: '%s'\n#     expected: '%s'", got ? got : "(null)",
		     want ? want : "(null)");
	return cond;
}

int is_mem(const void *got, size_t got_len, const void *want, size_t want_len,
           const char *fmt, ...)
{
	va_list ap;
	int cond = got_len == want_len &&
	           (got_len == 0 || memcmp(got, want, got_len) == 0);
	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("     got %zu bytes: '%.*s'\n#     expected %zu bytes: '%.*s'",
		     got_len, (int)(got_len > 200 ? 200 : got_len),
		     got ? (const char *)got : "", want_len,
		     (int)(want_len > 200 ? 200 : want_len),
		     want ? (const char *)want : "");
	return cond;
}

void diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(0);
}

static void tap_cleanup(void)
{
	char cmd[300];
	if (tmpdir[0] == '\0')
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "tap: could not remove %s\n", tmpdir);
}

const char *tap_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	if (tmpdir[0] != '\0')
		return tmpdir;
	snprintf(tmpdir, sizeof tmpdir, "%s/ems-unit-XXXXXX",
	         base && *base ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	atexit(tap_cleanup);
	return tmpdir;
}

int exit_status(void)
{
	if (tests_failed > 0)
		return 1;
	if (tests_planned >= 0 && tests_planned != tests_run)
		return 1;
	return 0;
}
