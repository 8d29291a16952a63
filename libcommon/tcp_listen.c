/*
 * tcp_listen.c - direct listening sockets for workers run without
 * iolistener; see tcp_listen.h.
 */
#include "tcp_listen.h"
#include "evloop.h"
#include "log.h"
#include "params.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LISTEN_BACKLOG 128

struct tcp_listener {
	int fd;
	unsigned flags;
	char *unix_path;      /* a unix socket's file, removed at close */
	struct ev_io *io;
	tcp_accept_cb *cb;
	void *arg;
};

/* "addr:port" or "[v6]:port" into HOST and PORT. */
static int split(const char *spec, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon = strrchr(spec, ':');
	if (colon == NULL || colon[1] == '\0')
		return -1;
	const char *h = spec;
	size_t n = (size_t)(colon - spec);
	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n == 0 || n >= hlen || strlen(colon + 1) >= plen)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	snprintf(port, plen, "%s", colon + 1);
	return 0;
}

void tcp_addr_text(const struct sockaddr_storage *ss, char *out, size_t len,
                   char *addr, size_t alen)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
		port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host, sizeof host);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		port = ntohs(s6->sin6_port);
	}
	if (ss->ss_family == AF_UNIX)
		snprintf(host, sizeof host, "local");
	if (out != NULL && ss->ss_family == AF_UNIX)
		snprintf(out, len, "%s", host);
	else if (out != NULL)
		snprintf(out, len, "%s:%u", host, port);
	if (addr != NULL)
		snprintf(addr, alen, "%s", host);
}

static void on_accept(struct ev_io *io, unsigned events, void *arg)
{
	struct tcp_listener *l = arg;
	(void)io;
	(void)events;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		char peer[TCP_PEER_TEXT_MAX];
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("accept", "error=%s", log_quote(strerror(errno)));
			return;
		}
		tcp_addr_text(&ss, peer, sizeof peer, NULL, 0);
		l->cb(fd, peer, &ss, l->flags, l->arg);
	}
}

static int bind_one(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	                          .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	int e = getaddrinfo(host, port, &hints, &ai);
	if (e != 0) {
		log_error("listen", "address=%s port=%s error=%s", log_quote(host),
		          log_quote(port), log_quote(gai_strerror(e)));
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		log_error("listen", "address=%s port=%s error=%s", log_quote(host),
		          log_quote(port), log_quote(strerror(errno)));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* L takes listening socket FD (-1: it failed, L is freed) and watches
 * it on LOOP.  0, or -1 with L freed. */
static int watch(struct tcp_listener *l, struct evloop *loop, int fd, unsigned flags,
                 tcp_accept_cb *cb, void *arg)
{
	l->fd = fd;
	l->flags = flags;
	l->cb = cb;
	l->arg = arg;
	if (fd >= 0 && (l->io = evloop_add_io(loop, fd, EV_READ, on_accept, l)) != NULL)
		return 0;
	if (fd >= 0)
		close(fd);
	if (l->unix_path != NULL)
		unlink(l->unix_path);
	free(l->unix_path);
	free(l);
	return -1;
}

struct tcp_listener *tcp_listen_open(struct evloop *loop, const char *spec,
                                     unsigned flags, tcp_accept_cb *cb, void *arg)
{
	char host[INET6_ADDRSTRLEN], port[8];
	if (split(spec, host, sizeof host, port, sizeof port) < 0) {
		log_error("listen", "spec=%s error=\"want ADDRESS:PORT\"", log_quote(spec));
		return NULL;
	}
	struct tcp_listener *l = calloc(1, sizeof *l);
	if (l == NULL) {
		log_error("listen", "error=\"out of memory\"");
		return NULL;
	}
	if (watch(l, loop, bind_one(host, port), flags, cb, arg) < 0)
		return NULL;
	log_info("listen", "address=%s port=%s tls=%s", log_quote(host), port,
	         flags ? "implicit" : "no");
	return l;
}

struct tcp_listener *tcp_listen_unix(struct evloop *loop, const char *path, unsigned mode,
                                     tcp_accept_cb *cb, void *arg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path) >= (int)sizeof sun.sun_path) {
		log_error("listen", "socket=%s error=\"path too long\"", log_quote(path));
		return NULL;
	}
	struct tcp_listener *l = calloc(1, sizeof *l);
	if (l == NULL || (l->unix_path = strdup(path)) == NULL) {
		log_error("listen", "error=\"out of memory\"");
		free(l);
		return NULL;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(path);   /* a stale socket of an earlier run */
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 || chmod(path, mode) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		log_error("listen", "socket=%s error=%s", log_quote(path), log_quote(strerror(errno)));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (watch(l, loop, fd, 0, cb, arg) < 0)
		return NULL;
	log_info("listen", "socket=%s", log_quote(path));
	return l;
}

int tcp_listen_options(struct evloop *loop, int argc, char **argv, int next,
                       struct tcp_listener **out, int max, int *n, tcp_accept_cb *cb,
                       void *arg)
{
	for (int i = next; i < argc; i++) {
		unsigned flags;
		if (strcmp(argv[i], "--listen") == 0)
			flags = 0;
		else if (strcmp(argv[i], "--listen-tls") == 0)
			flags = PROC_FLAG_SSL;
		else {
			log_error("usage", "argument=%s error=\"unknown option\"", log_quote(argv[i]));
			return -1;
		}
		if (i + 1 >= argc || *n == max) {
			log_error("usage", "option=%s error=\"needs ADDR:PORT, at most %d\"", argv[i],
			          max);
			return -1;
		}
		out[*n] = tcp_listen_open(loop, argv[++i], flags, cb, arg);
		if (out[(*n)++] == NULL)
			return -1;
	}
	return 0;
}

void tcp_listen_close(struct tcp_listener *l)
{
	if (l == NULL)
		return;
	evloop_del_io(l->io);
	close(l->fd);
	if (l->unix_path != NULL)
		unlink(l->unix_path);
	free(l->unix_path);
	free(l);
}
