/*
 * config_find.c - the ems.conf an administrator's command uses; see
 * config_find.h.
 */
#include "config_find.h"

#include "log.h"
#include "params.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int config_find(const char *given, char *out, size_t size)
{
	const char *env = getenv("EMS_CONFIG");
	const char *path = PARAMS_DEFAULT_CONFIG;
	char real[PATH_MAX];

	if (given != NULL && *given != '\0')
		path = given;
	else if (env != NULL && *env != '\0')
		path = env;
	else if (access(CONFIG_FIND_DEV, F_OK) == 0)
		path = CONFIG_FIND_DEV;
	if (realpath(path, real) != NULL)
		path = real;
	if ((size_t)snprintf(out, size, "%s", path) >= size) {
		log_error("config_path_too_long", "path=%s", log_quote(path));
		return -1;
	}
	return 0;
}
