/*
 * imap_listen.c - direct listening for imap4srv --listen / --listen-tls;
 * see imap_listen.h.  The supervised suite uses the hand-off from
 * iolistener instead.
 */
#include "imap_listen.h"
#include "imap_client.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTEN_BACKLOG 128
#define LISTENERS_MAX 8

static struct listener {
	int fd;
	unsigned flags;
	struct ev_io *io;
	struct imap_server *srv;
} listeners[LISTENERS_MAX];
static int nlisteners;

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

static void peer_text(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
		port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		port = ntohs(s6->sin6_port);
	}
	snprintf(out, len, "%s:%u", host, port);
}

static void on_accept(struct ev_io *io, unsigned events, void *arg)
{
	struct listener *l = arg;
	(void)io;
	(void)events;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		char peer[INET6_ADDRSTRLEN + 8];
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("imap_accept", "error=%s", log_quote(strerror(errno)));
			return;
		}
		peer_text(&ss, peer, sizeof peer);
		imap_client_new(l->srv, fd, peer, l->flags);
	}
}

static int bind_one(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	                          .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	int e = getaddrinfo(host, port, &hints, &ai);
	if (e != 0) {
		log_error("imap_listen", "address=%s port=%s error=%s", log_quote(host),
		          log_quote(port), log_quote(gai_strerror(e)));
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		log_error("imap_listen", "address=%s port=%s error=%s", log_quote(host),
		          log_quote(port), log_quote(strerror(errno)));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

int imap_listen_add(struct imap_server *srv, const char *spec, unsigned flags)
{
	char host[INET6_ADDRSTRLEN], port[8];
	if (nlisteners == LISTENERS_MAX) {
		log_error("imap_listen", "error=\"too many listening addresses\" max=%d",
		          LISTENERS_MAX);
		return -1;
	}
	if (split(spec, host, sizeof host, port, sizeof port) < 0) {
		log_error("imap_listen", "spec=%s error=\"want ADDRESS:PORT\"", log_quote(spec));
		return -1;
	}
	struct listener *l = &listeners[nlisteners];
	l->fd = bind_one(host, port);
	if (l->fd < 0)
		return -1;
	l->flags = flags;
	l->srv = srv;
	l->io = evloop_add_io(srv->loop, l->fd, EV_READ, on_accept, l);
	if (l->io == NULL) {
		close(l->fd);
		return -1;
	}
	nlisteners++;
	log_info("imap_listen", "address=%s port=%s tls=%s", log_quote(host), port,
	         flags ? "implicit" : "no");
	return 0;
}

void imap_listen_close_all(void)
{
	for (int i = 0; i < nlisteners; i++) {
		evloop_del_io(listeners[i].io);
		close(listeners[i].fd);
	}
	nlisteners = 0;
}
