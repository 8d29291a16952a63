/*
 * run_identity.h - who the suite's children run as (ems.conf's user and
 * group), and the directories prepared for them.  Started as root, the
 * guardian stays root (it must bind ports, signal children and create
 * directories) and every child drops to that user and group before exec
 * (guardian/guardian_spawn.c); started as anyone else, everything runs as
 * that user.  oomgr asks the same question to give the files it writes
 * for the children (certificates) to their owner.
 */
#ifndef EMS_RUN_IDENTITY_H
#define EMS_RUN_IDENTITY_H

#include <stdbool.h>
#include <sys/types.h>

struct run_identity {
	bool drop;              /* children switch to uid/gid */
	uid_t uid;
	gid_t gid;
};

/*
 * Fills ID: as root, the uid of USER and the gid of GROUP (GROUP empty:
 * USER's primary group); otherwise, or when USER is empty (a development
 * setting, warned about as root), no switch.  Returns 0, or -1 (logged)
 * when root was asked to run children as a user or group that does not
 * exist, or as root itself.
 */
int identity_lookup(const char *user, const char *group,
                    struct run_identity *id);

/*
 * Creates directory PATH and its missing parents; when ID->drop, PATH
 * itself is given to ID's user and group, mode MODE.  An existing
 * directory has its owner corrected the same way.  Returns 0 or -1
 * (logged).
 */
int prepare_dir(const char *path, mode_t mode, const struct run_identity *id);

#endif
