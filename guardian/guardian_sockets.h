/*
 * guardian_sockets.h - the listening sockets of the mail services
 * (ems.conf `listeners`), which the guardian opens while it is still
 * root and hands to the listener process (registry role "listener",
 * iolistener) the way systemd hands sockets to a service: descriptors
 * from 3, LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES.  The listener itself
 * runs unprivileged and never binds a port.  Under socket activation
 * (ems.socket) the sockets are the ones systemd passed to the guardian,
 * and the guardian binds nothing.
 */
#ifndef EMS_GUARDIAN_SOCKETS_H
#define EMS_GUARDIAN_SOCKETS_H

#include "guardian_spawn.h"

#include <stddef.h>

#define SOCKETS_NAMES_MAX 512
#define SOCKETS_BACKLOG   511

struct listen_sockets {
	int fds[SPAWN_LISTEN_MAX];
	size_t count;
	char names[SOCKETS_NAMES_MAX];  /* colon-separated, as LISTEN_FDNAMES */
};

struct ems_config;
struct registry;

/*
 * Fills LS: with the sockets systemd passed (LISTEN_FDS for this pid;
 * the variables are removed from the environment), or else, when REG has
 * a listener process, with one socket per `listeners` entry of CFG,
 * bound and listening, named by its service ("pop", "imap", "lmtp").
 * Every descriptor is close-on-exec, so only the listener gets them.
 * Returns 0, or -1 (logged) when a port cannot be bound or there are more
 * than SPAWN_LISTEN_MAX sockets.
 */
int sockets_open(const struct ems_config *cfg, const struct registry *reg,
                 struct listen_sockets *ls);

/* Closes the sockets of LS. */
void sockets_close(struct listen_sockets *ls);

#endif
