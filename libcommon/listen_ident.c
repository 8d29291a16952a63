/*
 * listen_ident.c - tells what a listening socket of the mail ports
 * serves, from ems.conf's listeners, its name or its port; see
 * listen_ident.h.
 */
#include "listen_ident.h"

#include "config.h"
#include "params.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* The port and address of a socket address, or -1 when it is neither
 * IPv4 nor IPv6. */
static int split_addr(const struct sockaddr_storage *ss, int *family,
                      unsigned char addr[16], unsigned *port)
{
	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		memcpy(addr, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		memcpy(addr, &in6->sin6_addr, 16);
		*port = ntohs(in6->sin6_port);
	} else {
		return -1;
	}
	*family = ss->ss_family;
	return 0;
}

static bool all_zero(const unsigned char *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != 0)
			return false;
	return true;
}

/* True when listeners entry address TEXT with PORT describes the bound
 * address of a socket (wildcards on either side match any address). */
static bool entry_matches(const char *text, unsigned port, int family,
                          const unsigned char addr[16], unsigned sock_port)
{
	unsigned char want[16] = { 0 };
	int want_family = strchr(text, ':') ? AF_INET6 : AF_INET;

	if (port != sock_port || inet_pton(want_family, text, want) != 1)
		return false;
	size_t len = want_family == AF_INET ? 4 : 16;
	if (all_zero(want, len) || all_zero(addr, family == AF_INET ? 4 : 16))
		return true;
	return want_family == family && memcmp(want, addr, len) == 0;
}

static bool known_service(const char *name)
{
	return name != NULL && (strcmp(name, "pop") == 0 ||
	                        strcmp(name, "imap") == 0 ||
	                        strcmp(name, "lmtp") == 0 ||
	                        strcmp(name, "sieve") == 0);
}

/* Service and flags of a well-known port, for sockets ems.conf does not
 * describe (a socket unit with other ports). */
static const char *well_known(unsigned port, unsigned *flags)
{
	*flags = port == 995 || port == 993 ? PROC_FLAG_SSL : 0;
	switch (port) {
	case 110: case 995: return "pop";
	case 143: case 993: return "imap";
	case 4190: return "sieve";
	default: return NULL;
	}
}

static void describe(struct listen_ident *s, int family,
                     const unsigned char addr[16], unsigned port)
{
	char host[INET6_ADDRSTRLEN] = "?";
	inet_ntop(family, addr, host, sizeof host);
	snprintf(s->where, sizeof s->where, family == AF_INET6 ? "[%s]:%u"
	                                                       : "%s:%u",
	         host, port);
}

int listen_identify(int fd, const char *name, const struct ems_config *cfg,
                    struct listen_ident *out)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof local;
	unsigned char addr[16];
	unsigned port = 0, flags = 0;
	int family = AF_UNSPEC;
	const char *service = NULL;

	memset(out, 0, sizeof *out);
	if (getsockname(fd, (struct sockaddr *)&local, &len) < 0 ||
	    split_addr(&local, &family, addr, &port) < 0)
		return -1;
	describe(out, family, addr, port);
	const struct conf_node *root = config_root(cfg);
	for (int k = 0; k < conf_count(root, "listeners") && !service; k++) {
		const struct conf_node *e = conf_elem(root, "listeners", k);
		if (entry_matches(conf_str(e, "address"),
		                  (unsigned)conf_int(e, "port"), family, addr, port)) {
			service = conf_str(e, "service");
			flags = (unsigned)conf_int(e, "flags");
		}
	}
	if (service == NULL && known_service(name))
		service = name;
	if (service == NULL)
		service = well_known(port, &flags);
	if (service == NULL)
		return -1;
	snprintf(out->service, sizeof out->service, "%s", service);
	out->flags = flags;
	return 0;
}
