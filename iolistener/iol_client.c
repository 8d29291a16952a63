/*
 * iol_client.c - the decision for one accepted client: access filters,
 * host-name lookup when needed, hand-off or refusal; see iol_client.h.
 */
#include "iol_client.h"

#include "access_filter.h"
#include "handoff.h"
#include "iol.h"
#include "iol_resolve.h"
#include "iol_sockets.h"
#include "log.h"
#include "params.h"
#include "refusal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct iol_client {
	struct iol_client *prev, *next;   /* clients waiting for a lookup */
	struct iol *iol;
	int fd;
	char service[IOL_SERVICE_MAX + 1];
	unsigned flags;
	struct sockaddr_storage peer, local;
	socklen_t peer_len, local_len;
	char peer_text[INET6_ADDRSTRLEN + 8];
	char local_text[INET6_ADDRSTRLEN + 8];
	struct iol_lookup *lookup;
};

static struct iol_client *waiting;

static void addr_text(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
		snprintf(out, cap, "[%s]:%u", host, port);
		return;
	}
	snprintf(out, cap, "%s:%u", host, port);
}

static void unlink_waiting(struct iol_client *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (waiting == c)
		waiting = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void client_free(struct iol_client *c)
{
	close(c->fd);
	free(c);
}

static void refuse(struct iol_client *c, enum refusal why,
                   const char *reason)
{
	int rc = refusal_send(c->fd, c->service, c->flags, why);
	log_info(why == REFUSE_DENIED ? "client_refused" : "client_busy",
	         "service=%s peer=%s local=%s reason=%s line=%s", c->service,
	         c->peer_text, c->local_text, reason,
	         (c->flags & PROC_FLAG_SSL) ? "none_tls" : rc == 0 ? "sent" : "failed");
	client_free(c);
}

static void hand_off(struct iol_client *c)
{
	char worker[32] = "";
	enum handoff_result r = handoff_listener_send(
	    c->iol->handoff, c->service, c->flags, c->fd,
	    (struct sockaddr *)&c->peer, c->peer_len,
	    (struct sockaddr *)&c->local, c->local_len, worker, sizeof worker);
	if (r != HANDOFF_SENT) {
		/* No worker at all (none running, or one in its back-off):
		 * say the service is unavailable, not busy. */
		refuse(c, r == HANDOFF_BUSY ? REFUSE_BUSY : REFUSE_UNAVAILABLE,
		       handoff_result_name(r));
		return;
	}
	log_info("client_handoff", "service=%s peer=%s local=%s worker=%s",
	         c->service, c->peer_text, c->local_text, worker);
	client_free(c);   /* the worker has its own copy */
}

static void log_decision(const struct iol_client *c,
                         const struct access_decision *d,
                         enum access_host_state st, const char *host)
{
	static const char *const states[] = { "unresolved", "verified",
	                                      "noname", "mismatch" };
	log_info("access", "service=%s peer=%s local=%s verdict=%s filter=%s "
	         "rule=%s host=%s dns=%s", c->service, c->peer_text,
	         c->local_text, access_verdict_name(d->verdict),
	         d->matched ? d->origin : "none",
	         d->matched ? log_quote(d->text) : "-",
	         host && *host ? log_quote(host) : "-", states[st]);
}

static void on_resolved(void *arg, enum access_host_state st,
                        const char *host);

/* Decides with what is known of the host name now. */
static void decide(struct iol_client *c, enum access_host_state st,
                   const char *host)
{
	struct access_decision d;
	struct access_client ac = {
		.peer = c->peer_len ? (struct sockaddr *)&c->peer : NULL,
		.local = c->local_len ? (struct sockaddr *)&c->local : NULL,
		.host_state = st,
		.hostname = host,
	};
	enum access_verdict v = access_check(c->iol->filters, c->service, &ac, &d);

	if (v == ACCESS_NEED_HOSTNAME) {
		if (c->iol->waiting < IOL_CLIENT_WAITING_MAX)
			c->lookup = iol_resolve_start(c->iol->resolver,
			                              (struct sockaddr *)&c->peer,
			                              c->peer_len,
			                              c->iol->dns_timeout_ms,
			                              on_resolved, c);
		if (c->lookup != NULL) {
			c->iol->waiting++;
			c->next = waiting;
			if (waiting)
				waiting->prev = c;
			waiting = c;
			return;
		}
		log_warn("dns_skipped", "peer=%s waiting=%zu", c->peer_text,
		         c->iol->waiting);
		decide(c, ACCESS_HOST_NONAME, "");
		return;
	}
	log_decision(c, &d, st, host);
	if (v == ACCESS_DENY)
		refuse(c, REFUSE_DENIED, "access_filter");
	else
		hand_off(c);
}

static void on_resolved(void *arg, enum access_host_state st,
                        const char *host)
{
	struct iol_client *c = arg;
	c->lookup = NULL;
	c->iol->waiting--;
	unlink_waiting(c);
	decide(c, st, host);
}

void iol_client_accepted(struct iol *iol, const struct iol_socket *s, int fd,
                         const struct sockaddr *peer, socklen_t peer_len)
{
	struct iol_client *c = calloc(1, sizeof *c);
	if (c == NULL) {
		log_error("client_dropped", "socket=%s error=\"out of memory\"",
		          s->where);
		close(fd);
		return;
	}
	c->iol = iol;
	c->fd = fd;
	snprintf(c->service, sizeof c->service, "%s", s->service);
	c->flags = s->flags;
	if (peer_len <= sizeof c->peer) {
		memcpy(&c->peer, peer, peer_len);
		c->peer_len = peer_len;
	}
	c->local_len = sizeof c->local;
	if (getsockname(fd, (struct sockaddr *)&c->local, &c->local_len) < 0)
		c->local_len = 0;
	addr_text(&c->peer, c->peer_text, sizeof c->peer_text);
	addr_text(&c->local, c->local_text, sizeof c->local_text);
	decide(c, ACCESS_HOST_UNRESOLVED, NULL);
}

void iol_client_close_all(struct iol *iol)
{
	while (waiting != NULL) {
		struct iol_client *c = waiting;
		unlink_waiting(c);
		iol_resolve_cancel(iol->resolver, c->lookup);
		iol->waiting--;
		log_info("client_dropped", "peer=%s reason=shutdown", c->peer_text);
		client_free(c);
	}
}
