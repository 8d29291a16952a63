/* Unit tests for libcommon/params.c: the options every ems program takes,
 * good and bad values, environment vs command line, the SSL flag, and
 * the guardian's params_to_env() read back. */
#include "params.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define ARGV(...) ((char *[]){ "prog", __VA_ARGS__, NULL })
#define ARGC(a)   argc_of(a)

static const char *const env_names[] = {
	"EMS_CONFIG", "EMS_INSTANCE", "EMS_FLAGS", "EMS_CONFM", "EMS_MAXCLT", "EMS_POOL",
};

static int argc_of(char **argv)
{
	int n = 0;

	while (argv[n] != NULL)
		n++;
	return n;
}

static void clear_env(void)
{
	for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++)
		unsetenv(env_names[i]);
}

/* Parses ARGV; returns the result. */
static enum params_result parse(struct proc_params *p, char **argv, int *next)
{
	return params_parse(p, ARGC(argv), argv, next);
}

/* True when ARGV is refused. */
static int refused(char **argv)
{
	struct proc_params p;
	int next;

	return parse(&p, argv, &next) == PARAMS_ERROR;
}

static void test_defaults(void)
{
	struct proc_params p;
	int next = -1;

	is_int(parse(&p, ARGV(NULL), &next), PARAMS_OK, "no options is fine");
	is_int(next, 1, "nothing left over");
	is_str(p.config_path, "/etc/ems/ems.conf", "default config path");
	ok(p.instance == 1 && p.flags == 0 && p.maxclt == 0 && p.confm == NULL,
	   "defaults: instance 1, flags 0, maxclt 0, no confm");
	ok(!params_ssl(&p), "not SSL-dedicated by default");
}

static void test_good(void)
{
	struct proc_params p;
	int next = -1;
	char **a = ARGV("-c", "/x/ems.conf", "--instance", "2", "--flags", "0x40",
	                "--confm", "/x/pop.cfg", "--maxclt", "500", "-f", "rest");

	is_int(parse(&p, a, &next), PARAMS_OK, "every option parses");
	is_str(p.config_path, "/x/ems.conf", "-c read");
	is_int(p.instance, 2, "--instance read");
	is_int(p.flags, 64, "hex --flags read");
	ok(params_ssl(&p), "flag 64 means SSL-dedicated");
	is_str(p.confm, "/x/pop.cfg", "--confm read");
	is_int(p.maxclt, 500, "--maxclt read");
	is_int(next, 11, "parsing stops at the program's own option");
	is_str(a[next], "-f", "which is left to the program");

	parse(&p, ARGV("--config=/y.conf", "--flags=65", "--instance=99", "sender"), &next);
	ok(strcmp(p.config_path, "/y.conf") == 0 && p.flags == 65 && p.instance == 99,
	   "--name=value form");
	ok(params_ssl(&p), "SSL bit found among other bits (65)");
	is_int(next, 4, "a positional argument ends the options");
	parse(&p, ARGV("--flags", "0X41"), &next);
	is_int(p.flags, 65, "0X hex prefix");
	parse(&p, ARGV("--flags", "128"), &next);
	ok(p.flags == 128 && !params_ssl(&p), "decimal flags without bit 64");
	parse(&p, ARGV("--maxclt", "0", "--maxclt", "100000"), &next);
	is_int(p.maxclt, 100000, "maxclt upper bound, last one wins");
	parse(&p, ARGV("--confm", ""), &next);
	ok(p.confm == NULL, "empty --confm means none");
	parse(&p, ARGV("--maxclt", "3", "--", "--instance", "4"), &next);
	ok(next == 4 && p.instance == 1, "-- ends the common options (and is consumed)");
	parse(&p, ARGV("--instancex", "4"), &next);
	ok(next == 1 && p.instance == 1, "an unknown option is left to the program");
}

static void test_bad(void)
{
	ok(refused(ARGV("--instance", "0")), "instance 0 refused");
	ok(refused(ARGV("--instance", "100")), "instance 100 refused");
	ok(refused(ARGV("--instance", "3x")), "trailing junk refused");
	ok(refused(ARGV("--instance", "")), "empty number refused");
	ok(refused(ARGV("--instance", " 3")), "leading blank refused");
	ok(refused(ARGV("--instance", "+3")), "sign refused");
	ok(refused(ARGV("--instance", "0x3")), "hex instance refused");
	ok(refused(ARGV("--instance=")), "empty --instance= refused");
	ok(refused(ARGV("--flags", "65536")), "flags over 65535 refused");
	ok(refused(ARGV("--flags", "0x10000")), "hex flags over 0xffff refused");
	ok(refused(ARGV("--flags", "-1")), "negative flags refused");
	ok(refused(ARGV("--flags", "0x")), "0x without digits refused");
	ok(refused(ARGV("--flags", "0x4g")), "bad hex digit refused");
	ok(refused(ARGV("--flags", "99999999999999999999")), "huge number refused");
	ok(refused(ARGV("--maxclt", "100001")), "maxclt over 100000 refused");
	ok(refused(ARGV("--maxclt", "many")), "maxclt not a number refused");
	ok(refused(ARGV("--maxclt")), "missing value refused");
	ok(refused(ARGV("--instance", "2", "-c")), "missing -c value refused");
	ok(refused(ARGV("-c", "")), "empty config path refused");
}

