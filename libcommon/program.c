/*
 * program.c - the parameter and log start every ems program shares (see
 * program.h).
 */
#include "program.h"

#include "control_chan.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int program_params(struct proc_params *p, int argc, char **argv, int *next,
                   const char *usage)
{
	switch (params_parse(p, argc, argv, next)) {
	case PARAMS_HELP:
		printf(usage, params_usage);
		return 0;
	case PARAMS_ERROR:
		fprintf(stderr, usage, params_usage);
		return 2;
	default:
		return PROGRAM_GO_ON;
	}
}

int program_start(struct proc_params *p, int argc, char **argv, int *next,
                  const char *usage, const char *prog, struct ems_config **cfg)
{
	int rc = program_params(p, argc, argv, next, usage);
	if (rc != PROGRAM_GO_ON)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	if ((*cfg = config_load(p->config_path)) == NULL)
		return 1;
	program_log_open(*cfg, prog, p->instance, program_wanted_level(*cfg));
	return PROGRAM_GO_ON;
}

int program_add_signals(struct evloop *loop, ev_signal_cb *cb, void *arg)
{
	if (evloop_add_signal(loop, SIGTERM, cb, arg) < 0 ||
	    evloop_add_signal(loop, SIGINT, cb, arg) < 0 ||
	    evloop_add_signal(loop, SIGHUP, cb, arg) < 0)
		return -1;
	return control_chan_open(loop, cb, arg);
}

enum log_level program_config_level(const struct ems_config *cfg)
{
	int level = log_level_parse(config_str(cfg, "log.level"));
	return level < 0 ? LOG_LVL_INFO : (enum log_level)level;
}

enum log_level program_wanted_level(const struct ems_config *cfg)
{
	const char *env = getenv("EMS_LOGLEVEL");
	int level = env && *env && strcmp(env, "default") != 0 ? log_level_parse(env) : -1;
	return level < 0 ? program_config_level(cfg) : (enum log_level)level;
}

int program_log_open(const struct ems_config *cfg, const char *prog, int instance,
                     enum log_level level)
{
	return log_open(config_path(cfg, "node"), prog, instance, config_path(cfg, "log_dir"),
	                level, config_bool(cfg, "log.syslog"));
}
