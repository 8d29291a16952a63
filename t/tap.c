/* tap.c - the TAP helper the C unit tests link with; see tap.h. */
#include "tap.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A failing test shows at most this many last lines of its log. */
#define LOG_TAIL_LINES 200

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

void skip(int n, const char *why)
{
	for (int i = 0; i < n; i++)
		printf("ok %d # SKIP %s\n", ++tests_run, why);
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

/*
 * Test output shows failures, not logs.  Before main(), a test's standard
 * error (what the code under test logs before log_open(), sanitizer
 * reports) is sent to its own file, BUILD/t/log/NAME.log for the binary
 * BUILD/t/unit/NAME.  A parent process waits for the test and prints the
 * end of that file on its standard error, which prove shows, only when
 * the test fails: a non-zero exit, or a crash that no atexit() handler
 * would see.  EMS_TEST_STDERR=1 leaves standard error alone.
 */
static int log_path_of(char *out, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *unit;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	unit = strstr(exe, "/t/unit/");
	if (unit == NULL || strchr(unit + 8, '/') != NULL)
		return -1;
	*unit = '\0';
	if ((size_t)snprintf(out, size, "%s/t/log", exe) >= size)
		return -1;
	if (mkdir(out, 0755) < 0 && access(out, W_OK) < 0)
		return -1;
	if ((size_t)snprintf(out, size, "%s/t/log/%s.log", exe, unit + 8) >= size)
		return -1;
	return 0;
}

static void print_tail(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	long lines = 0, skip;

	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL)
		lines++;
	skip = lines > LOG_TAIL_LINES ? lines - LOG_TAIL_LINES : 0;
	if (lines > 0)
		fprintf(stderr, "# --- %s%s\n", path,
		        skip > 0 ? " (its last lines)" : "");
	rewind(f);
	for (long i = 0; fgets(line, sizeof line, f) != NULL; i++)
		if (i >= skip)
			fprintf(stderr, "# %s%s", line,
			        strchr(line, '\n') != NULL ? "" : "\n");
	fclose(f);
}

static pid_t test_pid;

static void forward_signal(int sig)
{
	kill(test_pid, sig);
}

/* The parent's part: waits for the test and leaves as it did. */
static void wait_for_test(const char *path)
{
	int status;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, forward_signal);
	while (waitpid(test_pid, &status, 0) < 0)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		print_tail(path);
		fflush(stderr);
	}
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

__attribute__((constructor)) static void quiet_stderr(void)
{
	static char path[PATH_MAX];
	const char *keep = getenv("EMS_TEST_STDERR");
	int fd;

	if ((keep != NULL && *keep != '\0') || log_path_of(path, sizeof path) < 0)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	fflush(NULL);
	test_pid = fork();
	if (test_pid < 0) {
		close(fd);
		return;
	}
	if (test_pid > 0) {
		close(fd);
		wait_for_test(path);
	}
	dup2(fd, STDERR_FILENO);
	close(fd);
}
