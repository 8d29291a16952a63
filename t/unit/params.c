/* Unit tests for libcommon/params.c: the options every ems program takes,
 * good and bad values, environment vs command line. */
#include "params.h"
#include "tap.h"

#include <stdlib.h>

#define ARGV(...) ((char *[]){ "prog", __VA_ARGS__, NULL })

static enum params_result parse(struct proc_params *p, char **argv, int argc,
                                int *next)
{
	return params_parse(p, argc, argv, next);
}

int main(void)
{
	struct proc_params p;
	int next;

	plan(24);
	unsetenv("EMS_CONFIG");
	unsetenv("EMS_INSTANCE");
	unsetenv("EMS_FLAGS");
	unsetenv("EMS_CONFM");
	unsetenv("EMS_MAXCLT");

	char *none[] = { "prog", NULL };
	is_int(parse(&p, none, 1, &next), PARAMS_OK, "no options is fine");
	is_str(p.config_path, PARAMS_DEFAULT_CONFIG, "default config path");
	ok(p.instance == 1 && p.flags == 0 && p.maxclt == 0 && p.confm == NULL,
	   "defaults: instance 1, flags 0, maxclt 0, no confm");

	char **a = ARGV("-c", "/x/ems.conf", "--instance", "2", "--flags", "0x40",
	                "--confm", "/x/pop.cfg", "--maxclt", "500", "-f", "rest");
	is_int(parse(&p, a, 13, &next), PARAMS_OK, "all options parse");
	ok(p.instance == 2 && p.maxclt == 500, "instance and maxclt read");
	is_int(p.flags, 64, "hex flags read");
	ok(params_ssl(&p), "flag 64 means SSL-dedicated");
	is_str(p.confm, "/x/pop.cfg", "confm read");
	is_int(next, 11, "parsing stops at the program's own option");

	char **dd = ARGV("--maxclt", "3", "--", "--instance");
	parse(&p, dd, 5, &next);
	is_int(next, 4, "-- ends the common options");

	is_int(parse(&p, ARGV("--instance", "0"), 3, &next), PARAMS_ERROR, "instance 0 refused");
	is_int(parse(&p, ARGV("--instance", "100"), 3, &next), PARAMS_ERROR, "instance 100 refused");
	is_int(parse(&p, ARGV("--instance", "3x"), 3, &next), PARAMS_ERROR, "trailing junk refused");
	is_int(parse(&p, ARGV("--instance", ""), 3, &next), PARAMS_ERROR, "empty number refused");
	is_int(parse(&p, ARGV("--flags", "65536"), 3, &next), PARAMS_ERROR, "flags over 65535 refused");
	is_int(parse(&p, ARGV("--flags", "-1"), 3, &next), PARAMS_ERROR, "negative flags refused");
	is_int(parse(&p, ARGV("--maxclt", "100001"), 3, &next), PARAMS_ERROR, "maxclt over limit refused");
	is_int(parse(&p, ARGV("--maxclt"), 2, &next), PARAMS_ERROR, "missing value refused");
	is_int(parse(&p, ARGV("-c", ""), 3, &next), PARAMS_ERROR, "empty config path refused");
	is_int(parse(&p, ARGV("--help"), 2, &next), PARAMS_HELP, "--help reported");

	setenv("EMS_INSTANCE", "7", 1);
	setenv("EMS_FLAGS", "64", 1);
	setenv("EMS_MAXCLT", "20", 1);
	parse(&p, ARGV("--maxclt", "30"), 3, &next);
	ok(p.instance == 7 && p.flags == 64, "environment read");
	is_int(p.maxclt, 30, "command line wins over environment");
	setenv("EMS_INSTANCE", "zero", 1);
	is_int(parse(&p, none, 1, &next), PARAMS_ERROR, "bad environment value refused");

	struct proc_params out = { .config_path = "/e.conf", .instance = 4,
	                           .flags = 64, .maxclt = 9 };
	params_to_env(&out);
	parse(&p, none, 1, &next);
	ok(p.instance == 4 && p.flags == 64 && p.maxclt == 9 && p.confm == NULL,
	   "params_to_env round-trips through the environment");
	return exit_status();
}
