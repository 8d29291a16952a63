/*
 * relay_link.c - the notify relay's database connection (see
 * notifyrelay.h): one libpq connection through store_notify.h, watched
 * on the daemon's loop.  While the database is away the daemon's
 * interval timer is the retry timer, with a doubling back-off; the
 * outage is logged when it starts and when it ends, not at every try.
 */
#include "notifyrelay.h"

#include "daemon.h"
#include "log.h"
#include "stats.h"
#include "store_notify.h"
#include "wakeup.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Notices taken from libpq in one go. */
#define RELAY_READ_BATCH 64

static struct {
	struct store_notify *sn;
	struct ev_io *io;
	int64_t retry_s;          /* the next back-off step */
	time_t outage_since;      /* 0 while none is logged */
	unsigned long relayed_in, relayed_out;
} link;

/* Hands the notices of other nodes to the local listeners.  Returns -1
 * when the connection was found lost. */
static int drain(void)
{
	struct store_notice in[RELAY_READ_BATCH];
	int n;
	do {
		n = store_notify_read(link.sn, in, RELAY_READ_BATCH);
		for (int i = 0; i < n; i++) {
			if (strcmp(in[i].node, relay_set.node) == 0)
				continue;       /* our own, heard back */
			int reached = wakeup_send_except(relay_set.run_dir, in[i].channel, in[i].id,
			                                 relay_set.self);
			link.relayed_in++;
			log_debug("relayed_in", "from=%s channel=%s id=%lld listeners=%d",
			          log_quote(in[i].node), in[i].channel, (long long)in[i].id, reached);
		}
	} while (n == RELAY_READ_BATCH);
	return n < 0 ? -1 : 0;
}

/* The connection is gone: close it, log the outage once, retry soon. */
static void lost(struct daemon *d, const char *why)
{
	if (link.outage_since == 0) {
		link.outage_since = time(NULL);
		log_warn("database_lost", "error=%s retry_s=%d", log_quote(why),
		         RELAY_RETRY_FIRST_S);
	}
	evloop_del_io(link.io);
	link.io = NULL;
	store_notify_close(link.sn);
	link.sn = NULL;
	link.retry_s = RELAY_RETRY_FIRST_S;
	daemon_set_interval(d, link.retry_s);
}

static void on_database(struct ev_io *io, unsigned events, void *arg)
{
	struct daemon *d = arg;
	(void)io;
	(void)events;
	stats_wakeup();
	if (drain() < 0)
		lost(d, store_notify_error(link.sn));
}

/* Connects and listens; NULL with the reason in WHY. */
static struct store_notify *open_link(char *why, size_t whysz)
{
	struct store_notify *sn = store_notify_connect(relay_set.conninfo, why, whysz);
	for (int i = 0; sn != NULL && i < RELAY_CHANNELS; i++) {
		if (store_notify_listen(sn, relay_channels[i]) < 0) {
			snprintf(why, whysz, "%s", store_notify_error(sn));
			store_notify_close(sn);
			sn = NULL;
		}
	}
	return sn;
}

/* Wake-ups were lost while there was no connection: everyone looks. */
static void send_look(void)
{
	int reached = 0;
	for (int i = 0; i < RELAY_CHANNELS; i++) {
		static const int64_t look = 0;
		reached += wakeup_send_except(relay_set.run_dir, relay_channels[i], 0, relay_set.self);
		store_notify_send(link.sn, relay_channels[i], relay_set.node, &look, 1);
	}
	log_info("look_sent", "listeners=%d", reached);
}

static void connect_now(struct daemon *d)
{
	char why[256];
	struct store_notify *sn = open_link(why, sizeof why);
	if (sn == NULL) {
		if (link.outage_since == 0) {
			link.outage_since = time(NULL);
			log_warn("database_lost", "error=%s retry_s=%lld", log_quote(why),
			         (long long)link.retry_s);
		} else {
			log_debug("database_retry", "error=%s retry_s=%lld", log_quote(why),
			          (long long)link.retry_s);
		}
		daemon_set_interval(d, link.retry_s);
		link.retry_s = link.retry_s * 2 > RELAY_RETRY_LAST_S ? RELAY_RETRY_LAST_S
		                                                      : link.retry_s * 2;
		return;
	}
	link.sn = sn;
	link.io = evloop_add_io(d->loop, store_notify_fd(sn), EV_READ, on_database, d);
	if (link.io == NULL) {
		lost(d, "cannot watch the connection");
		return;
	}
	if (link.outage_since != 0)
		log_info("database_back", "outage_s=%lld",
		         (long long)(time(NULL) - link.outage_since));
	else
		log_info("database_connected", "channels=%d", RELAY_CHANNELS);
	link.outage_since = 0;
	daemon_set_interval(d, RELAY_CHECK_S);
	send_look();
	if (drain() < 0)
		lost(d, store_notify_error(link.sn));
}

void relay_link_tick(struct daemon *d)
{
	stats_wakeup();
	if (link.retry_s == 0)
		link.retry_s = RELAY_RETRY_FIRST_S;
	if (link.sn == NULL)
		connect_now(d);
	else if (!store_notify_ok(link.sn) || drain() < 0)
		lost(d, store_notify_error(link.sn));
}

void relay_link_forward(struct daemon *d, const char *channel, const int64_t *ids, size_t n)
{
	if (link.sn == NULL)
		return;
	if (store_notify_send(link.sn, channel, relay_set.node, ids, n) < 0 || drain() < 0) {
		lost(d, store_notify_error(link.sn));
		return;
	}
	link.relayed_out += n;
	log_debug("relayed_out", "channel=%s ids=%zu first=%lld", channel, n, (long long)ids[0]);
}

int relay_link_check(void)
{
	char why[256];
	struct store_notify *sn = open_link(why, sizeof why);
	if (sn == NULL) {
		log_error("database_lost", "error=%s", log_quote(why));
		return -1;
	}
	log_info("database_connected", "channels=%d", RELAY_CHANNELS);
	store_notify_close(sn);
	return 0;
}

void relay_link_close(void)
{
	if (link.retry_s != 0)      /* the daemon ran, not --once */
		log_info("relay_stopped", "relayed_in=%lu relayed_out=%lu", link.relayed_in,
		         link.relayed_out);
	evloop_del_io(link.io);
	link.io = NULL;
	store_notify_close(link.sn);
	link.sn = NULL;
}
