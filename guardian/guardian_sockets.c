/*
 * guardian_sockets.c - opens (or takes over from systemd) the listening
 * sockets the listener process gets; see guardian_sockets.h.
 */
#include "guardian_sockets.h"

#include "config.h"
#include "guardian_registry.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

static void add_name(struct listen_sockets *ls, const char *name)
{
	size_t used = strlen(ls->names);

	if (used < sizeof ls->names)
		snprintf(ls->names + used, sizeof ls->names - used, "%s%s",
		         used ? ":" : "", name);
}

static int take_activated(struct listen_sockets *ls, int n, char **names)
{
	if (n > SPAWN_LISTEN_MAX) {
		log_error("too_many_listen_fds", "count=%d max=%d", n,
		          SPAWN_LISTEN_MAX);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		ls->fds[ls->count++] = fd;
		add_name(ls, names != NULL && names[i] != NULL ? names[i]
		                                                  : "unknown");
	}
	log_info("socket_activation", "count=%zu names=%s", ls->count,
	         log_quote(ls->names));
	return 0;
}

/* A socket bound to ADDRESS:PORT and listening.  Returns it or -1. */
static int bind_one(const char *address, long long port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_PASSIVE | AI_NUMERICHOST |
	                                      AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char service[16];
	int fd = -1, one = 1, rc;

	snprintf(service, sizeof service, "%lld", port);
	rc = getaddrinfo(address, service, &hints, &ai);
	if (rc != 0) {
		log_error("listen_address_bad", "address=%s error=%s",
		          log_quote(address), log_quote(gai_strerror(rc)));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    (ai->ai_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, SOCKETS_BACKLOG) < 0) {
		log_error("listen_failed", "address=%s port=%lld error=%s",
		          log_quote(address), port, log_quote(strerror(errno)));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static bool has_listener(const struct registry *reg)
{
	for (size_t i = 0; i < reg->ngroups; i++)
		if (reg->groups[i].stop_phase == PHASE_LISTENER)
			return true;
	return false;
}

static int bind_configured(const struct ems_config *cfg,
                           struct listen_sockets *ls)
{
	const struct conf_node *root = config_root(cfg);
	int n = conf_count(root, "listeners");

	if (n > SPAWN_LISTEN_MAX) {
		log_error("too_many_listeners", "count=%d max=%d", n,
		          SPAWN_LISTEN_MAX);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const struct conf_node *l = conf_elem(root, "listeners", i);
		int fd = bind_one(conf_str(l, "address"), conf_int(l, "port"));
		if (fd < 0) {
			sockets_close(ls);
			return -1;
		}
		ls->fds[ls->count++] = fd;
		add_name(ls, conf_str(l, "service"));
		log_info("listening", "service=%s address=%s port=%lld",
		         conf_str(l, "service"), log_quote(conf_str(l, "address")),
		         conf_int(l, "port"));
	}
	return 0;
}

int sockets_open(const struct ems_config *cfg, const struct registry *reg,
                 struct listen_sockets *ls)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names), rc = 0;

	memset(ls, 0, sizeof *ls);
	if (n > 0)
		rc = take_activated(ls, n, names);
	else if (has_listener(reg))
		rc = bind_configured(cfg, ls);
	for (int i = 0; names != NULL && names[i] != NULL; i++)
		free(names[i]);
	free(names);
	return rc;
}

void sockets_close(struct listen_sockets *ls)
{
	for (size_t i = 0; i < ls->count; i++)
		close(ls->fds[i]);
	ls->count = 0;
	ls->names[0] = '\0';
}
