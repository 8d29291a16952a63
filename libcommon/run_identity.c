/*
 * run_identity.c - the children's user and group, and the directories
 * they need; see run_identity.h.  The switch itself happens in the child,
 * in guardian/guardian_spawn.c.
 */
#include "run_identity.h"

#include "log.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int identity_lookup(const char *user, const char *group,
                    struct run_identity *id)
{
	const struct passwd *pw;
	const struct group *gr;

	id->drop = false;
	id->uid = geteuid();
	id->gid = getegid();
	if (geteuid() != 0)
		return 0;
	if (user == NULL || *user == '\0') {
		log_warn("children_run_as_root", "hint=%s",
		         log_quote("set user in ems.conf"));
		return 0;
	}
	pw = getpwnam(user);
	if (pw == NULL) {
		log_error("user_unknown", "user=%s hint=%s", log_quote(user),
		          log_quote("create it (useradd --system ems) or set user "
		                    "in ems.conf"));
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_error("user_is_root", "user=%s hint=%s", log_quote(user),
		          log_quote("children must not run as root"));
		return -1;
	}
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	if (group != NULL && *group != '\0') {
		gr = getgrnam(group);
		if (gr == NULL) {
			log_error("group_unknown", "group=%s", log_quote(group));
			return -1;
		}
		id->gid = gr->gr_gid;
	}
	id->drop = true;
	return 0;
}

/* mkdir -p for the parents of PATH (which stay root's). */
static int make_parents(const char *path)
{
	char buf[PATH_MAX];

	if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf) {
		log_error("path_too_long", "path=%s", log_quote(path));
		return -1;
	}
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
			log_error("mkdir_failed", "path=%s error=%s", log_quote(buf),
			          log_quote(strerror(errno)));
			return -1;
		}
		*p = '/';
	}
	return 0;
}

int prepare_dir(const char *path, mode_t mode, const struct run_identity *id)
{
	struct stat st;

	if (make_parents(path) < 0)
		return -1;
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		goto fail;
	if (stat(path, &st) < 0)
		goto fail;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		goto fail;
	}
	if (id->drop && (st.st_uid != id->uid || st.st_gid != id->gid) &&
	    (chown(path, id->uid, id->gid) < 0 || chmod(path, mode) < 0))
		goto fail;
	return 0;
fail:
	log_error("directory_failed", "path=%s error=%s", log_quote(path),
	          log_quote(strerror(errno)));
	return -1;
}
