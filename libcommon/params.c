/*
 * params.c - parses the process parameters every ems program takes from
 * the guardian (environment) or its command line; see params.h.  The
 * guardian's side of the contract is params_to_env().
 */
#include "params.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char params_usage[] =
    "  -c, --config FILE   ems.conf to read (default " PARAMS_DEFAULT_CONFIG ")\n"
    "      --instance N    instance number, 1..99 (default 1)\n"
    "      --flags F       process flags, 0..65535, decimal or 0x hex;\n"
    "                      64 = dedicated to SSL/TLS\n"
    "      --confm FILE    this instance's own configuration file\n"
    "      --maxclt M      maximum clients, 0..100000 (0 = program default)\n"
    "      --pool MIN,MAX,INC,IDLE\n"
    "                      store pool: threads at least MIN, at most MAX, INC\n"
    "                      more at a time, IDLE seconds before one above MIN\n"
    "                      ends (default: ems.conf's store.pool)\n"
    "  -h, --help          show this help\n";

/* One parameter: its long option, its variable, and its range. */
enum param_id { P_CONFIG, P_INSTANCE, P_FLAGS, P_CONFM, P_MAXCLT, P_POOL };

static const struct param {
	enum param_id id;
	const char *name;       /* --NAME */
	const char *env;
	long min, max;          /* numbers only */
} param_table[] = {
	{ P_CONFIG, "config", "EMS_CONFIG", 0, 0 },
	{ P_INSTANCE, "instance", "EMS_INSTANCE", 1, PARAMS_INSTANCE_MAX },
	{ P_FLAGS, "flags", "EMS_FLAGS", 0, PARAMS_FLAGS_MAX },
	{ P_CONFM, "confm", "EMS_CONFM", 0, 0 },
	{ P_MAXCLT, "maxclt", "EMS_MAXCLT", 0, PARAMS_MAXCLT_MAX },
	{ P_POOL, "pool", "EMS_POOL", 0, 0 },
};
#define NPARAMS (sizeof param_table / sizeof param_table[0])

/* Where a value came from, for the message: "option=--flags" or
 * "variable=EMS_FLAGS". */
struct origin {
	const char *key, *name;
	const char *dashes;
};

/* Parses the whole of TEXT as a number for PAR: decimal digits, or for
 * --flags also 0x and hex digits; no sign, no blanks, in [min, max]. */
static int parse_number(const struct param *par, const struct origin *from,
                        const char *text, long *out)
{
	bool hex_ok = par->id == P_FLAGS;
	bool hex = hex_ok && text[0] == '0' &&
	           (text[1] == 'x' || text[1] == 'X');
	const char *digits = hex ? text + 2 : text;
	bool starts = hex ? isxdigit((unsigned char)*digits)
	                  : isdigit((unsigned char)*digits);
	char *end = NULL;
	long v = 0;

	errno = 0;
	if (starts)
		v = strtol(digits, &end, hex ? 16 : 10);
	if (!starts || *end != '\0' || errno == ERANGE || v < par->min ||
	    v > par->max) {
		char why[96];
		snprintf(why, sizeof why, "must be a%s number from %ld to %ld",
		         hex_ok ? " decimal or 0x hex" : " decimal",
		         par->min, par->max);
		log_error("params", "%s=%s%s value=%s error=%s", from->key,
		          from->dashes, from->name, log_quote(text),
		          log_quote(why));
		return -1;
	}
	*out = v;
	return 0;
}

/* Parses "MIN,MAX,INC,IDLE" into P's pool; -1 (logged) when it is not
 * four numbers in range with MIN <= MAX. */
int params_pool_parse(const char *text, struct proc_pool *out)
{
	unsigned v[4];
	int used = -1;
	/* digits first: %u would take a sign or blanks */
	bool good = isdigit((unsigned char)text[0]) &&
	            sscanf(text, "%u,%u,%u,%u%n", &v[0], &v[1], &v[2], &v[3], &used) == 4 &&
	            used >= 0 && text[used] == '\0' &&
	            v[1] >= 1 && v[1] <= PARAMS_POOL_THREADS_MAX && v[0] <= v[1] &&
	            v[2] >= 1 && v[2] <= PARAMS_POOL_THREADS_MAX && v[3] <= PARAMS_POOL_IDLE_MAX;
	if (!good)
		return -1;
	*out = (struct proc_pool){ v[0], v[1], v[2], v[3] };
	return 0;
}

