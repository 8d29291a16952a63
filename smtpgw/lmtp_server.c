/*
 * lmtp_server.c - smtpgw's daemon on libcommon's worker skeleton
 * (worker.h): the LMTP sockets of its own, a unix socket in the run
 * directory (lmtp.socket) and, when lmtp.port is set, a loopback TCP
 * port; accepted connections become lmtp_session.c sessions, up to
 * maxclt at once (more get the busy line, "421 4.3.2", and are closed).
 * TCP clients are offered STARTTLS when the lmtp service has a
 * certificate (tls.lmtp_certificate or tls.certificate); the unix socket
 * is local and is not.  When ems.conf has an "lmtp" entry in listeners,
 * iolistener accepts that port and smtpgw registers with it as the lmtp
 * worker (handoff.h), so those clients take the same path.  The outbound
 * side runs on the same loop.
 */
#include "smtpgw.h"

#include "config.h"
#include "lmtp_session.h"
#include "log.h"
#include "worker.h"

#include <stdio.h>
#include <string.h>

/* Connections at once when the instance has no maxclt. */
#define LMTP_MAXCLT_DEFAULT 100
/* The socket is for the local MTA, whatever user it runs as (as
 * Dovecot's LMTP socket); protect it through the run directory. */
#define LMTP_SOCKET_MODE 0666

static struct worker w;

/* A TCP peer is "[address]:port" in logs and the Received field
 * ("from HELO ([192.0.2.7]:4242)"), a unix one "local". */
static void on_client(struct worker *wk, int fd, const struct worker_peer *peer,
                      unsigned flags)
{
	char text[sizeof peer->text + 2];
	size_t alen = strlen(peer->addr);
	if (peer->local || strncmp(peer->text, peer->addr, alen) != 0)
		snprintf(text, sizeof text, "%s", peer->text);
	else
		snprintf(text, sizeof text, "[%s]%s", peer->addr, peer->text + alen);
	lmtp_session_start(wk->proto, wk, fd, text, flags, !peer->local);
}

/* The sockets of lmtp.socket and lmtp.port, then the outbound side. */
static int open_lmtp(struct worker *wk)
{
	struct smtpgw *g = wk->proto;
	const char *sock = config_str(g->cfg, "lmtp.socket");
	long long port = config_int(g->cfg, "lmtp.port");
	char path[512];

	g->loop = wk->loop;
	g->pool = wk->pool;
	g->tls = wk->tls;
	if (sock[0] != '\0') {
		if (sock[0] == '/')
			snprintf(path, sizeof path, "%s", sock);
		else
			snprintf(path, sizeof path, "%s/%s", wk->run_dir, sock);
		if (worker_listen_unix(wk, path, LMTP_SOCKET_MODE) < 0)
			return -1;
	}
	if (port > 0 && worker_listen_tcp(wk, config_str(g->cfg, "lmtp.address"), port) < 0)
		return -1;
	return outbound_start(g);
}

static void close_lmtp(struct worker *wk)
{
	(void)wk;
	outbound_stop();
}

static const struct worker_ops lmtp_worker = {
	.prog = "smtpgw",
	.service = "lmtp",
	.tls_service = "lmtp",
	.default_maxclt = LMTP_MAXCLT_DEFAULT,
	.open = open_lmtp,
	.client = on_client,
	.close = close_lmtp,
};

int lmtp_server_run(struct smtpgw *g, const struct proc_params *p, struct ems_config *cfg)
{
	return worker_main(&w, &lmtp_worker, g, p, cfg, 0, NULL, 0);
}
