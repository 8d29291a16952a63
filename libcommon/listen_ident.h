/*
 * listen_ident.h - what a listening socket of the mail ports serves.
 * The guardian binds the `listeners` of ems.conf (or takes systemd's
 * sockets) and passes them on; iolistener, and the guardian itself while
 * iolistener is down, must tell them apart.  A socket is known by its
 * local address, looked up in `listeners` for its service and flags;
 * failing that by its LISTEN_FDNAMES name when that is a service (pop,
 * imap, lmtp); failing that by its well-known port (110, 995, 143, 993).
 */
#ifndef EMS_LISTEN_IDENT_H
#define EMS_LISTEN_IDENT_H

#define LISTEN_SERVICE_MAX 15

struct ems_config;

struct listen_ident {
	char service[LISTEN_SERVICE_MAX + 1];   /* "pop", "imap", "lmtp" */
	unsigned flags;                         /* bit 64: implicit TLS */
	char where[64];                         /* "127.0.0.1:1143", or ""
	                                           for no IP socket */
};

/*
 * Identifies the listening socket FD, named NAME in LISTEN_FDNAMES (NULL
 * for none), from CFG.  Fills OUT and returns 0; returns -1 when FD is
 * not an IPv4 or IPv6 socket (OUT->where is then "") or nothing tells
 * its service (OUT->where is filled, for the caller's log line).
 */
int listen_identify(int fd, const char *name, const struct ems_config *cfg,
                    struct listen_ident *out);

#endif
