/*
 * log.c - key=value event lines to the process's own log file and,
 * optionally, syslog.  Every ems process logs through here; see log.h.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX   4096
#define LOG_QUOTE_MAX  256
#define LOG_QUOTE_SLOTS 4

static struct {
	int fd;                 /* -1: stderr */
	enum log_level level;
	bool use_syslog;
	char path[PATH_MAX];
	char proc[64];
} logst = { .fd = -1, .level = LOG_LVL_INFO };

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (name != NULL && strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *log_level_name(enum log_level level)
{
	return level <= LOG_LVL_DEBUG ? level_names[level] : "?";
}

static int open_log_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		fprintf(stderr, "log: cannot open %s: %s\n", path, strerror(errno));
	return fd;
}

int log_open(const char *node, const char *prog, int instance,
             const char *log_dir, enum log_level level, bool use_syslog)
{
	logst.level = level;
	if (instance > 0)
		snprintf(logst.proc, sizeof logst.proc, "%s%02d", prog, instance);
	else
		snprintf(logst.proc, sizeof logst.proc, "%s", prog);
	if (use_syslog && !logst.use_syslog)
		openlog(logst.proc, LOG_PID | LOG_NDELAY, LOG_MAIL);
	logst.use_syslog = use_syslog;
	if (log_dir == NULL)
		return 0;
	int n = snprintf(logst.path, sizeof logst.path, "%s/%s_%s.log", log_dir,
	                 node, logst.proc);
	if (n < 0 || (size_t)n >= sizeof logst.path) {
		fprintf(stderr, "log: log directory path too long: %s\n", log_dir);
		logst.path[0] = '\0';
		return -1;
	}
	int fd = open_log_file(logst.path);
	if (fd < 0) {
		logst.path[0] = '\0';
		return -1;
	}
	if (logst.fd >= 0)
		close(logst.fd);
	logst.fd = fd;
	return 0;
}

int log_reopen(void)
{
	if (logst.path[0] == '\0')
		return 0;
	int fd = open_log_file(logst.path);
	if (fd < 0)
		return -1;
	if (logst.fd >= 0)
		close(logst.fd);
	logst.fd = fd;
	return 0;
}

void log_set_level(enum log_level level)
{
	logst.level = level;
}

enum log_level log_get_level(void)
{
	return logst.level;
}

const char *log_path(void)
{
	return logst.fd >= 0 ? logst.path : NULL;
}

void log_close(void)
{
	if (logst.fd >= 0)
		close(logst.fd);
	logst.fd = -1;
	logst.path[0] = '\0';
	if (logst.use_syslog)
		closelog();
	logst.use_syslog = false;
}

static size_t format_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	int m = snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
	return n + (m > 0 ? (size_t)m : 0);
}

static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void log_eventv(enum log_level level, const char *event, const char *fmt,
                va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n;
	int saved_errno = errno;

	if (level > logst.level)
		return;
	n = format_time(line, sizeof line);
	size_t body = n + 1;
	int m = snprintf(line + n, sizeof line - n,
	                 " level=%s proc=%s pid=%ld event=%s",
	                 level_names[level], logst.proc[0] ? logst.proc : "ems",
	                 (long)getpid(), event);
	n += m > 0 ? (size_t)m : 0;
	if (fmt != NULL && *fmt != '\0' && n < sizeof line - 2) {
		line[n++] = ' ';
		m = vsnprintf(line + n, sizeof line - n, fmt, ap);
		n += m > 0 ? (size_t)m : 0;
	}
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	if (write(logst.fd >= 0 ? logst.fd : STDERR_FILENO, line, n) < 0) {
		/* Nowhere left to report a failing log; drop the line. */
	}
	if (logst.use_syslog)
		syslog(syslog_prio[level], "%.*s", (int)(n - body - 1), line + body);
	errno = saved_errno;
}

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_eventv(level, event, fmt, ap);
	va_end(ap);
}

static bool needs_quoting(const char *s)
{
	if (*s == '\0')
		return true;
	for (; *s; s++)
		if (*s == ' ' || *s == '"' || *s == '=' || *s == '\\' ||
		    (unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

const char *log_quote(const char *value)
{
	/* per thread: auth_async.h's check threads log too */
	static _Thread_local char slots[LOG_QUOTE_SLOTS][LOG_QUOTE_MAX];
	static _Thread_local unsigned next;
	char *out = slots[next++ % LOG_QUOTE_SLOTS];
	size_t n = 0;

	if (value == NULL)
		return "-";
	if (!needs_quoting(value))
		return value;
	out[n++] = '"';
	for (const unsigned char *s = (const unsigned char *)value;
	     *s && n < LOG_QUOTE_MAX - 6; s++) {
		if (*s == '"' || *s == '\\') {
			out[n++] = '\\';
			out[n++] = (char)*s;
		} else if (*s < 0x20 || *s == 0x7f) {
			n += (size_t)snprintf(out + n, LOG_QUOTE_MAX - n, "\\x%02x", *s);
		} else {
			out[n++] = (char)*s;
		}
	}
	out[n++] = '"';
	out[n] = '\0';
	return out;
}
