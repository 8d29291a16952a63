/*
 * guardian_landlock.c - the Landlock calls behind guardian_landlock.h.
 * glibc has no wrappers for them, hence syscall(2).
 */
#include "guardian_landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Every right that changes the file system, as the running ABI knows
 * them (a right the kernel does not know makes it refuse the ruleset). */
static uint64_t write_rights(int abi)
{
	uint64_t rights = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
	                  LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
	                  LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
	                  LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
	                  LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
#ifdef LANDLOCK_ACCESS_FS_REFER
	if (abi >= 2)
		rights |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
	if (abi >= 3)
		rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
	(void)abi;
	return rights;
}

/* The rights that apply to a file rather than a directory. */
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
#define DEV_NULL_RIGHTS (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)
#else
#define DEV_NULL_RIGHTS LANDLOCK_ACCESS_FS_WRITE_FILE
#endif

int landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
	                 LANDLOCK_CREATE_RULESET_VERSION);
	return v > 0 ? (int)v : 0;
}

/* Allows RIGHTS on PATH (beneath it, for a directory) in RULESET; a
 * missing PATH is no error. */
static int allow_beneath(int ruleset, const char *path, uint64_t rights)
{
	struct landlock_path_beneath_attr beneath = { .allowed_access = rights };
	int rc;

	beneath.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (beneath.parent_fd < 0)
		return errno == ENOENT ? 0 : -1;
	rc = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
	                  &beneath, 0);
	close(beneath.parent_fd);
	return rc < 0 ? -1 : 0;
}

int landlock_confine_writes(const char *const *dirs, int ndirs)
{
	int abi = landlock_abi();
	if (abi == 0)
		return 0;
	struct landlock_ruleset_attr attr = { .handled_access_fs = write_rights(abi) };
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (ruleset < 0)
		return -1;
	int rc = 0;
	for (int i = 0; rc == 0 && i < ndirs; i++)
		rc = allow_beneath(ruleset, dirs[i], attr.handled_access_fs);
	/* Writing to /dev/null ("2>/dev/null" of a helper) stays possible. */
	if (rc == 0)
		rc = allow_beneath(ruleset, "/dev/null", attr.handled_access_fs & DEV_NULL_RIGHTS);
	if (rc == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		rc = -1;
	int saved = errno;
	close(ruleset);
	errno = saved;
	return rc;
}
