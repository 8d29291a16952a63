/*
 * bench_idle.c - IDLE loads.
 *
 * `idle`: --count connections log in (spread over --clients threads),
 * SELECT INBOX and enter IDLE; no new one starts after --seconds (logins
 * hash a password each, so a slow server is reported with the count it
 * reached instead of stalling the run).  Then one JSON line says how
 * many are in,
 * and the connections are held until standard input ends: the driver
 * measures the servers' memory meanwhile, then closes the pipe.  With
 * --push N (and --lmtp, --rcpt), once every connection is in, N
 * messages are delivered one at a time and the 250 -> "* N EXISTS" at
 * connection 0 is timed, as `push` does, so the figure is the push
 * latency with all the others idling too; it goes in the same JSON line.
 *
 * `push`: one connection IDLEs on the INBOX of client 0 while --count
 * messages are delivered one at a time over LMTP (--lmtp) to --rcpt, the
 * same mailbox.  Both sockets are watched at once; the figure is the time
 * from the LMTP 250 (the delivery committed) to the "* N EXISTS" the
 * IDLE connection receives, p50 and p99.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_message.h"
#include "bench_proto.h"
#include "bench_stats.h"
#include "emsbench.h"

struct idle_run {
	const struct bench_opts *o;
	struct bconn **conns;
	int64_t end_us;               /* no new connection after this */
	atomic_int next;
	atomic_long ok, errors;
};

/* Logs connection I in and leaves it in IDLE; NULL on failure. */
static struct bconn *idle_open(const struct bench_opts *o, int i)
{
	struct bconn *c = imap_open_inbox(o, i, NULL);
	const char *cont;
	if (c != NULL && (bconn_printf(c, "i IDLE\r\n") < 0 ||
	                  (cont = bconn_line(c, NULL)) == NULL || cont[0] != '+')) {
		bconn_close(c);
		c = NULL;
	}
	return c;
}

static void *idle_worker(void *arg)
{
	struct idle_run *r = arg;
	int i;
	while (bench_now_us() < r->end_us && (i = atomic_fetch_add(&r->next, 1)) < r->o->count) {
		r->conns[i] = idle_open(r->o, i);
		atomic_fetch_add(r->conns[i] != NULL ? &r->ok : &r->errors, 1);
	}
	return NULL;
}

/* Defined with the push load below. */
static void idle_push(const struct bench_opts *o, struct bconn *watch);

int bench_idle(const struct bench_opts *o)
{
	struct idle_run r = { .o = o };
	atomic_init(&r.next, 0);
	atomic_init(&r.ok, 0);
	atomic_init(&r.errors, 0);
	r.conns = calloc((size_t)o->count, sizeof *r.conns);
	pthread_t *t = calloc((size_t)o->clients, sizeof *t);
	if (r.conns == NULL || t == NULL) {
		free(r.conns);
		free(t);
		return 1;
	}
	int64_t start = bench_now_us();
	r.end_us = start + (int64_t)(o->seconds * 1e6);
	int started = 0;
	for (; started < o->clients; started++)
		if (pthread_create(&t[started], NULL, idle_worker, &r) != 0)
			break;
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	json_begin();
	json_str("load", "idle");
	json_num("connections", (double)atomic_load(&r.ok));
	json_num("errors", (double)atomic_load(&r.errors));
	json_num("setup_seconds", (double)(bench_now_us() - start) / 1e6);
	if (o->push > 0)
		idle_push(o, r.conns[0]);
	json_end();
	/* Hold every connection until the driver has measured. */
	char buf[256];
	while (read(0, buf, sizeof buf) > 0)
		;
	for (int i = 0; i < o->count; i++)
		bconn_close(r.conns[i]);
	free(r.conns);
	free(t);
	return started > 0 ? 0 : 1;
}

/* Waits for whichever of the LMTP reply and the EXISTS comes next and
 * stamps it.  Returns 0, or -1 on a broken connection or timeout. */
static int push_step(const struct bench_opts *o, struct bconn *lmtp, struct bconn *imap,
                     long *exists, int64_t *t_ack, int64_t *t_exists)
{
	struct pollfd p[2] = {
		{ .fd = *t_ack ? -1 : bconn_fd(lmtp), .events = POLLIN },
		{ .fd = *t_exists ? -1 : bconn_fd(imap), .events = POLLIN },
	};
	bool lmtp_ready = !*t_ack && bconn_has_input(lmtp);
	bool imap_ready = !*t_exists && bconn_has_input(imap);
	if (!lmtp_ready && !imap_ready) {
		if (poll(p, 2, o->timeout_ms) <= 0)
			return -1;
		lmtp_ready = p[0].revents != 0;
		imap_ready = p[1].revents != 0;
	}
	if (lmtp_ready) {
		int code = smtp_reply(lmtp);
		*t_ack = bench_now_us();
		if (code != 250)
			return -1;
	}
	if (imap_ready) {
		long n;
		char word[16];
		const char *line = bconn_line(imap, NULL);
		if (line == NULL)
			return -1;
		if (sscanf(line, "* %ld %15s", &n, word) == 2 && strcmp(word, "EXISTS") == 0 &&
		    n > *exists) {
			*exists = n;
			*t_exists = bench_now_us();
		}
	}
	return 0;
}

