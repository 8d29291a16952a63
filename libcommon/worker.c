/*
 * worker.c - the skeleton of a protocol worker; see worker.h.
 */
#include "worker.h"

#include "handoff.h"
#include "log.h"
#include "program.h"
#include "refusal.h"
#include "stats.h"
#include "store_pool.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- clients arriving ---- */

static void refuse(struct worker *w, int fd, const struct worker_peer *peer, unsigned flags,
                   enum refusal why)
{
	int sent = refusal_send(fd, w->ops->service, flags, why);
	if (why == REFUSE_BUSY)
		stats_inc(STAT_CONN_TOO_MANY);
	log_warn("worker_refused", "peer=%s reason=%s clients=%u maxclt=%u sent=%s",
	         log_quote(peer->text), refusal_name(why), w->clients.n, w->maxclt,
	         sent == 0 ? "yes" : "no");
	close(fd);
}

/* Sent only when it changed (handoff.h), so it may be called freely. */
static void report_load(struct worker *w)
{
	if (w->handoff != NULL)
		handoff_worker_load(w->handoff, w->clients.n);
}

/* Every client, however it came: refused when the worker is full or
 * stopping, else the protocol's. */
static void take(struct worker *w, int fd, const struct worker_peer *peer, unsigned flags)
{
	/* accept4 and handoff.h give non-blocking sockets already; made
	 * sure of, since one blocking socket would stall every client */
	if (fd_set_nonblock(fd) < 0) {
		log_warn("worker_client", "peer=%s error=\"cannot make the socket non-blocking\"",
		         log_quote(peer->text));
		close(fd);
	} else if (w->stopping)
		refuse(w, fd, peer, flags, REFUSE_UNAVAILABLE);
	else if (w->maxclt > 0 && w->clients.n >= w->maxclt)
		refuse(w, fd, peer, flags, REFUSE_BUSY);
	else
		w->ops->client(w, fd, peer, flags);
	report_load(w);
}

static void on_accept(int fd, const char *peer_text, const struct sockaddr_storage *ss,
                      unsigned flags, void *arg)
{
	struct worker_peer peer = { .local = ss->ss_family == AF_UNIX };
	(void)peer_text;
	tcp_addr_text(ss, peer.text, sizeof peer.text, peer.addr, sizeof peer.addr);
	take(arg, fd, &peer, flags);
}

static void on_handed_client(const struct handoff_client *c, void *arg)
{
	struct worker_peer peer = { .local = false };
	if (c->peer_len > 0) {
		tcp_addr_text(&c->peer, peer.text, sizeof peer.text, peer.addr, sizeof peer.addr);
	} else {
		snprintf(peer.text, sizeof peer.text, "unknown");
		snprintf(peer.addr, sizeof peer.addr, "unknown");
	}
	take(arg, c->fd, &peer, c->flags);
}

static void on_clients_changed(struct client_list *list, void *arg)
{
	struct worker *w = arg;
	report_load(w);
	if (w->stopping && list->n == 0)
		evloop_stop(w->loop);
}

static int add_listener(struct worker *w, struct tcp_listener *l)
{
	if (l == NULL)
		return -1;
	if (w->nlisteners == WORKER_LISTENERS_MAX) {
		log_error("listen", "error=\"more than %d listening sockets\"", WORKER_LISTENERS_MAX);
		tcp_listen_close(l);
		return -1;
	}
	w->listeners[w->nlisteners++] = l;
	return 0;
}

int worker_listen_tcp(struct worker *w, const char *address, long long port)
{
	char spec[128];
	bool v6 = strchr(address, ':') != NULL;
	snprintf(spec, sizeof spec, "%s%s%s:%lld", v6 ? "[" : "", address, v6 ? "]" : "", port);
	return add_listener(w, tcp_listen_open(w->loop, spec, 0, on_accept, w));
}

int worker_listen_unix(struct worker *w, const char *path, unsigned mode)
{
	return add_listener(w, tcp_listen_unix(w->loop, path, mode, on_accept, w));
}

void worker_session_name(struct worker *w, char *out, size_t cap)
{
	snprintf(out, cap, "%s.%llu", w->name, (unsigned long long)++w->sessions);
}

/* ---- stopping ---- */

static void stop_accepting(struct worker *w)
{
	for (int i = 0; i < w->nlisteners; i++)
		tcp_listen_close(w->listeners[i]);
	w->nlisteners = 0;
	handoff_worker_close(w->handoff);
	w->handoff = NULL;
}

static void on_stop_timer(struct ev_timer *t, void *arg)
{
	struct worker *w = arg;
	(void)t;
	log_info("worker_stop", "clients=%u reason=timeout", w->clients.n);
	evloop_stop(w->loop);
}

/* Each client's goodbye; a client may be freed on the way (its pump). */
static void say_goodbye(struct worker *w)
{
	struct client_conn *next;
	for (struct client_conn *cc = w->clients.head; cc != NULL; cc = next) {
		next = cc->next;
		if (client_conn_can_write(cc))
			cc->ops->goodbye(cc->client);
		cc->closing = true;
		client_conn_pump(cc);
	}
}

void worker_shutdown(struct worker *w, bool goodbye)
{
	if (w->stopping && !goodbye)
		return;
	w->stopping = true;
	stop_accepting(w);
	log_info("worker_shutdown", "clients=%u goodbye=%s", w->clients.n, goodbye ? "yes" : "no");
	store_pool_drain(w->pool);      /* answers before goodbyes */
	if (goodbye) {
		say_goodbye(w);
		if (w->stop_timer == NULL)
			w->stop_timer = evloop_add_timer(w->loop, WORKER_SHUTDOWN_MS, false,
			                                 on_stop_timer, w);
	}
	if (w->clients.n == 0 || (goodbye && w->stop_timer == NULL))
		evloop_stop(w->loop);
}

