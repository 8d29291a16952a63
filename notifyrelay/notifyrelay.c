/*
 * notifyrelay.c - main of the notify relay (see notifyrelay.h and
 * notifyrelay(8)).  A daemon (daemon.h) with one wakeup listener per
 * channel in this node's run directory: every wake-up a local writer
 * sends reaches it like any reader, and it forwards it to the other
 * nodes through the database (relay_link.c), which hands theirs back.
 *
 *   notifyrelay [-c ems.conf]            the daemon (the guardian's way)
 *   notifyrelay [-c ems.conf] --once     connect, LISTEN, report, exit
 */
#include "notifyrelay.h"

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "store_notify.h"
#include "wakeup.h"

#include <stdint.h>
#include <stdio.h>

/* Wake-ups taken off one socket in one go, and sent in one statement. */
#define RELAY_WAKE_BATCH STORE_NOTIFY_SEND_MAX

const char *const relay_channels[RELAY_CHANNELS] = {
	WAKEUP_CHANNEL_MAILBOX, WAKEUP_CHANNEL_SUBMISSION, WAKEUP_CHANNEL_OUTBOUND,
};

struct relay_settings relay_set;

/* Where Linux says how many datagrams a unix socket queues; writers'
 * wake-ups past that are dropped (wakeup.h: best effort). */
#define QUEUE_LEN_FILE "/proc/sys/net/unix/max_dgram_qlen"
#define QUEUE_LEN_DEFAULT 10

static struct {
	struct daemon *d;
	size_t queue_len;         /* a read this long found the queue full */
	struct wakeup_listener *wake[RELAY_CHANNELS];
	struct ev_io *io[RELAY_CHANNELS];
} relay;

static int setup(struct daemon *d)
{
	relay_set.conninfo = config_str(d->cfg, "store.conninfo");
	relay_set.node = config_path(d->cfg, "node");
	relay_set.run_dir = d->run_dir;
	snprintf(relay_set.self, sizeof relay_set.self, "notifyrelay%02d", d->p->instance);
	if (relay_set.conninfo[0] == '\0') {
		log_error("config", "error=%s",
		          log_quote("notifyrelay needs store.conninfo, the database to relay through"));
		return -1;
	}
	daemon_set_interval(d, RELAY_RETRY_FIRST_S);
	return 0;
}

static int once(struct daemon *d)
{
	(void)d;
	return relay_link_check() < 0;
}

/* IDS without repeats (a burst of deliveries to one mailbox needs one
 * wake-up); returns how many are left, first seen first. */
static size_t unique(int64_t *ids, size_t n)
{
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < kept && ids[k] != ids[i])
			k++;
		if (k == kept)
			ids[kept++] = ids[i];
	}
	return kept;
}

/* A local writer woke the channel's readers, us among them.  What waits
 * goes in one statement: while a round trip runs, the socket's short
 * queue fills and writers' wake-ups would be dropped. */
static void on_wake(struct ev_io *io, unsigned events, void *arg)
{
	int i = (int)(intptr_t)arg;
	int64_t ids[RELAY_WAKE_BATCH];
	size_t n;
	(void)io;
	(void)events;
	while ((n = wakeup_read(relay.wake[i], ids, RELAY_WAKE_BATCH - 1)) > 0) {
		/* a full queue may have dropped wake-ups: the other nodes then
		 * look at everything (id 0) rather than miss a change */
		if (n >= relay.queue_len)
			ids[n++] = 0;
		relay_link_forward(relay.d, relay_channels[i], ids, unique(ids, n));
	}
}

/* The socket queue's length, for on_wake(). */
static size_t queue_len(void)
{
	FILE *f = fopen(QUEUE_LEN_FILE, "r");
	unsigned long n = 0;
	if (f != NULL) {
		if (fscanf(f, "%lu", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n > 0 ? (size_t)n : QUEUE_LEN_DEFAULT;
}

static int start(struct daemon *d)
{
	relay.d = d;
	/* a batch as long as the queue, or as our buffer: as good as full */
	relay.queue_len = queue_len();
	if (relay.queue_len > RELAY_WAKE_BATCH - 1)
		relay.queue_len = RELAY_WAKE_BATCH - 1;
	for (int i = 0; i < RELAY_CHANNELS; i++) {
		relay.wake[i] = wakeup_listen_on(d->run_dir, relay_channels[i], relay_set.self);
		if (relay.wake[i] == NULL ||
		    (relay.io[i] = evloop_add_io(d->loop, wakeup_fd(relay.wake[i]), EV_READ,
		                                 on_wake, (void *)(intptr_t)i)) == NULL)
			return -1;
	}
	log_info("started", "node=%s channels=%d", log_quote(relay_set.node), RELAY_CHANNELS);
	return 0;
}

static void cleanup(struct daemon *d)
{
	(void)d;
	for (int i = 0; i < RELAY_CHANNELS; i++) {
		evloop_del_io(relay.io[i]);
		wakeup_close(relay.wake[i]);
	}
	relay_link_close();
}

static const struct daemon_spec spec = {
	.program = "notifyrelay",
	.summary = "Carries ems wake-ups between nodes through PostgreSQL LISTEN/NOTIFY; "
	           "see notifyrelay(8).",
	.once_help = "connect to store.conninfo and LISTEN, then exit",
	.flags = DAEMON_RUN_AT_START,
	.setup = setup,
	.once = once,
	.run = relay_link_tick,
	.start = start,
	.cleanup = cleanup,
};

int main(int argc, char **argv)
{
	return daemon_main(&spec, argc, argv);
}