static void test_help(void)
{
	struct proc_params p;
	int next;

	is_int(parse(&p, ARGV("--help"), &next), PARAMS_HELP, "--help reported");
	is_int(parse(&p, ARGV("--maxclt", "2", "-h"), &next), PARAMS_HELP,
	       "-h after an option reported");
	ok(strstr(params_usage, "--maxclt") && strstr(params_usage, "--instance") &&
	   strstr(params_usage, "--flags") && strstr(params_usage, "--confm") &&
	   strstr(params_usage, "--config"), "usage text names every option");
}

static void test_environment(void)
{
	struct proc_params p;
	int next;

	setenv("EMS_CONFIG", "/env.conf", 1);
	setenv("EMS_INSTANCE", "7", 1);
	setenv("EMS_FLAGS", "0x40", 1);
	setenv("EMS_CONFM", "/env.cfg", 1);
	setenv("EMS_MAXCLT", "20", 1);
	is_int(parse(&p, ARGV(NULL), &next), PARAMS_OK, "environment parses");
	ok(strcmp(p.config_path, "/env.conf") == 0 && p.instance == 7 &&
	   p.flags == 64 && strcmp(p.confm, "/env.cfg") == 0 && p.maxclt == 20,
	   "every variable read");
	parse(&p, ARGV("--maxclt", "30", "-c", "/argv.conf"), &next);
	ok(p.maxclt == 30 && strcmp(p.config_path, "/argv.conf") == 0,
	   "command line wins over environment");
	is_int(p.instance, 7, "variables not overridden stay");
	setenv("EMS_INSTANCE", "", 1);
	parse(&p, ARGV(NULL), &next);
	is_int(p.instance, 1, "an empty variable counts as unset");
	setenv("EMS_INSTANCE", "zero", 1);
	ok(refused(ARGV(NULL)), "bad environment value refused");
	ok(refused(ARGV("--instance", "2")),
	   "a bad variable is refused even when the option replaces it");
	clear_env();
}

static void test_to_env(void)
{
	struct proc_params p;
	int next;
	struct proc_params out = { .config_path = "/e.conf", .instance = 4,
	                           .flags = 64, .confm = "/c.cfg", .maxclt = 9 };

	is_int(params_to_env(&out), 0, "params_to_env succeeds");
	parse(&p, ARGV(NULL), &next);
	ok(strcmp(p.config_path, "/e.conf") == 0 && p.instance == 4 &&
	   p.flags == 64 && strcmp(p.confm, "/c.cfg") == 0 && p.maxclt == 9,
	   "params_to_env round-trips through the environment");
	out.confm = NULL;
	params_to_env(&out);
	ok(getenv("EMS_CONFM") == NULL, "no confm removes EMS_CONFM");
	clear_env();
}

/* --pool / EMS_POOL: an instance's store pool size. */
static void test_pool(void)
{
	struct proc_params p;
	int next;

	parse(&p, ARGV("-c", "/x.conf"), &next);
	ok(!p.has_pool, "no --pool: ems.conf's store.pool");
	parse(&p, ARGV("--pool", "2,8,2,60"), &next);
	ok(p.has_pool && p.pool.min == 2 && p.pool.max == 8 && p.pool.increment == 2 &&
	   p.pool.idle_timeout_s == 60, "--pool MIN,MAX,INC,IDLE read");
	ok(refused(ARGV("--pool", "3,2,1,0")), "--pool with min above max refused");
	ok(refused(ARGV("--pool", "0,17,1,0")), "--pool past 16 threads refused");
	ok(refused(ARGV("--pool", "1,2,0,0")), "--pool with increment 0 refused");
	ok(refused(ARGV("--pool", "1,2,1")), "--pool with three numbers refused");
	ok(refused(ARGV("--pool", "1,2,1,5x")), "--pool with trailing junk refused");
	ok(refused(ARGV("--pool", " 1,2,1,5")), "--pool with a blank refused");
	struct proc_params out = { .config_path = "/e.conf", .instance = 1, .has_pool = true,
	                           .pool = { 0, 4, 1, 30 } };
	params_to_env(&out);
	parse(&p, ARGV(NULL), &next);
	ok(p.has_pool && p.pool.max == 4 && p.pool.idle_timeout_s == 30,
	   "the pool round-trips through EMS_POOL");
	out.has_pool = false;
	params_to_env(&out);
	ok(getenv("EMS_POOL") == NULL, "no pool removes EMS_POOL");
	clear_env();
}

int main(void)
{
	clear_env();
	test_defaults();
	test_good();
	test_bad();
	test_help();
	test_environment();
	test_to_env();
	test_pool();
	done_testing();
	return exit_status();
}