/* ---- refresh ---- */

/* Other settings keep their values until the worker restarts: live
 * sessions point into the ems.conf read at start. */
void worker_refresh(struct worker *w)
{
	log_reopen();
	struct ems_config *cfg = config_load(w->params.config_path);
	if (cfg == NULL) {
		log_warn("worker_refresh", "error=\"ems.conf did not load; settings kept\"");
		return;
	}
	log_set_level(program_wanted_level(cfg));
	config_free(cfg);
	log_info("worker_refresh", "level=%s", log_level_name(log_get_level()));
}

static void on_signal(int signo, void *arg)
{
	struct worker *w = arg;
	if (signo == SIGHUP) {
		worker_refresh(w);
		return;
	}
	log_info("worker_stop", "signal=%d clients=%u", signo, w->clients.n);
	worker_shutdown(w, true);
}

/* ---- start and end ---- */

/* True when ems.conf gives iolistener a port of SERVICE to accept. */
static bool service_listened(const struct ems_config *cfg, const char *service)
{
	const struct conf_node *root = config_root(cfg);
	for (int i = 0; i < conf_count(root, "listeners"); i++)
		if (strcmp(conf_str(conf_elem(root, "listeners", i), "service"), service) == 0)
			return true;
	return false;
}

static int open_base(struct worker *w)
{
	w->loop = evloop_new();
	if (w->loop == NULL || program_add_signals(w->loop, on_signal, w) < 0)
		return -1;
	w->clients.changed = on_clients_changed;
	w->clients.changed_arg = w;
	stats_start(w->loop, w->run_dir, w->ops->prog, w->params.instance);   /* not fatal */
	/* STARTTLS and implicit TLS need it; without one the service is
	 * cleartext only (tls logs that) */
	w->tls = tls_server_for_service(w->cfg, w->ops->tls_service);
	return 0;
}

/* --listen options, else the hand-off; sockets of the protocol's own
 * (opened by ops->open) keep the hand-off only when iolistener has a
 * port of the service to hand over. */
static int open_arrivals(struct worker *w, int argc, char **argv, int next)
{
	int own = w->nlisteners;
	if (tcp_listen_options(w->loop, argc, argv, next, w->listeners, WORKER_LISTENERS_MAX,
	                       &w->nlisteners, on_accept, w) < 0)
		return -1;
	if (w->nlisteners > own || (own > 0 && !service_listened(w->cfg, w->ops->service)))
		return 0;
	w->handoff = handoff_worker_open(w->loop, w->run_dir, w->ops->service, w->params.instance,
	                                 w->params.flags, w->maxclt, on_handed_client, w);
	return w->handoff != NULL ? 0 : -1;
}

static int open_all(struct worker *w, int argc, char **argv, int next)
{
	if (open_base(w) < 0)
		return -1;
	/* before ops->open, whose background work may use it too (smtpgw's
	 * outbound side), and before the first client */
	const struct proc_pool *own = &w->params.pool;
	struct store_pool_size size = { own->min, own->max, own->increment, own->idle_timeout_s };
	w->pool = store_pool_from_config(w->loop, w->cfg, w->params.has_pool ? &size : NULL);
	if (w->pool == NULL || w->ops->open(w) < 0)
		return -1;
	return open_arrivals(w, argc, argv, next);
}

static void close_all(struct worker *w)
{
	stop_accepting(w);
	w->clients.changed = NULL;      /* the loop is not run again */
	store_pool_drain(w->pool);      /* writes in flight commit and are answered */
	while (w->clients.head != NULL)
		w->clients.head->ops->free(w->clients.head->client);
	if (w->ops->close != NULL)
		w->ops->close(w);
	store_pool_free(w->pool);       /* after the clients, before the loop it wakes */
	w->pool = NULL;
	evloop_del_timer(w->stop_timer);
	stats_close();                  /* deletes its heartbeat timer */
	evloop_free(w->loop);
	tls_server_free(w->tls);
	config_free(w->cfg);
}

int worker_main(struct worker *w, const struct worker_ops *ops, void *proto,
                const struct proc_params *p, struct ems_config *cfg, int argc, char **argv,
                int next)
{
	w->ops = ops;
	w->proto = proto;
	w->params = *p;
	w->cfg = cfg;
	w->run_dir = config_path(cfg, "run_dir");
	w->maxclt = p->maxclt > 0 ? (unsigned)p->maxclt : ops->default_maxclt;
	snprintf(w->name, sizeof w->name, "%s%02d", ops->prog, p->instance);
	int status = 1;
	if (open_all(w, argc, argv, next) == 0) {
		const char *extra = ops->start_fields ? ops->start_fields(w) : NULL;
		log_info("worker_start", "service=%s instance=%d maxclt=%u tls=%s%s%s",
		         ops->service, p->instance, w->maxclt, w->tls ? "yes" : "no",
		         extra ? " " : "", extra ? extra : "");
		status = evloop_run(w->loop) == 0 ? 0 : 1;
	}
	close_all(w);
	return status;
}

int worker_run(struct worker *w, const struct worker_ops *ops, void *proto, int argc,
               char **argv, const char *usage)
{
	struct proc_params p;
	struct ems_config *cfg = NULL;
	int next, rc = program_start(&p, argc, argv, &next, usage, ops->prog, &cfg);
	if (rc != PROGRAM_GO_ON)
		return rc;
	rc = worker_main(w, ops, proto, &p, cfg, argc, argv, next);
	log_close();
	return rc;
}