static int parse_pool(struct proc_params *p, const struct origin *from, const char *text)
{
	if (params_pool_parse(text, &p->pool) < 0) {
		log_error("params", "%s=%s%s value=%s error=%s", from->key, from->dashes, from->name,
		          log_quote(text), log_quote("must be MIN,MAX,INC,IDLE: MIN 0..MAX, "
		                                     "MAX and INC 1..16, IDLE 0..86400"));
		return -1;
	}
	p->has_pool = true;
	return 0;
}

static int set_value(struct proc_params *p, const struct param *par,
                     const struct origin *from, const char *val)
{
	long v = 0;

	if (par->id == P_CONFIG && *val == '\0') {
		log_error("params", "%s=%s%s error=\"empty file name\"",
		          from->key, from->dashes, from->name);
		return -1;
	}
	if ((par->id == P_INSTANCE || par->id == P_FLAGS ||
	     par->id == P_MAXCLT) && parse_number(par, from, val, &v) < 0)
		return -1;
	switch (par->id) {
	case P_CONFIG:
		p->config_path = val;
		break;
	case P_INSTANCE:
		p->instance = (int)v;
		break;
	case P_FLAGS:
		p->flags = (unsigned)v;
		break;
	case P_CONFM:
		p->confm = *val != '\0' ? val : NULL;
		break;
	case P_MAXCLT:
		p->maxclt = (int)v;
		break;
	case P_POOL:
		return parse_pool(p, from, val);
	}
	return 0;
}

/* An empty variable counts as unset, as a shell's "VAR=" usually means. */
static int from_environment(struct proc_params *p)
{
	for (size_t i = 0; i < NPARAMS; i++) {
		const char *val = getenv(param_table[i].env);
		struct origin from = { "variable", param_table[i].env, "" };
		if (val == NULL || *val == '\0')
			continue;
		if (set_value(p, &param_table[i], &from, val) < 0)
			return -1;
	}
	return 0;
}

/*
 * The parameter ARG names ("-c", "--config", "--config=FILE"), or NULL.
 * *INLINE receives the value after '=' when there is one, else NULL.
 */
static const struct param *option_of(const char *arg, const char **inline_val)
{
	*inline_val = NULL;
	if (strcmp(arg, "-c") == 0)
		return &param_table[0];
	if (strncmp(arg, "--", 2) != 0)
		return NULL;
	for (size_t i = 0; i < NPARAMS; i++) {
		size_t n = strlen(param_table[i].name);
		if (strncmp(arg + 2, param_table[i].name, n) != 0)
			continue;
		if (arg[2 + n] == '=')
			*inline_val = arg + 3 + n;
		if (arg[2 + n] == '\0' || arg[2 + n] == '=')
			return &param_table[i];
	}
	return NULL;
}

enum params_result params_parse(struct proc_params *p, int argc,
                                char *const argv[], int *next)
{
	int i = 1;

	*p = (struct proc_params){ .config_path = PARAMS_DEFAULT_CONFIG,
	                           .instance = 1 };
	*next = argc;
	if (from_environment(p) < 0)
		return PARAMS_ERROR;
	for (; i < argc; i++) {
		const char *arg = argv[i], *val;
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
			return PARAMS_HELP;
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		const struct param *par = option_of(arg, &val);
		if (par == NULL)
			break;
		if (val == NULL && i + 1 >= argc) {
			log_error("params", "option=%s error=\"needs a value\"", arg);
			return PARAMS_ERROR;
		}
		struct origin from = { "option", par->name, "--" };
		if (set_value(p, par, &from, val != NULL ? val : argv[++i]) < 0)
			return PARAMS_ERROR;
	}
	*next = i;
	return PARAMS_OK;
}

bool params_ssl(const struct proc_params *p)
{
	return (p->flags & PROC_FLAG_SSL) != 0;
}

void params_pool_text(const struct proc_pool *pool, char *out, size_t size)
{
	snprintf(out, size, "%u,%u,%u,%u", pool->min, pool->max, pool->increment,
	         pool->idle_timeout_s);
}

static int set_pool_env(const struct proc_params *p)
{
	char text[48];
	if (!p->has_pool)
		return unsetenv("EMS_POOL");
	params_pool_text(&p->pool, text, sizeof text);
	return setenv("EMS_POOL", text, 1);
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
	    (p->confm ? setenv("EMS_CONFM", p->confm, 1)
	              : unsetenv("EMS_CONFM")) < 0 ||
	    set_pool_env(p) < 0) {
		log_error("params", "op=setenv error=%s", log_quote(strerror(errno)));
		return -1;
	}
	return 0;
}
