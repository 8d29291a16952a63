/*
 * store_checkpointer.c - the WAL checkpointer thread (see the header).
 */
#include "store_checkpointer.h"
#include "store.h"
#include "store_queue.h"
#include "log.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* The busy timeout of the thread's handle: a PASSIVE checkpoint waits
 * only for another process's checkpoint, never for writers. */
#define CHECKPOINTER_BUSY_MS 1000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static unsigned users;      /* store_checkpointer_start()s not yet stopped */
static bool running;        /* the thread is up */
static bool wanted;         /* a commit asked; cleared when the thread takes it */
static bool stopping;
static unsigned long runs;
static pthread_t thread;

static void *checkpointer_main(void *arg)
{
	struct store *st = arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		while (!wanted && !stopping)
			pthread_cond_wait(&cv, &mu);
		if (stopping)
			break;
		wanted = false;
		pthread_mutex_unlock(&mu);
		/* failures are logged by the store; the next wake tries again */
		int rc = store_checkpoint(st);
		pthread_mutex_lock(&mu);
		if (rc == 0)
			runs++;
	}
	pthread_mutex_unlock(&mu);
	store_close(st);
	return NULL;
}

/* Starts the thread on a handle of its own (called with mu held). */
static int start_thread(const char *path)
{
	struct store *st = store_open_backend("sqlite", path, CHECKPOINTER_BUSY_MS);
	if (st == NULL)
		return -1;
	sigset_t all, old;
	sigfillset(&all);
	/* signals belong to the event loop's thread */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	stopping = false;
	wanted = false;
	int rc = pthread_create(&thread, NULL, checkpointer_main, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("store_checkpointer", "error=%s", log_quote(strerror(rc)));
		store_close(st);
		return -1;
	}
	running = true;
	return 0;
}

bool store_checkpointer_start(const char *backend, const char *path)
{
	if (backend != NULL && strcmp(backend, "sqlite") != 0)
		return false;
	pthread_mutex_lock(&mu);
	bool on = running || start_thread(path) == 0;
	if (on)
		users++;
	pthread_mutex_unlock(&mu);
	return on;
}

void store_checkpointer_stop(void)
{
	pthread_mutex_lock(&mu);
	if (users == 0 || --users > 0) {
		pthread_mutex_unlock(&mu);
		return;
	}
	stopping = true;
	running = false;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(thread, NULL);
}

bool store_checkpointer_wake(void)
{
	pthread_mutex_lock(&mu);
	bool on = running && !stopping;
	if (on) {
		wanted = true;
		pthread_cond_signal(&cv);
	}
	pthread_mutex_unlock(&mu);
	return on;
}

unsigned long store_checkpointer_runs(void)
{
	pthread_mutex_lock(&mu);
	unsigned long n = runs;
	pthread_mutex_unlock(&mu);
	return n;
}
