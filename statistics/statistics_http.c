/*
 * statistics_http.c - the optional Prometheus endpoint of the statistics
 * process (see statistics.h): a minimal HTTP/1.0 server on a loopback
 * address that answers GET /metrics with every process's counters and
 * closes the connection.  Off unless statistics.prometheus_listen is set.
 */
#include "statistics.h"

#include "evloop.h"
#include "iobuf.h"
#include "log.h"
#include "stats.h"
#include "tcp_listen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HTTP_CLIENTS_MAX   16       /* more wait in the kernel's backlog */
#define HTTP_LINE_MAX      1024
#define HTTP_HEADERS_MAX   64       /* lines of one request */
#define HTTP_TIMEOUT_MS    5000
#define HTTP_OUT_HIGH      (1024 * 1024)
#define HTTP_PROCESSES_MAX 1024

struct client {
	int fd;
	struct iostream *ios;
	struct ev_io *io;
	struct ev_timer *timer;
	int lines;
	bool answered;
	struct client *next;
};

static struct {
	struct evloop *loop;
	struct tcp_listener *listener;
	const char *run_dir;
	struct client *clients;
	int nclients;
} h;

static void client_free(struct client *c)
{
	for (struct client **p = &h.clients; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	h.nclients--;
	evloop_del_io(c->io);
	evloop_del_timer(c->timer);
	ios_free(c->ios);
	close(c->fd);
	free(c);
}

struct snapshots {
	struct stats_snapshot *all;
	int n;
};

static int keep(const struct stats_snapshot *s, void *ctx)
{
	struct snapshots *ss = ctx;
	if (ss->n < HTTP_PROCESSES_MAX)
		ss->all[ss->n++] = *s;
	return 0;
}

/* Every counter, grouped by metric as the format wants. */
static void write_metrics(struct iostream *ios)
{
	struct snapshots ss = { calloc(HTTP_PROCESSES_MAX, sizeof *ss.all), 0 };
	if (ss.all == NULL) {
		log_error("out_of_memory", "what=metrics");
		return;
	}
	stats_each(h.run_dir, keep, &ss);
	for (int c = 0; c < STAT_COUNTERS; c++) {
		const char *name = stats_counter_name((enum stats_counter)c);
		ios_printf(ios, "# TYPE ems_%s %s\n", name,
		           stats_counter_is_gauge((enum stats_counter)c) ? "gauge" : "counter");
		for (int i = 0; i < ss.n; i++)
			ios_printf(ios, "ems_%s{process=\"%s%02d\"} %llu\n", name, ss.all[i].program,
			           ss.all[i].instance, (unsigned long long)ss.all[i].values[c]);
	}
	free(ss.all);
}

static void answer(struct client *c, const char *status, bool metrics)
{
	ios_printf(c->ios, "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
	           "Connection: close\r\n\r\n", status);
	if (metrics)
		write_metrics(c->ios);
	else
		ios_printf(c->ios, "%s\n", status);
	c->answered = true;
}

/* The request line: only GET /metrics (or /) is served. */
static void request(struct client *c, const char *line)
{
	if (strncmp(line, "GET ", 4) != 0)
		answer(c, "405 Method Not Allowed", false);
	else if (strncmp(line + 4, "/metrics ", 9) == 0 || strncmp(line + 4, "/ ", 2) == 0)
		answer(c, "200 OK", true);
	else
		answer(c, "404 Not Found", false);
}

/* Reads the request up to its empty line; returns false when C is gone. */
static bool read_request(struct client *c)
{
	char *line;
	size_t len;
	enum ios_status st;
	ssize_t n = ios_fill(c->ios);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != ENOBUFS))
		return false;
	while (!c->answered && (st = ios_read_line(c->ios, &line, &len)) != IOS_NEED_MORE) {
		if (st == IOS_EOF)
			return false;
		if (st == IOS_TOO_LONG || ++c->lines > HTTP_HEADERS_MAX) {
			answer(c, "400 Bad Request", false);
			break;
		}
		if (c->lines == 1)
			request(c, line);
	}
	return true;
}

static void on_io(struct ev_io *io, unsigned events, void *arg)
{
	struct client *c = arg;
	(void)io;
	if ((events & EV_READ) && !c->answered && !read_request(c)) {
		client_free(c);
		return;
	}
	if (!c->answered)
		return;
	int r = ios_flush(c->ios);
	if (r <= 0) {
		client_free(c);     /* all out, or the peer went away */
		return;
	}
	evloop_io_set_events(c->io, EV_WRITE);
}

static void on_timeout(struct ev_timer *t, void *arg)
{
	(void)t;
	client_free(arg);
}

static void on_accept(int fd, const char *peer_text, const struct sockaddr_storage *peer,
                      unsigned flags, void *arg)
{
	(void)peer;
	(void)flags;
	(void)arg;
	struct client *c = h.nclients < HTTP_CLIENTS_MAX ? calloc(1, sizeof *c) : NULL;
	if (c == NULL) {
		log_warn("metrics_refused", "peer=%s clients=%d", log_quote(peer_text), h.nclients);
		close(fd);
		return;
	}
	c->fd = fd;
	c->next = h.clients;
	h.clients = c;
	h.nclients++;
	if ((c->ios = ios_new(fd, HTTP_LINE_MAX, HTTP_OUT_HIGH)) == NULL ||
	    (c->io = evloop_add_io(h.loop, fd, EV_READ, on_io, c)) == NULL ||
	    (c->timer = evloop_add_timer(h.loop, HTTP_TIMEOUT_MS, false, on_timeout, c)) == NULL)
		client_free(c);
}

int http_start(struct evloop *loop, const char *spec, const char *run_dir)
{
	h.loop = loop;
	h.run_dir = run_dir;
	h.listener = tcp_listen_open(loop, spec, 0, on_accept, NULL);
	if (h.listener == NULL)
		return -1;
	log_info("metrics_listening", "address=%s", log_quote(spec));
	return 0;
}

void http_stop(void)
{
	while (h.clients != NULL)
		client_free(h.clients);
	tcp_listen_close(h.listener);
	h.listener = NULL;
}
