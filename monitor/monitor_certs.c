/*
 * monitor_certs.c - certificates that expire soon (see monitor.h): the
 * configured tls.certificate and every certificate installed with
 * `oomgr cert` (<state_dir>/tls/NAME.crt).  A certificate that lapses
 * unnoticed takes POP3S and IMAPS down for every client at once, so it
 * is said at each check until someone renews it.
 */
#include "monitor.h"

#include "log.h"
#include "stats.h"
#include "tls_certinfo.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Checks one file; *SOONEST keeps the fewest days left seen. */
static void check_file(const struct monitor_settings *set, const char *path, long *soonest)
{
	long days;

	if (access(path, R_OK) < 0 || tls_cert_days_left(path, &days) < 0)
		return;
	if (days < *soonest)
		*soonest = days;
	if (set->cert_warn_days > 0 && days < set->cert_warn_days)
		log_warn("certificate_expiring", "file=%s days_left=%ld warn_days=%lld%s",
		         log_quote(path), days, set->cert_warn_days,
		         days < 0 ? " expired=yes" : "");
}

static bool is_cert_file(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && strcmp(name + n - 4, ".crt") == 0;
}

void monitor_check_certs(const struct monitor_settings *set)
{
	long soonest = LONG_MAX;
	char path[PATH_MAX];
	DIR *dir;

	check_file(set, set->tls_certificate, &soonest);
	if (set->cert_dir[0] != '\0' && (dir = opendir(set->cert_dir)) != NULL) {
		const struct dirent *e;
		while ((e = readdir(dir)) != NULL)
			if (is_cert_file(e->d_name) &&
			    (size_t)snprintf(path, sizeof path, "%s/%s", set->cert_dir,
			                     e->d_name) < sizeof path &&
			    strcmp(path, set->tls_certificate) != 0)
				check_file(set, path, &soonest);
		closedir(dir);
	}
	if (soonest != LONG_MAX)
		stats_set(STAT_CERT_DAYS_LEFT, soonest > 0 ? (uint64_t)soonest : 0);
}
