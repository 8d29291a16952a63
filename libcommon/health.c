/*
 * health.c - the store-full flag file and the free-space probe (see
 * health.h); written by the monitor, read by smtpgw.
 */
#include "health.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define FLAG_NAME "store_full"

static void flag_path(char *buf, size_t size, const char *run_dir)
{
	snprintf(buf, size, "%s/" FLAG_NAME, run_dir);
}

int health_set_store_full(const char *run_dir, const char *reason)
{
	char path[4096], tmp[4200];
	flag_path(path, sizeof path, run_dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	/* Written whole then renamed: a reader never sees half a reason. */
	if (f == NULL || fprintf(f, "%s\n", reason) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) < 0) {
		log_error("store_full_flag", "path=%s error=%s", log_quote(path),
		          log_quote(strerror(errno)));
		return -1;
	}
	return 0;
}

int health_clear_store_full(const char *run_dir)
{
	char path[4096];
	flag_path(path, sizeof path, run_dir);
	if (unlink(path) < 0 && errno != ENOENT) {
		log_error("store_full_flag", "path=%s error=%s", log_quote(path),
		          log_quote(strerror(errno)));
		return -1;
	}
	return 0;
}

bool health_store_full(const char *run_dir)
{
	char path[4096];
	struct stat sb;
	flag_path(path, sizeof path, run_dir);
	return stat(path, &sb) == 0;
}

long long health_free_mb(const char *path)
{
	struct statvfs vfs;
	if (statvfs(path, &vfs) < 0) {
		log_warn("disk_free", "path=%s error=%s", log_quote(path),
		         log_quote(strerror(errno)));
		return -1;
	}
	/* f_bavail: what an unprivileged writer (the ems user) may use. */
	return (long long)((unsigned long long)vfs.f_bavail * vfs.f_frsize / (1024 * 1024));
}