/* Delivers one SIZE-byte message to --rcpt and waits for both its 250
 * and the EXISTS at IMAP; *T_DATA gets when the message was sent.
 * Returns 0, or -1 on a broken connection or timeout. */
static int push_one(const struct bench_opts *o, size_t size, struct bconn *lmtp,
                    struct bconn *imap, long *exists, int64_t *t_data, int64_t *t_ack,
                    int64_t *t_exists)
{
	size_t len;
	char *msg = bench_message(bench_message_seq(), size, o->rcpt, &len);
	int rc = msg != NULL && lmtp_send(lmtp, o->rcpt, msg, len) == 0 ? 0 : -1;
	*t_data = bench_now_us();
	*t_ack = *t_exists = 0;
	free(msg);
	while (rc == 0 && (!*t_ack || !*t_exists))
		rc = push_step(o, lmtp, imap, exists, t_ack, t_exists);
	return rc;
}

/* --push deliveries timed at connection WATCH (in IDLE); their figures
 * into the open JSON object. */
static void idle_push(const struct bench_opts *o, struct bconn *watch)
{
	struct bconn *lmtp = watch != NULL && o->rcpt != NULL && o->lmtp.host[0]
	                         ? lmtp_open(&o->lmtp, o->timeout_ms) : NULL;
	struct bench_samples lat;
	samples_init(&lat);
	long exists = 0, pushed = 0;
	for (int i = 0; lmtp != NULL && i < o->push; i++) {
		int64_t t_data, t_ack, t_exists;
		if (push_one(o, 2048, lmtp, watch, &exists, &t_data, &t_ack, &t_exists) < 0)
			break;
		pushed++;
		samples_add(&lat, t_exists > t_ack ? t_exists - t_ack : 0);
	}
	json_num("pushed", (double)pushed);
	json_num("push_p50_ms", samples_pct_ms(&lat, 50));
	json_num("push_p99_ms", samples_pct_ms(&lat, 99));
	samples_free(&lat);
	bconn_close(lmtp);
}

int bench_push(const struct bench_opts *o)
{
	if (o->rcpt == NULL || o->lmtp.host[0] == '\0') {
		fprintf(stderr, "emsbench push: --rcpt and --lmtp are required\n");
		return 1;
	}
	long exists = 0;
	struct bconn *imap = imap_open_inbox(o, 0, &exists);
	struct bconn *lmtp = lmtp_open(&o->lmtp, o->timeout_ms);
	const char *cont;
	if (imap == NULL || lmtp == NULL || bconn_printf(imap, "i IDLE\r\n") < 0 ||
	    (cont = bconn_line(imap, NULL)) == NULL || cont[0] != '+') {
		fprintf(stderr, "emsbench push: cannot set up the IDLE and LMTP connections\n");
		bconn_close(imap);
		bconn_close(lmtp);
		return 1;
	}
	struct bench_samples from_ack, from_data;
	samples_init(&from_ack);
	samples_init(&from_data);
	long errors = 0, pushed = 0;
	for (int i = 0; i < o->count; i++) {
		int64_t t_data, t_ack, t_exists;
		int rc = push_one(o, o->size, lmtp, imap, &exists, &t_data, &t_ack, &t_exists);
		if (rc < 0) {
			errors++;
			break;     /* a lost connection ends the run; the figures so far stand */
		}
		pushed++;
		samples_add(&from_ack, t_exists > t_ack ? t_exists - t_ack : 0);
		samples_add(&from_data, t_exists - t_data);
	}
	json_begin();
	json_str("load", "push");
	json_num("messages", (double)pushed);
	json_num("errors", (double)errors);
	json_num("push_p50_ms", samples_pct_ms(&from_ack, 50));
	json_num("push_p99_ms", samples_pct_ms(&from_ack, 99));
	json_num("data_to_exists_p50_ms", samples_pct_ms(&from_data, 50));
	json_num("data_to_exists_p99_ms", samples_pct_ms(&from_data, 99));
	json_end();
	samples_free(&from_ack);
	samples_free(&from_data);
	bconn_close(imap);
	bconn_close(lmtp);
	return 0;
}
