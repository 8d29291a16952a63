/*
 * config_check.h - internal to config.c: checks a parsed ems.conf against
 * the schema (config_check.c, config_schema.c) and its number literals
 * (config_numbers.c), and collects the errors config_errors() returns.
 * Programs use config.h, not this.
 */
#ifndef EMS_CONFIG_CHECK_H
#define EMS_CONFIG_CHECK_H

#include <libconfig.h>

/* Forgets the errors of the previous load. */
void config_errors_reset(void);

/* Records and logs (event=config) one "FILE:LINE: message" error. */
void config_error(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Number of errors recorded since config_errors_reset(). */
int config_error_count(void);

/*
 * Checks every setting of LC against the schema: unknown keys, wrong
 * types, numbers out of range, words not allowed, required keys missing
 * from list elements.  Each setting that passes gets its schema row as
 * its libconfig hook (config.c's lookups rely on it).  FILE names the
 * file in messages when libconfig does not know it.  Returns 0, or -1
 * after recording every error found.
 */
int config_check(config_t *lc, const char *file);

/*
 * Checks the integer literals of FILE (one file libconfig has parsed):
 * libconfig 1.5 wraps a literal beyond 32 bits that lacks the L suffix
 * (4294967297 becomes 1) without a word, so such literals are errors
 * here, as are literals beyond 64 bits.  Returns 0, or -1 after recording
 * each one.
 */
int config_check_numbers(const char *file);

#endif
