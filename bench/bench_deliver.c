/*
 * bench_deliver.c - delivery loads.  `lmtp`: --clients connections share
 * --count messages, one transaction each (MAIL, RCPT, DATA), and the
 * time to the final 250 is the acknowledgement latency.  `mailer`:
 * --clients workers each run the --command once per message with the
 * message on stdin, as sendmail runs a local mailer; exit 0 is the
 * acknowledgement.  Both can watch the recipient's mailbox for the
 * end-to-end latency (bench_watch.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_message.h"
#include "bench_proto.h"
#include "bench_stats.h"
#include "bench_watch.h"
#include "emsbench.h"

struct deliver_run {
	const struct bench_opts *o;
	atomic_int next;              /* messages handed out */
	atomic_int workers;           /* workers started: each takes the next index */
	atomic_long done, errors;
	atomic_long bytes;
	struct bench_samples ack;
	struct bench_watch *watch;
	int (*one)(struct deliver_run *r, int worker, void **state, const char *msg,
	           size_t len);
	void (*end)(void *state);
};

/* One LMTP transaction on *STATE (WORKER's connection, opened when NULL
 * and dropped after a failure so the next message starts clean). */
static int lmtp_one(struct deliver_run *r, int worker, void **state, const char *msg,
                    size_t len)
{
	struct bconn *c = *state;
	if (c == NULL &&
	    (c = *state = lmtp_open(bench_target(r->o, worker), r->o->timeout_ms)) == NULL)
		return -1;
	if (lmtp_send(c, r->o->rcpt, msg, len) < 0 || smtp_reply(c) != 250) {
		bconn_close(c);
		*state = NULL;
		return -1;
	}
	return 0;
}

static void lmtp_end(void *state)
{
	struct bconn *c = state;
	if (c != NULL && bconn_printf(c, "QUIT\r\n") == 0)
		smtp_reply(c);
	bconn_close(c);
}

/* Runs the mailer command once with MSG on its stdin. */
static int mailer_one(struct deliver_run *r, int worker, void **state, const char *msg,
                      size_t len)
{
	(void)worker;
	(void)state;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	extern char **environ;
	int rc = posix_spawnp(&pid, r->o->command[0], &fa, NULL, r->o->command, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[0]);
	if (rc != 0) {
		close(p[1]);
		return -1;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(p[1], msg + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(p[1]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return off == len && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void *deliver_worker(void *arg)
{
	struct deliver_run *r = arg;
	int worker = atomic_fetch_add(&r->workers, 1);
	void *state = NULL;
	for (;;) {
		int i = atomic_fetch_add(&r->next, 1);
		if (i >= r->o->count)
			break;
		size_t len;
		char *msg = bench_message(bench_message_seq(), r->o->size, r->o->rcpt, &len);
		if (msg == NULL) {
			atomic_fetch_add(&r->errors, 1);
			continue;
		}
		int64_t t0 = bench_now_us();
		watch_sent(r->watch, t0);
		if (r->one(r, worker, &state, msg, len) == 0) {
			samples_add(&r->ack, bench_now_us() - t0);
			atomic_fetch_add(&r->done, 1);
			atomic_fetch_add(&r->bytes, (long)len);
		} else {
			atomic_fetch_add(&r->errors, 1);
		}
		free(msg);
	}
	if (r->end != NULL)
		r->end(state);
	return NULL;
}

static int deliver_run(struct deliver_run *r, const char *kind)
{
	const struct bench_opts *o = r->o;
	pthread_t *t = calloc((size_t)o->clients, sizeof *t);
	if (t == NULL)
		return 1;
	struct bench_samples e2e;
	samples_init(&r->ack);
	samples_init(&e2e);
	atomic_init(&r->next, 0);
	atomic_init(&r->workers, 0);
	atomic_init(&r->done, 0);
	atomic_init(&r->errors, 0);
	atomic_init(&r->bytes, 0);
	r->watch = watch_start(o, &e2e);
	int64_t start = bench_now_us();
	int started = 0;
	for (; started < o->clients; started++)
		if (pthread_create(&t[started], NULL, deliver_worker, r) != 0)
			break;
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	double secs = (double)(bench_now_us() - start) / 1e6;
	long arrived = watch_finish(r->watch, o->timeout_ms);
	free(t);
	json_begin();
	json_str("load", kind);
	json_num("clients", started);
	json_num("size", (double)o->size);
	json_num("messages", (double)atomic_load(&r->done));
	json_num("errors", (double)atomic_load(&r->errors));
	json_num("seconds", secs);
	json_num("msgs_per_s", (double)atomic_load(&r->done) / secs);
	json_num("mb_per_s", (double)atomic_load(&r->bytes) / secs / 1e6);
	json_num("ack_p50_ms", samples_pct_ms(&r->ack, 50));
	json_num("ack_p99_ms", samples_pct_ms(&r->ack, 99));
	if (r->watch != NULL) {
		json_num("arrived", (double)arrived);
		json_num("e2e_p50_ms", samples_pct_ms(&e2e, 50));
		json_num("e2e_p99_ms", samples_pct_ms(&e2e, 99));
	}
	json_end();
	samples_free(&r->ack);
	samples_free(&e2e);
	return started > 0 ? 0 : 1;
}

int bench_lmtp(const struct bench_opts *o)
{
	if (o->rcpt == NULL) {
		fprintf(stderr, "emsbench lmtp: --rcpt is required\n");
		return 1;
	}
	struct deliver_run r = { .o = o, .one = lmtp_one, .end = lmtp_end };
	return deliver_run(&r, "lmtp");
}

int bench_mailer(const struct bench_opts *o)
{
	if (o->rcpt == NULL || o->command == NULL || o->command[0] == NULL) {
		fprintf(stderr, "emsbench mailer: --rcpt and a command after -- are required\n");
		return 1;
	}
	struct deliver_run r = { .o = o, .one = mailer_one, .end = NULL };
	return deliver_run(&r, "mailer");
}
