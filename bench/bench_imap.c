/*
 * bench_imap.c - the IMAP mixed workload, in the spirit of imaptest's
 * default profile: --clients threads, each its own user with its own
 * pre-filled INBOX, run sessions for --seconds.  A session is LOGIN,
 * SELECT INBOX, IMAP_ROUNDS rounds of
 *     FETCH 1:* (FLAGS); FETCH of 10 messages' headers; FETCH of one whole
 *     message; STORE +/-\Seen; SEARCH; APPEND; NOOP; STORE * \Deleted;
 *     EXPUNGE
 * and LOGOUT, so the mailbox keeps its size.  Figures: operations per
 * second in total and per command; each command's latency p50/p99, from
 * sending it to its tagged completion as this client sees it; and every
 * NO, BAD or broken connection counted as an error (the first one quoted
 * in first_error).
 *
 * As fast as answered (the default), a server that does more work in
 * the time has more of its clients' commands queued at once, so each
 * one's latency is mostly its wait behind the others'.  With --pace, the
 * clients together send R commands a second, each client one every
 * clients/R seconds, and a command is timed from when it was due (a
 * client held up by a slow answer sends late, and that lateness counts):
 * the latency of each command at the same load on every server.  LOGIN
 * is not paced: it is sent at once and the client's schedule starts over
 * when it is answered, so a slow login (a password hash) delays that
 * session, not the timing of the commands after it.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_message.h"
#include "bench_proto.h"
#include "bench_stats.h"
#include "emsbench.h"

/* Rounds of the mix per login. */
#define IMAP_ROUNDS 3
/* Size of an appended message. */
#define IMAP_APPEND_SIZE 4096

enum imap_op {
	OP_LOGIN, OP_SELECT, OP_FETCH_FLAGS, OP_FETCH_HEADERS, OP_FETCH_BODY,
	OP_STORE, OP_SEARCH, OP_APPEND, OP_NOOP, OP_EXPUNGE, OP_LOGOUT, OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"login", "select", "fetch_flags", "fetch_headers", "fetch_body",
	"store", "search", "append", "noop", "expunge", "logout",
};

struct imap_run {
	const struct bench_opts *o;
	int64_t end_us;
	atomic_long ops[OP_COUNT];
	struct bench_samples us[OP_COUNT];   /* each command's latency */
	atomic_long errors;
	pthread_mutex_t lock;
	char first_error[160];        /* the first failure, for the report */
};

struct imap_client {
	struct imap_run *run;
	int index;
	unsigned seed;
	struct bconn *c;
	unsigned tag;
	long exists;
	int64_t due_us;        /* --pace: when the next command is due */
};

/* Keeps the first failure of the run: which command, and what came back. */
static void note_error(struct imap_run *r, const char *op, const char *why)
{
	pthread_mutex_lock(&r->lock);
	if (r->first_error[0] == '\0')
		snprintf(r->first_error, sizeof r->first_error, "%s: %s", op, why);
	pthread_mutex_unlock(&r->lock);
}

/* Counts a completed command OP sent at T0 and keeps its latency. */
static void done(struct imap_run *r, enum imap_op op, int64_t t0)
{
	samples_add(&r->us[op], bench_now_us() - t0);
	atomic_fetch_add(&r->ops[op], 1);
}

/* The time the next command is timed from: now, or with --pace when it
 * is due, after sleeping until then. */
static int64_t command_start(struct imap_client *ic)
{
	const struct bench_opts *o = ic->run->o;
	int64_t now = bench_now_us();
	if (o->pace <= 0)
		return now;
	int64_t due = ic->due_us;
	if (due == 0)   /* after a login: the clients spread over one interval */
		due = now + (int64_t)((ic->index % o->clients) * 1e6 / o->pace);
	if (due > now) {
		struct timespec ts = { (time_t)((due - now) / 1000000),
		                       (long)((due - now) % 1000000) * 1000 };
		nanosleep(&ts, NULL);
	}
	ic->due_us = due + (int64_t)(o->clients * 1e6 / o->pace);
	return due;
}

