/*
 * lmtp_server.c - the LMTP sockets of smtpgw's daemon: a unix socket in
 * the run directory (lmtp.socket) and, when lmtp.port is set, a loopback
 * TCP port; accepted connections become lmtp_session.c sessions, up to
 * maxclt at once (more get "421 busy" and are closed).  TCP clients are
 * offered STARTTLS when the lmtp service has a certificate
 * (tls.lmtp_certificate or tls.certificate); the unix socket is local and
 * is not.  When ems.conf
 * has an "lmtp" entry in listeners, iolistener accepts that port and
 * smtpgw registers with it as the lmtp worker (handoff.h), so those
 * clients take the same path.
 */
#include "smtpgw.h"

#include "config.h"
#include "evloop.h"
#include "handoff.h"
#include "lmtp_session.h"
#include "log.h"
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LMTP_BACKLOG 64
/* Connections at once when the instance has no maxclt. */
#define LMTP_MAXCLT_DEFAULT 100
/* The socket is for the local MTA, whatever user it runs as (as
 * Dovecot's LMTP socket); protect it through the run directory. */
#define LMTP_SOCKET_MODE 0666
#define LMTP_LISTEN_MAX 2
/* How often iolistener hears how many sessions are left (a report that
 * changes nothing is not sent). */
#define LMTP_LOAD_REPORT_MS 250

static const char busy_reply[] = "421 4.3.2 Too many connections, try again later\r\n";

static struct {
	struct smtpgw *g;
	int fd[LMTP_LISTEN_MAX];
	struct ev_io *watch[LMTP_LISTEN_MAX];
	int n;
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct handoff_worker *handoff;
	struct ev_timer *load_timer;  /* ended sessions free their place */
} srv;

/* Text for logs and Received: "127.0.0.1:4711" or "unix". */
static void peer_text(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];
	if (ss->ss_family == AF_UNIX ||
	    getnameinfo((const struct sockaddr *)ss, sizeof *ss, host, sizeof host, port,
	                sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(out, len, "local");
	else
		if (snprintf(out, len, "[%s]:%s", host, port) >= (int)len)
			out[len - 1] = '\0';   /* an IPv6 address fits; cut is harmless */
}

static int max_sessions(void)
{
	return srv.g->maxclt > 0 ? srv.g->maxclt : LMTP_MAXCLT_DEFAULT;
}

/* Starts a session on FD (TCP: STARTTLS may be offered), or answers busy
 * and closes it. */
static void take_client(int fd, const char *peer, bool tcp)
{
	if (lmtp_session_count() >= max_sessions()) {
		log_warn("lmtp_busy", "peer=%s sessions=%d", log_quote(peer), max_sessions());
		if (write(fd, busy_reply, sizeof busy_reply - 1) < 0)
			log_debug("lmtp_busy", "error=%s", log_quote(strerror(errno)));
		close(fd);
		return;
	}
	log_debug("lmtp_connect", "peer=%s", log_quote(peer));
	lmtp_session_start(srv.g, fd, peer, tcp);
}

/* A client iolistener accepted on an lmtp listener. */
static void on_handed_client(const struct handoff_client *c, void *arg)
{
	char peer[80];
	(void)arg;
	handoff_peer_text(c, peer, sizeof peer);
	take_client(c->fd, peer, true);
	handoff_worker_load(srv.handoff, (unsigned)lmtp_session_count());
}

static void on_load_timer(struct ev_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	handoff_worker_load(srv.handoff, (unsigned)lmtp_session_count());
}

/* True when ems.conf gives iolistener an LMTP port to accept. */
static bool lmtp_listener_configured(const struct ems_config *cfg)
{
	const struct conf_node *root = config_root(cfg);
	for (int i = 0; i < conf_count(root, "listeners"); i++)
		if (strcmp(conf_str(conf_elem(root, "listeners", i), "service"), "lmtp") == 0)
			return true;
	return false;
}

static void on_accept(struct ev_io *io, unsigned events, void *arg)
{
	int lfd = (int)(intptr_t)arg;
	(void)io;
	(void)events;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		char peer[80];
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("lmtp_accept", "error=%s", log_quote(strerror(errno)));
			return;
		}
		peer_text(&ss, peer, sizeof peer);
		take_client(fd, peer, ss.ss_family != AF_UNIX);
	}
}

