/*
 * params.h - the process-parameter contract: how every ems program learns
 * its instance number, flags, own configuration file and client limit.
 *
 * The guardian starts each registered instance with these in the
 * environment (EMS_CONFIG, EMS_INSTANCE, EMS_FLAGS, EMS_CONFM,
 * EMS_MAXCLT; an empty variable counts as unset); an administrator or a
 * test may give the same on the command line, which wins over the
 * environment:
 *
 *   -c FILE | --config FILE   ems.conf            (default /etc/ems/ems.conf)
 *   --instance N              1..99               (default 1)
 *   --flags F                 0..65535, decimal or 0x hex (default 0)
 *   --confm FILE              the instance's own config file (default none)
 *   --maxclt M                0..100000 clients, 0 = program default
 *   --pool MIN,MAX,INC,IDLE   the store pool's size (store_pool.h):
 *                             threads MIN 0..16, MAX 1..16 (MIN <= MAX),
 *                             INC 1..16 more at a time, IDLE 0..86400
 *                             seconds idle before a thread above MIN
 *                             ends (default: ems.conf's store.pool)
 *   -h | --help
 *
 * Long options also take "--name=VALUE".  Flag bit 64 marks an instance
 * dedicated to SSL/TLS, as in the seeds' process table.
 *
 * A program's own options and operands come after these: params_parse()
 * stops at the first argument it does not know and says where, so
 *
 *   smtpgw -c /etc/ems/ems.conf -f sender@example.org rcpt@example.test
 *
 * leaves "-f" and what follows to smtpgw, which must itself refuse an
 * option it does not know (a typo such as "--instnace" arrives there).
 */
#ifndef EMS_PARAMS_H
#define EMS_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#define PROC_FLAG_SSL 64u

#define PARAMS_DEFAULT_CONFIG "/etc/ems/ems.conf"
#define PARAMS_INSTANCE_MAX   99
#define PARAMS_FLAGS_MAX      65535
#define PARAMS_MAXCLT_MAX     100000
#define PARAMS_POOL_THREADS_MAX 16      /* STORE_POOL_THREADS_MAX */
#define PARAMS_POOL_IDLE_MAX  86400

/* An instance's own store pool size (see --pool). */
struct proc_pool {
	unsigned min, max, increment, idle_timeout_s;
};

struct proc_params {
	const char *config_path;   /* points into argv/environ or a literal */
	int instance;
	unsigned flags;
	const char *confm;         /* NULL when none */
	int maxclt;
	bool has_pool;             /* --pool given: POOL overrides store.pool */
	struct proc_pool pool;
};

enum params_result {
	PARAMS_OK = 0,
	PARAMS_ERROR = -1,     /* reason logged (stderr before log_open) */
	PARAMS_HELP = 1,       /* -h/--help: print usage and exit 0 */
};

/*
 * Fills P with the defaults, then from the environment, then from the
 * options at the front of ARGV (ARGV[0] is the program name).  Parsing
 * stops at the first argument that is not one of the options above ("--"
 * is consumed); *NEXT receives its index (ARGC when none is left) so the
 * program can read its own options and operands from there.  Strings in
 * P point into ARGV, the environment or static storage.
 *
 * Returns PARAMS_OK; PARAMS_HELP at -h/--help (the caller prints its
 * usage, with params_usage, and exits 0); or PARAMS_ERROR for a bad value
 * (not a number, trailing junk, out of range, empty config path) or a
 * missing one, after logging a message naming the option or variable and
 * the value (on stderr before log_open()).
 */
enum params_result params_parse(struct proc_params *p, int argc,
                                char *const argv[], int *next);

/* True when the instance is dedicated to SSL/TLS (flags bit 64). */
bool params_ssl(const struct proc_params *p);

/* Exports P as the EMS_* environment variables (EMS_CONFM and EMS_POOL
 * removed when P has none) for a child about to be exec'd, so that its params_parse()
 * reads P back.  Returns 0 or -1 (logged). */
int params_to_env(const struct proc_params *p);

/* Parses TEXT as --pool's value "MIN,MAX,INC,IDLE" (MIN 0..MAX, MAX and
 * INC 1..16, IDLE 0..86400) into *OUT.  Returns 0, or -1 (not logged). */
int params_pool_parse(const char *text, struct proc_pool *out);

/* Writes POOL as --pool's value "MIN,MAX,INC,IDLE" into OUT (SIZE
 * bytes, 48 are enough). */
void params_pool_text(const struct proc_pool *pool, char *out, size_t size);

/* The options above as lines for a program's --help text, each ending
 * in a newline. */
extern const char params_usage[];

#endif
