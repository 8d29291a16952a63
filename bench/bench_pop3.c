/*
 * bench_pop3.c - the POP3 load: --clients threads, each logging in as its
 * own user (POP3 servers lock a maildrop per session), run whole sessions
 * for --seconds: connect (TLS when asked), USER, PASS, STAT, RETR of
 * every message, QUIT.  Figures: sessions per second, RETR throughput in
 * MB/s (message bytes as received, dot-stuffing removed), errors.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_stats.h"
#include "emsbench.h"

struct pop3_run {
	const struct bench_opts *o;
	int64_t end_us;
	atomic_long sessions, messages, bytes, errors;
	struct bench_samples session_us;
};

struct pop3_client {
	struct pop3_run *run;
	int index;
};

static int pop3_ok(struct bconn *c)
{
	const char *line = bconn_line(c, NULL);
	return line != NULL && strncmp(line, "+OK", 3) == 0 ? 0 : -1;
}

/* Retrieves message I; returns its size in bytes, or -1. */
static long pop3_retr(struct bconn *c, long i)
{
	if (bconn_printf(c, "RETR %ld\r\n", i) < 0 || pop3_ok(c) < 0)
		return -1;
	long bytes = 0;
	for (;;) {
		size_t len;
		const char *line = bconn_line(c, &len);
		if (line == NULL)
			return -1;
		if (line[0] == '.') {
			if (len == 1)
				return bytes;
			len--;   /* a dot-stuffed line */
		}
		bytes += (long)len + 2;
	}
}

static int pop3_session(struct pop3_run *r, int index)
{
	const struct bench_opts *o = r->o;
	char user[256];
	const char *why;
	bench_user(o, index, user, sizeof user);
	struct bconn *c = bconn_open(bench_target(o, index), o->timeout_ms, &why);
	if (c == NULL)
		return -1;
	long n = -1, total = 0;
	const char *stat;
	int rc = -1;
	if (pop3_ok(c) < 0 || bconn_printf(c, "USER %s\r\n", user) < 0 || pop3_ok(c) < 0 ||
	    bconn_printf(c, "PASS %s\r\n", o->password) < 0 || pop3_ok(c) < 0 ||
	    bconn_printf(c, "STAT\r\n") < 0 || (stat = bconn_line(c, NULL)) == NULL ||
	    sscanf(stat, "+OK %ld", &n) != 1)
		goto out;
	for (long i = 1; i <= n; i++) {
		long b = pop3_retr(c, i);
		if (b < 0)
			goto out;
		total += b;
	}
	if (bconn_printf(c, "QUIT\r\n") < 0 || pop3_ok(c) < 0)
		goto out;
	atomic_fetch_add(&r->messages, n);
	atomic_fetch_add(&r->bytes, total);
	rc = 0;
out:
	bconn_close(c);
	return rc;
}

static void *pop3_worker(void *arg)
{
	struct pop3_client *pc = arg;
	struct pop3_run *r = pc->run;
	while (bench_now_us() < r->end_us) {
		int64_t t0 = bench_now_us();
		if (pop3_session(r, pc->index) == 0) {
			atomic_fetch_add(&r->sessions, 1);
			samples_add(&r->session_us, bench_now_us() - t0);
		} else {
			atomic_fetch_add(&r->errors, 1);
		}
	}
	return NULL;
}

int bench_pop3(const struct bench_opts *o)
{
	struct pop3_run r = { .o = o };
	atomic_init(&r.sessions, 0);
	atomic_init(&r.messages, 0);
	atomic_init(&r.bytes, 0);
	atomic_init(&r.errors, 0);
	samples_init(&r.session_us);
	pthread_t *t = calloc((size_t)o->clients, sizeof *t);
	struct pop3_client *pc = calloc((size_t)o->clients, sizeof *pc);
	if (t == NULL || pc == NULL) {
		free(t);
		free(pc);
		samples_free(&r.session_us);
		return 1;
	}
	int64_t start = bench_now_us();
	r.end_us = start + (int64_t)(o->seconds * 1e6);
	int started = 0;
	for (; started < o->clients; started++) {
		pc[started] = (struct pop3_client){ &r, started };
		if (pthread_create(&t[started], NULL, pop3_worker, &pc[started]) != 0)
			break;
	}
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	double secs = (double)(bench_now_us() - start) / 1e6;
	json_begin();
	json_str("load", o->targets[0].tls ? "pop3s" : "pop3");
	json_num("clients", started);
	json_num("sessions", (double)atomic_load(&r.sessions));
	json_num("errors", (double)atomic_load(&r.errors));
	json_num("seconds", secs);
	json_num("sessions_per_s", (double)atomic_load(&r.sessions) / secs);
	json_num("retr_per_s", (double)atomic_load(&r.messages) / secs);
	json_num("mb_per_s", (double)atomic_load(&r.bytes) / secs / 1e6);
	json_num("session_p50_ms", samples_pct_ms(&r.session_us, 50));
	json_num("session_p99_ms", samples_pct_ms(&r.session_us, 99));
	json_end();
	samples_free(&r.session_us);
	free(t);
	free(pc);
	return started > 0 ? 0 : 1;
}
