/*
 * log.h - the one logging call of every ems program.
 *
 * Each event is one line of key=value fields:
 *
 *   2026-11-22T17:55:08.123Z level=info proc=pop3srv01 pid=4711 event=login user=demo
 *
 * written to the process's own log file, named as in the seeds
 * <node>_<process><NN>.log inside the log directory, and optionally to
 * syslog (which reaches the journal under systemd).  Before log_open()
 * lines go to stderr, so a program that fails while starting still says
 * why.
 *
 * Error idiom used throughout ems: a function that can fail returns 0 on
 * success and -1 on failure (or NULL for pointers) after it has logged
 * the reason with log_warn()/log_error().  Callers add context only when
 * they have something to add; they never log the same failure twice.
 *
 * Values that may hold spaces or quotes must go through log_quote().
 * Never pass a password, a SASL response or a message body to a log call.
 */
#ifndef EMS_LOG_H
#define EMS_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int log_level_parse(const char *name);
const char *log_level_name(enum log_level level);

/*
 * Starts logging for program PROG (short name such as "pop3", "postman")
 * instance INSTANCE (0 means "no number"; the file then has none) to
 * LOG_DIR/<node>_<prog><NN>.log.  LOG_DIR NULL keeps stderr only.
 * USE_SYSLOG also sends each line to syslog(3).  Returns 0, or -1 after
 * reporting the reason on stderr (the log stays on stderr then).
 */
int log_open(const char *node, const char *prog, int instance,
             const char *log_dir, enum log_level level, bool use_syslog);

/* Reopens the log file (after rotation; call from the SIGHUP handler's
 * loop callback, not from the signal handler).  Returns 0 or -1. */
int log_reopen(void);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Path of the current log file, or NULL when logging to stderr. */
const char *log_path(void);

void log_close(void);

/*
 * Writes one event: EVENT is a short word ("login", "store_open"),
 * FMT/... are further " key=value" fields without a leading space.
 * FMT may be NULL.
 */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_eventv(enum log_level level, const char *event, const char *fmt,
                va_list ap);

#define log_error(ev, ...) log_event(LOG_LVL_ERROR, ev, __VA_ARGS__)
#define log_warn(ev, ...)  log_event(LOG_LVL_WARN, ev, __VA_ARGS__)
#define log_info(ev, ...)  log_event(LOG_LVL_INFO, ev, __VA_ARGS__)
#define log_debug(ev, ...) log_event(LOG_LVL_DEBUG, ev, __VA_ARGS__)

/*
 * Returns VALUE ready for a key=value field: unchanged when it holds no
 * space, quote, '=' or control character, else in double quotes with
 * \" \\ and \xNN escapes.  The result lives in one of a few rotating
 * buffers of the calling thread (so several may appear in one log call,
 * and threads do not overwrite each other's) and is cut at 256 bytes.
 */
const char *log_quote(const char *value);

#endif