static int add_listener(int fd, const char *what)
{
	if (listen(fd, LMTP_BACKLOG) < 0 ||
	    (srv.watch[srv.n] = evloop_add_io(srv.g->loop, fd, EV_READ, on_accept,
	                                      (void *)(intptr_t)fd)) == NULL) {
		log_error("lmtp_listen", "on=%s error=%s", log_quote(what),
		          log_quote(strerror(errno)));
		close(fd);
		return -1;
	}
	srv.fd[srv.n++] = fd;
	log_info("lmtp_listen", "on=%s", log_quote(what));
	return 0;
}

static int listen_unix(const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int n = name[0] == '/'
	            ? snprintf(sun.sun_path, sizeof sun.sun_path, "%s", name)
	            : snprintf(sun.sun_path, sizeof sun.sun_path, "%s/%s", srv.g->run_dir, name);
	if (n < 0 || (size_t)n >= sizeof sun.sun_path) {
		log_error("lmtp_listen", "socket=%s error=\"path too long\"", log_quote(name));
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(sun.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
	    chmod(sun.sun_path, LMTP_SOCKET_MODE) < 0) {
		log_error("lmtp_listen", "socket=%s error=%s", log_quote(sun.sun_path),
		          log_quote(strerror(errno)));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	memcpy(srv.unix_path, sun.sun_path, sizeof srv.unix_path);
	return add_listener(fd, sun.sun_path);
}

static int listen_tcp(const char *address, long long port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char service[24], what[128];
	int one = 1, fd = -1;

	snprintf(service, sizeof service, "%lld", port);
	if (snprintf(what, sizeof what, "%s:%s", address, service) >= (int)sizeof what)
		what[sizeof what - 1] = '\0';
	if (getaddrinfo(address, service, &hints, &ai) != 0 || ai == NULL) {
		log_error("lmtp_listen", "on=%s error=\"not a numeric address\"", log_quote(what));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		log_error("lmtp_listen", "on=%s error=%s", log_quote(what),
		          log_quote(strerror(errno)));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	return add_listener(fd, what);
}

int lmtp_server_start(struct smtpgw *g)
{
	const char *sock = config_str(g->cfg, "lmtp.socket");
	long long port = config_int(g->cfg, "lmtp.port");

	srv.g = g;
	if (port > 0 || lmtp_listener_configured(g->cfg))
		g->tls = tls_server_for_service(g->cfg, "lmtp");
	if (sock[0] != '\0' && listen_unix(sock) < 0)
		return -1;
	if (port > 0 && listen_tcp(config_str(g->cfg, "lmtp.address"), port) < 0)
		return -1;
	if (lmtp_listener_configured(g->cfg)) {
		srv.handoff = handoff_worker_open(g->loop, g->run_dir, "lmtp", 1, 0,
		                                  (unsigned)max_sessions(), on_handed_client, NULL);
		srv.load_timer = evloop_add_timer(g->loop, LMTP_LOAD_REPORT_MS, true,
		                                  on_load_timer, NULL);
		if (srv.handoff == NULL || srv.load_timer == NULL)
			return -1;
	}
	if (srv.n == 0 && srv.handoff == NULL)
		log_warn("lmtp_listen", "error=\"no LMTP socket configured (lmtp.socket and "
		         "lmtp.port are both off)\"");
	return 0;
}

void lmtp_server_stop(void)
{
	if (srv.load_timer != NULL)
		evloop_del_timer(srv.load_timer);
	handoff_worker_close(srv.handoff);
	srv.handoff = NULL;
	srv.load_timer = NULL;
	lmtp_session_close_all();
	for (int i = 0; i < srv.n; i++) {
		evloop_del_io(srv.watch[i]);
		close(srv.fd[i]);
	}
	srv.n = 0;
	if (srv.unix_path[0] != '\0')
		unlink(srv.unix_path);
	srv.unix_path[0] = '\0';
	if (srv.g != NULL) {
		tls_server_free(srv.g->tls);
		srv.g->tls = NULL;
	}
}
