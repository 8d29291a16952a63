/*
 * bench_watch.c - counts a mailbox (ems store or Maildir) in a thread and
 * turns each new arrival into an end-to-end latency sample.
 */
#include "bench_watch.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "store_directory.h"
#include "store_mail.h"

/* How often the mailbox is counted. */
#define WATCH_POLL_US 1000

struct bench_watch {
	pthread_t thread;
	pthread_mutex_t lock;
	struct bench_samples *out;
	int64_t *sent;          /* start times, in submission order */
	size_t nsent, cap, arrived;
	atomic_bool stop;
	long base;              /* the count before the load */
	struct store *st;       /* ems: the store and INBOX's id */
	int64_t mailbox;
	const char *maildir;    /* or the Maildir */
};

static long count_dir(const char *maildir, const char *sub)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", maildir, sub);
	DIR *d = opendir(path);
	if (d == NULL)
		return 0;
	long n = 0;
	const struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* What grows by one with each arrival in the mailbox (a Maildir's file
 * count, an ems mailbox's next UID), or -1 when it cannot be read. */
static long mailbox_count(struct bench_watch *w)
{
	if (w->maildir != NULL)
		return count_dir(w->maildir, "new") + count_dir(w->maildir, "cur");
	/* the next uid, one row by its key: a count of the mailbox's
	 * entries costs the store more with every arrival, polled every
	 * millisecond it took a core of the machine under test (arrivals
	 * only: nothing is expunged while the load runs) */
	struct store_mailbox m = { 0 };
	if (store_mailbox_get(w->st, w->mailbox, &m) < 0)
		return -1;
	long next = (long)m.uidnext;
	store_mailbox_clear(&m);
	return next;
}

static void *watch_thread(void *arg)
{
	struct bench_watch *w = arg;
	while (!atomic_load(&w->stop)) {
		long n = mailbox_count(w);
		int64_t now = bench_now_us();
		pthread_mutex_lock(&w->lock);
		while (n >= 0 && (long)w->arrived < n - w->base && w->arrived < w->nsent)
			samples_add(w->out, now - w->sent[w->arrived++]);
		pthread_mutex_unlock(&w->lock);
		usleep(WATCH_POLL_US);
	}
	return NULL;
}

static int open_store(struct bench_watch *w, const struct bench_opts *o)
{
	struct store_person p = { 0 };
	struct store_mailbox m = { 0 };
	/* "postgresql:CONNINFO" watches a PostgreSQL store, else a file */
	const char *pg = "postgresql:";
	w->st = strncmp(o->watch_store, pg, strlen(pg)) == 0
	            ? store_open_backend("postgresql", o->watch_store + strlen(pg), 5000)
	            : store_open(o->watch_store, 5000);
	if (w->st == NULL || o->rcpt == NULL ||
	    store_person_find_address(w->st, o->rcpt, &p) < 0 ||
	    store_mailbox_find(w->st, p.id, "INBOX", &m) < 0) {
		fprintf(stderr, "emsbench: cannot watch the INBOX of %s in %s\n",
		        o->rcpt ? o->rcpt : "(no --rcpt)", o->watch_store);
		store_person_clear(&p);
		store_close(w->st);
		return -1;
	}
	w->mailbox = m.id;
	store_person_clear(&p);
	store_mailbox_clear(&m);
	return 0;
}

struct bench_watch *watch_start(const struct bench_opts *o, struct bench_samples *out)
{
	if (o->watch_store == NULL && o->watch_maildir == NULL)
		return NULL;
	struct bench_watch *w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	w->out = out;
	w->maildir = o->watch_maildir;
	if (w->maildir == NULL && open_store(w, o) < 0) {
		free(w);
		return NULL;
	}
	w->base = mailbox_count(w);
	pthread_mutex_init(&w->lock, NULL);
	atomic_init(&w->stop, false);
	if (w->base < 0 || pthread_create(&w->thread, NULL, watch_thread, w) != 0) {
		fprintf(stderr, "emsbench: cannot start the mailbox watcher\n");
		store_close(w->st);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	return w;
}

void watch_sent(struct bench_watch *w, int64_t t_us)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	if (w->nsent == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		int64_t *v = realloc(w->sent, cap * sizeof *v);
		if (v == NULL) {
			pthread_mutex_unlock(&w->lock);
			return;
		}
		w->sent = v;
		w->cap = cap;
	}
	w->sent[w->nsent++] = t_us;
	pthread_mutex_unlock(&w->lock);
}

long watch_finish(struct bench_watch *w, int timeout_ms)
{
	if (w == NULL)
		return 0;
	int64_t end = bench_now_us() + (int64_t)timeout_ms * 1000;
	for (;;) {
		pthread_mutex_lock(&w->lock);
		bool done = w->arrived >= w->nsent;
		pthread_mutex_unlock(&w->lock);
		if (done || bench_now_us() > end)
			break;
		usleep(WATCH_POLL_US * 10);
	}
	atomic_store(&w->stop, true);
	pthread_join(w->thread, NULL);
	long arrived = (long)w->arrived;
	store_close(w->st);
	pthread_mutex_destroy(&w->lock);
	free(w->sent);
	free(w);
	return arrived;
}
