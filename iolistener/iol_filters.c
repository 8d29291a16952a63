/*
 * iol_filters.c - builds the iolistener's access filter set from
 * ems.conf; see iol_filters.h and ems.conf(5) ACCESS FILTERS.
 */
#include "iol_filters.h"

#include "access_filter.h"
#include "config.h"
#include "log.h"

#include <stdlib.h>

struct access_filters *iol_filters_load(const struct ems_config *cfg)
{
	int n_allow = 0, n_deny = 0;
	const char **allow = config_strlist(cfg, "access.allow", &n_allow);
	const char **deny = config_strlist(cfg, "access.deny", &n_deny);
	struct access_filters *f = NULL;

	if (allow != NULL && deny != NULL) {
		const char *rules = config_str(cfg, "access.rules");
		struct access_filter_config fc = {
			.source = config_file(cfg),
			.allow = allow,
			.n_allow = (size_t)n_allow,
			.deny = deny,
			.n_deny = (size_t)n_deny,
			.compact = *rules != '\0' ? rules : NULL,
			/* Any well-formed service name: filters may already
			 * name services this suite will only offer later. */
			.services = NULL,
		};
		char err[512];
		f = access_filters_parse(&fc, err, sizeof err);
		if (f != NULL)
			log_info("access_filters", "file=%s allow=%d deny=%d rules=%s",
			         log_quote(config_file(cfg)), n_allow, n_deny,
			         *rules != '\0' ? "yes" : "no");
	}
	free(allow);
	free(deny);
	return f;
}
