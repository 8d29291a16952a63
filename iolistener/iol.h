/*
 * iol.h - what one iolistener process holds: its configuration, the
 * access filters in force, the listening sockets, the hand-off socket
 * the workers connect to, and the host-name resolver.  iolistener.c owns
 * the one struct iol; the other files of the program take it.
 */
#ifndef IOL_H
#define IOL_H

#include <stddef.h>

struct access_filters;
struct ems_config;
struct evloop;
struct handoff_listener;
struct iol_resolver;
struct iol_sockets;

struct iol {
	struct evloop *loop;
	struct ems_config *cfg;            /* the ems.conf in force */
	const char *config_path;           /* for refresh */
	struct access_filters *filters;    /* never NULL while running */
	struct iol_sockets *sockets;
	struct handoff_listener *handoff;
	struct iol_resolver *resolver;
	unsigned dns_timeout_ms;           /* access.dns_timeout_ms */
	size_t waiting;                    /* clients waiting for a lookup */
};

#endif