/* Sends one command and waits for its completion; counts it. */
static int imap_cmd(struct imap_client *ic, enum imap_op op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int imap_cmd(struct imap_client *ic, enum imap_op op, const char *fmt, ...)
{
	char cmd[1024], tag[16];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	snprintf(tag, sizeof tag, "b%u", ++ic->tag);
	char why[128] = "";
	ic->due_us = op == OP_LOGIN ? 0 : ic->due_us;   /* see --pace above */
	int64_t t0 = op == OP_LOGIN ? bench_now_us() : command_start(ic);
	if (bconn_printf(ic->c, "%s %s\r\n", tag, cmd) < 0 ||
	    imap_wait(ic->c, tag, &ic->exists, why, sizeof why) < 0) {
		note_error(ic->run, op_names[op], why[0] ? why : bconn_error(ic->c));
		return -1;
	}
	done(ic->run, op, t0);
	return 0;
}

static int imap_append(struct imap_client *ic)
{
	char tag[16], why[128] = "";
	size_t len;
	char *msg = bench_message(bench_message_seq(), IMAP_APPEND_SIZE, "bench@bench.example", &len);
	if (msg == NULL)
		return -1;
	snprintf(tag, sizeof tag, "b%u", ++ic->tag);
	int rc = -1;
	const char *cont;
	int64_t t0 = command_start(ic);
	/* A synchronizing literal: every server under test must take it. */
	if (bconn_printf(ic->c, "%s APPEND INBOX {%zu}\r\n", tag, len) == 0 &&
	    (cont = bconn_line(ic->c, NULL)) != NULL && cont[0] == '+' &&
	    bconn_send(ic->c, msg, len) == 0 && bconn_send(ic->c, "\r\n", 2) == 0 &&
	    imap_wait(ic->c, tag, &ic->exists, why, sizeof why) == 0) {
		done(ic->run, OP_APPEND, t0);
		rc = 0;
	} else {
		note_error(ic->run, "append", why[0] ? why : bconn_error(ic->c));
	}
	free(msg);
	return rc;
}

static int imap_round(struct imap_client *ic)
{
	long span = ic->exists > 10 ? ic->exists - 10 : 1;
	long n = 1 + (long)(rand_r(&ic->seed) % (unsigned long)span);
	long m = ic->exists > 0 ? (n + 9 < ic->exists ? n + 9 : ic->exists) : 1;
	return imap_cmd(ic, OP_FETCH_FLAGS, "FETCH 1:* (FLAGS)") < 0 ||
	       imap_cmd(ic, OP_FETCH_HEADERS,
	                "FETCH %ld:%ld (BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])", n, m) < 0 ||
	       imap_cmd(ic, OP_FETCH_BODY, "FETCH %ld (BODY.PEEK[])", n) < 0 ||
	       imap_cmd(ic, OP_STORE, "STORE %ld %cFLAGS (\\Seen)", n,
	                rand_r(&ic->seed) % 2 ? '+' : '-') < 0 ||
	       imap_cmd(ic, OP_SEARCH, "SEARCH UNSEEN SUBJECT \"bench message\"") < 0 ||
	       imap_append(ic) < 0 ||
	       imap_cmd(ic, OP_NOOP, "NOOP") < 0 ||
	       imap_cmd(ic, OP_STORE, "STORE * +FLAGS.SILENT (\\Deleted)") < 0 ||
	       imap_cmd(ic, OP_EXPUNGE, "EXPUNGE") < 0 ? -1 : 0;
}

static int imap_session(struct imap_client *ic)
{
	const struct bench_opts *o = ic->run->o;
	char user[256];
	const char *why;
	bench_user(o, ic->index, user, sizeof user);
	ic->c = bconn_open(bench_target(o, ic->index), o->timeout_ms, &why);
	if (ic->c == NULL) {
		note_error(ic->run, "connect", why);
		return -1;
	}
	int rc = -1;
	const char *greeting = bconn_line(ic->c, NULL);
	if (greeting == NULL || strncmp(greeting, "* OK", 4) != 0) {
		note_error(ic->run, "greeting", greeting ? greeting : bconn_error(ic->c));
		goto out;
	}
	if (
	    imap_cmd(ic, OP_LOGIN, "LOGIN \"%s\" \"%s\"", user, o->password) < 0 ||
	    imap_cmd(ic, OP_SELECT, "SELECT INBOX") < 0)
		goto out;
	/* At least one round per login, so every command is in every run. */
	for (int i = 0; i < IMAP_ROUNDS && (i == 0 || bench_now_us() < ic->run->end_us); i++)
		if (imap_round(ic) < 0)
			goto out;
	rc = imap_cmd(ic, OP_LOGOUT, "LOGOUT");
out:
	bconn_close(ic->c);
	ic->c = NULL;
	return rc;
}

static void *imap_worker(void *arg)
{
	struct imap_client *ic = arg;
	while (bench_now_us() < ic->run->end_us)
		if (imap_session(ic) < 0)
			atomic_fetch_add(&ic->run->errors, 1);
	return NULL;
}

static void imap_run_free(struct imap_run *r)
{
	for (int i = 0; i < OP_COUNT; i++)
		samples_free(&r->us[i]);
	pthread_mutex_destroy(&r->lock);
}

int bench_imap(const struct bench_opts *o)
{
	struct imap_run r = { .o = o };
	for (int i = 0; i < OP_COUNT; i++) {
		atomic_init(&r.ops[i], 0);
		samples_init(&r.us[i]);
	}
	atomic_init(&r.errors, 0);
	pthread_mutex_init(&r.lock, NULL);
	pthread_t *t = calloc((size_t)o->clients, sizeof *t);
	struct imap_client *ic = calloc((size_t)o->clients, sizeof *ic);
	if (t == NULL || ic == NULL) {
		free(t);
		free(ic);
		imap_run_free(&r);
		return 1;
	}
	int64_t start = bench_now_us();
	r.end_us = start + (int64_t)(o->seconds * 1e6);
	int started = 0;
	for (; started < o->clients; started++) {
		ic[started] = (struct imap_client){ .run = &r, .index = started,
		                                    .seed = (unsigned)started * 7919u + 1 };
		if (pthread_create(&t[started], NULL, imap_worker, &ic[started]) != 0)
			break;
	}
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	double secs = (double)(bench_now_us() - start) / 1e6;
	long total = 0;
	json_begin();
	json_str("load", "imap");
	json_num("clients", started);
	json_num("pace", o->pace);
	json_num("seconds", secs);
	for (int i = 0; i < OP_COUNT; i++) {
		char name[64];
		long n = atomic_load(&r.ops[i]);
		snprintf(name, sizeof name, "%s_per_s", op_names[i]);
		json_num(name, (double)n / secs);
		snprintf(name, sizeof name, "%s_p50_ms", op_names[i]);
		json_num(name, samples_pct_ms(&r.us[i], 50));
		snprintf(name, sizeof name, "%s_p99_ms", op_names[i]);
		json_num(name, samples_pct_ms(&r.us[i], 99));
		total += n;
	}
	json_num("ops", (double)total);
	json_num("ops_per_s", (double)total / secs);
	json_num("errors", (double)atomic_load(&r.errors));
	json_str("first_error", r.first_error);
	json_end();
	imap_run_free(&r);
	free(t);
	free(ic);
	return started > 0 ? 0 : 1;
}
