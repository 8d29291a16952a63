/*
 * tcp_listen.h - a worker's own listening sockets ("--listen ADDR:PORT"),
 * for development and tests when no iolistener hands clients over, and
 * smtpgw's LMTP socket and port from ems.conf.
 * Each accepted client goes to the callback exactly as a handed-off one
 * would; access filters are the iolistener's job and are not applied.
 */
#ifndef EMS_TCP_LISTEN_H
#define EMS_TCP_LISTEN_H

#include <sys/socket.h>

struct evloop;
struct tcp_listener;

/* Longest "address:port" text tcp_listen hands over, with the NUL. */
#define TCP_PEER_TEXT_MAX 64

/*
 * One accepted client: FD (non-blocking, close-on-exec; the callback owns
 * it), the peer as "address:port" text and as a socket address, and the
 * FLAGS the listener was opened with.
 */
typedef void tcp_accept_cb(int fd, const char *peer_text,
                           const struct sockaddr_storage *peer, unsigned flags,
                           void *arg);

/*
 * Listens on SPEC ("127.0.0.1:1110", "[::1]:1110", numeric only) through
 * LOOP and calls CB for each client.  Returns the listener, or NULL after
 * logging why (a malformed SPEC, the address in use ...).
 */
struct tcp_listener *tcp_listen_open(struct evloop *loop, const char *spec,
                                     unsigned flags, tcp_accept_cb *cb, void *arg);

/*
 * Listens on a unix socket at PATH (a stale one is replaced; the file
 * gets MODE and is removed again by tcp_listen_close()) and calls CB for
 * each client, with flags 0 and the peer text "local".  Returns the
 * listener, or NULL after logging why.
 */
struct tcp_listener *tcp_listen_unix(struct evloop *loop, const char *path, unsigned mode,
                                     tcp_accept_cb *cb, void *arg);
/*
 * A worker's own options after the common parameters, ARGV[NEXT] to
 * ARGV[ARGC - 1]: "--listen ADDR:PORT" and "--listen-tls ADDR:PORT"
 * (flags PROC_FLAG_SSL), each opened as tcp_listen_open() does into
 * OUT[*N], at most MAX.  Returns 0, or -1 after logging why (an argument
 * that is not one of these, an option without its address, more than
 * MAX, a listen that failed); what was opened stays in OUT[0 .. *N - 1]
 * for the caller to close.
 */
int tcp_listen_options(struct evloop *loop, int argc, char **argv, int next,
                       struct tcp_listener **out, int max, int *n, tcp_accept_cb *cb,
                       void *arg);

/* Stops accepting, closes the socket and frees L; NULL is ignored. */
void tcp_listen_close(struct tcp_listener *l);

/* The address of SS as "address:port" into OUT (LEN bytes), and the
 * address alone into ADDR (ALEN bytes; may be NULL); "?" when the family
 * is unknown, "local" (without a port) for a unix socket.  IPv4-mapped IPv6 addresses are written as IPv4. */
void tcp_addr_text(const struct sockaddr_storage *ss, char *out, size_t len,
                   char *addr, size_t alen);

#endif
