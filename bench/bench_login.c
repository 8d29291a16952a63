/*
 * bench_login.c - the login storm: `logins` attempts --rate IMAP logins
 * a second for --seconds, open loop.  Attempt J is due at start + J/rate
 * and is taken by thread J mod --clients, which connects, reads the
 * greeting, sends LOGIN and waits for its tagged answer, then LOGOUT.
 * A thread that falls behind starts its next attempt at once, and the
 * latency counts from the time it was due, so a server that cannot keep
 * up shows as growing latency instead of a slower schedule.  No attempt
 * starts later than 5 seconds after the schedule ends; those are counted
 * as not started.  Figures: logins done per second over the whole run,
 * latency p50/p99 (due to tagged OK), failures.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_proto.h"
#include "bench_stats.h"
#include "emsbench.h"

/* How long past the schedule an attempt may still start. */
#define LATE_LIMIT_US 5000000

struct login_run {
	const struct bench_opts *o;
	int64_t start_us;
	int attempts;
	pthread_mutex_t mu;
	struct bench_samples lat;
	atomic_long ok, failed, not_started;
	atomic_llong last_done_us;
};

static void sleep_until(int64_t when_us)
{
	int64_t d = when_us - bench_now_us();
	if (d > 0) {
		struct timespec ts = { (time_t)(d / 1000000), (long)(d % 1000000) * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* One login as client J: 0 when the server said OK. */
static int login_once(const struct bench_opts *o, int j)
{
	char user[256];
	const char *why;
	bench_user(o, j, user, sizeof user);
	struct bconn *c = bconn_open(bench_target(o, j), o->timeout_ms, &why);
	const char *greeting = c != NULL ? bconn_line(c, NULL) : NULL;
	int rc = greeting != NULL && strncmp(greeting, "* OK", 4) == 0 &&
	         bconn_printf(c, "l LOGIN \"%s\" \"%s\"\r\n", user, o->password) == 0 &&
	         imap_wait(c, "l", NULL, NULL, 0) == 0 ? 0 : -1;
	if (rc == 0 && bconn_printf(c, "o LOGOUT\r\n") == 0)
		(void)imap_wait(c, "o", NULL, NULL, 0);
	bconn_close(c);
	return rc;
}

static void *login_worker(void *arg)
{
	struct login_run *r = arg;
	static atomic_int next_thread;
	int first = atomic_fetch_add(&next_thread, 1);
	int64_t end_us = r->start_us + (int64_t)(r->o->seconds * 1e6) + LATE_LIMIT_US;
	for (int j = first; j < r->attempts; j += r->o->clients) {
		int64_t due = r->start_us + (int64_t)((double)j * 1e6 / r->o->rate);
		sleep_until(due);
		if (bench_now_us() > end_us) {
			atomic_fetch_add(&r->not_started, 1);
			continue;
		}
		int rc = login_once(r->o, j);
		int64_t done = bench_now_us();
		atomic_fetch_add(rc == 0 ? &r->ok : &r->failed, 1);
		if (rc == 0) {
			pthread_mutex_lock(&r->mu);
			samples_add(&r->lat, done - due);
			pthread_mutex_unlock(&r->mu);
		}
		long long prev = atomic_load(&r->last_done_us);
		while (done > prev && !atomic_compare_exchange_weak(&r->last_done_us, &prev, done))
			;
	}
	return NULL;
}

int bench_logins(const struct bench_opts *o)
{
	struct login_run r = { .o = o, .attempts = (int)(o->rate * o->seconds) };
	pthread_t *t = calloc((size_t)o->clients, sizeof *t);
	if (t == NULL || o->rate <= 0) {
		fprintf(stderr, "emsbench logins: --rate must be above 0\n");
		free(t);
		return 1;
	}
	pthread_mutex_init(&r.mu, NULL);
	samples_init(&r.lat);
	r.start_us = bench_now_us();
	int started = 0;
	for (; started < o->clients; started++)
		if (pthread_create(&t[started], NULL, login_worker, &r) != 0)
			break;
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	double secs = (double)(atomic_load(&r.last_done_us) - r.start_us) / 1e6;
	json_begin();
	json_str("load", "logins");
	json_num("attempted", (double)r.attempts);
	json_num("logins", (double)atomic_load(&r.ok));
	json_num("errors", (double)atomic_load(&r.failed));
	json_num("not_started", (double)atomic_load(&r.not_started));
	json_num("logins_per_s", secs > 0 ? (double)atomic_load(&r.ok) / secs : 0);
	json_num("login_p50_ms", samples_pct_ms(&r.lat, 50));
	json_num("login_p99_ms", samples_pct_ms(&r.lat, 99));
	json_end();
	samples_free(&r.lat);
	pthread_mutex_destroy(&r.mu);
	free(t);
	return started > 0 ? 0 : 1;
}
