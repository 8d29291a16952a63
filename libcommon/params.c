/*
 * params.c - parses the process parameters every ems program takes from
 * the guardian (environment) or its command line; see params.h.
 */
#include "params.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char params_usage[] =
    "  -c, --config FILE   ems.conf to read (default " PARAMS_DEFAULT_CONFIG ")\n"
    "      --instance N    instance number, 1..99 (default 1)\n"
    "      --flags F       process flags, 0..65535; 64 = dedicated to SSL/TLS\n"
    "      --confm FILE    this instance's own configuration file\n"
    "      --maxclt M      maximum clients, 0..100000 (0 = program default)\n"
    "  -h, --help          show this help\n";

/* Parses a whole decimal (or 0x hex when HEX_OK) number in [min, max]. */
static int parse_number(const char *what, const char *text, long min,
                        long max, bool hex_ok, long *out)
{
	char *end;
	errno = 0;
	int base = hex_ok && (strncmp(text, "0x", 2) == 0 ||
	                      strncmp(text, "0X", 2) == 0) ? 16 : 10;
	long v = strtol(text, &end, base);
	if (*text == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max ||
	    (base == 10 && (*text == '+' || *text == ' '))) {
		log_error("params", "option=%s value=%s error=\"must be a number from %ld to %ld\"",
		          what, log_quote(text), min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int set_value(struct proc_params *p, const char *opt, const char *val)
{
	long v;
	if (strcmp(opt, "config") == 0) {
		if (*val == '\0') {
			log_error("params", "option=config error=\"empty file name\"");
			return -1;
		}
		p->config_path = val;
	} else if (strcmp(opt, "confm") == 0) {
		p->confm = *val ? val : NULL;
	} else if (strcmp(opt, "instance") == 0) {
		if (parse_number(opt, val, 1, PARAMS_INSTANCE_MAX, false, &v) < 0)
			return -1;
		p->instance = (int)v;
	} else if (strcmp(opt, "flags") == 0) {
		if (parse_number(opt, val, 0, PARAMS_FLAGS_MAX, true, &v) < 0)
			return -1;
		p->flags = (unsigned)v;
	} else {
		if (parse_number(opt, val, 0, PARAMS_MAXCLT_MAX, false, &v) < 0)
			return -1;
		p->maxclt = (int)v;
	}
	return 0;
}

static const struct {
	const char *env;
	const char *opt;
} env_names[] = {
	{ "EMS_CONFIG", "config" },   { "EMS_INSTANCE", "instance" },
	{ "EMS_FLAGS", "flags" },     { "EMS_CONFM", "confm" },
	{ "EMS_MAXCLT", "maxclt" },
};

static int from_environment(struct proc_params *p)
{
	for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++) {
		const char *val = getenv(env_names[i].env);
		if (val != NULL && set_value(p, env_names[i].opt, val) < 0) {
			log_error("params", "source=environment variable=%s", env_names[i].env);
			return -1;
		}
	}
	return 0;
}

/* Maps "-c"/"--config"/"--instance"... to the option name, or NULL. */
static const char *option_name(const char *arg)
{
	static const char *const names[] = { "config", "instance", "flags",
	                                     "confm", "maxclt" };
	if (strcmp(arg, "-c") == 0)
		return "config";
	if (strncmp(arg, "--", 2) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(arg + 2, names[i]) == 0)
			return names[i];
	return NULL;
}

enum params_result params_parse(struct proc_params *p, int argc,
                                char *const argv[], int *next)
{
	*p = (struct proc_params){ .config_path = PARAMS_DEFAULT_CONFIG,
	                           .instance = 1 };
	if (from_environment(p) < 0)
		return PARAMS_ERROR;
	int i = 1;
	for (; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
			return PARAMS_HELP;
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		const char *opt = option_name(arg);
		if (opt == NULL)
			break;
		if (i + 1 >= argc) {
			log_error("params", "option=%s error=\"needs a value\"", arg);
			return PARAMS_ERROR;
		}
		if (set_value(p, opt, argv[++i]) < 0)
			return PARAMS_ERROR;
	}
	*next = i;
	return PARAMS_OK;
}

bool params_ssl(const struct proc_params *p)
{
	return (p->flags & PROC_FLAG_SSL) != 0;
}

int params_to_env(const struct proc_params *p)
{
	char num[3][16];
	snprintf(num[0], sizeof num[0], "%d", p->instance);
	snprintf(num[1], sizeof num[1], "%u", p->flags);
	snprintf(num[2], sizeof num[2], "%d", p->maxclt);
	if (setenv("EMS_CONFIG", p->config_path, 1) < 0 ||
	    setenv("EMS_INSTANCE", num[0], 1) < 0 ||
	    setenv("EMS_FLAGS", num[1], 1) < 0 ||
	    setenv("EMS_MAXCLT", num[2], 1) < 0 ||
	    (p->confm ? setenv("EMS_CONFM", p->confm, 1) : unsetenv("EMS_CONFM")) < 0) {
		log_error("params", "op=setenv error=%s", log_quote(strerror(errno)));
		return -1;
	}
	return 0;
}
