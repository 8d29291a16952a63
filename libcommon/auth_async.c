/*
 * auth_async.c - a fixed pool of threads running auth_check() for one
 * event loop; see auth_async.h.  One mutex guards the queue, the list of
 * finished jobs and every job's state; an eventfd wakes the loop when a
 * job finishes.
 */
#include "auth_async.h"
#include "config.h"
#include "evloop.h"
#include "log.h"
#include "store.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum job_state {
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_DONE,        /* on the finished list, callback not yet run */
	JOB_DELIVERING,  /* its callback is running */
};

struct auth_job {
	struct auth_job *next;
	struct auth_pool *pool;
	enum job_state state;
	bool cancelled;
	bool is_sasl;
	auth_done_cb *cb;
	void *arg;
	/* the copies the check reads: the caller's buffers may be gone */
	char service[16], mech[16], addr[64], session[64];
	unsigned service_bit;
	bool tls;
	enum auth_cred_kind kind;
	char *login, *password, *challenge, *digest;
	struct sasl_creds sasl;
	/* the outcome */
	enum auth_result result;
	struct auth_identity id;
	unsigned delay_ms;
};

struct worker {
	pthread_t thread;
	bool started;
	struct auth_pool *pool;
	struct store *st;
	struct auth *auth;
};

struct auth_pool {
	struct evloop *loop;
	int efd;
	struct ev_io *io;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
	struct auth_job *queue, **queue_tail;
	struct auth_job *done, **done_tail;
	unsigned nworkers;
	struct worker workers[AUTH_POOL_THREADS_MAX];
};

unsigned auth_pool_threads(unsigned n)
{
	if (n == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus > 0 ? (unsigned)cpus : 1;
	}
	return n > AUTH_POOL_THREADS_MAX ? AUTH_POOL_THREADS_MAX : n;
}

/* ---- jobs ---- */

static void wipe_free(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static void job_free(struct auth_job *j)
{
	free(j->login);
	wipe_free(j->password);
	free(j->challenge);
	free(j->digest);
	OPENSSL_cleanse(&j->sasl, sizeof j->sasl);
	free(j);
}

/* Copies S (NULL stays NULL) into *OUT; false when out of memory. */
static bool dup_opt(const char *s, char **out)
{
	*out = s != NULL ? strdup(s) : NULL;
	return s == NULL || *out != NULL;
}

static struct auth_job *job_new(struct auth_pool *p, const struct auth_client *client,
                                auth_done_cb *cb, void *arg)
{
	struct auth_job *j = calloc(1, sizeof *j);
	if (j == NULL) {
		log_error("auth_async", "error=\"out of memory\"");
		return NULL;
	}
	j->pool = p;
	j->cb = cb;
	j->arg = arg;
	snprintf(j->service, sizeof j->service, "%s", client->service);
	snprintf(j->addr, sizeof j->addr, "%s", client->addr ? client->addr : "");
	snprintf(j->session, sizeof j->session, "%s", client->session ? client->session : "");
	j->service_bit = client->service_bit;
	j->tls = client->tls;
	return j;
}

/* Runs J's check with A (a worker's own authenticator). */
static void job_run(struct auth_job *j, struct auth *a)
{
	struct auth_client c = { j->service, j->service_bit, j->addr, j->session, j->tls };
	if (j->is_sasl) {
		j->result = auth_check_sasl(a, &c, &j->sasl, &j->id, &j->delay_ms);
		return;
	}
	struct auth_cred cred = { .kind = j->kind, .mech = j->mech, .login = j->login,
	                          .password = j->password, .challenge = j->challenge,
	                          .digest = j->digest };
	j->result = auth_check(a, &c, &cred, &j->id, &j->delay_ms);
}

/* ---- the threads ---- */

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct auth_pool *p = w->pool;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stopping && p->queue == NULL)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stopping)
			break;
		struct auth_job *j = p->queue;
		p->queue = j->next;
		if (p->queue == NULL)
			p->queue_tail = &p->queue;
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&p->mu);
		job_run(j, w->auth);
		pthread_mutex_lock(&p->mu);
		j->state = JOB_DONE;
		j->next = NULL;
		*p->done_tail = j;
		p->done_tail = &j->next;
		uint64_t one = 1;
		/* the counter cannot overflow in practice; a failed write
		 * would only delay the wake-up to the next finished job */
		if (write(p->efd, &one, sizeof one) < 0)
			log_warn("auth_async", "error=\"cannot wake the loop\"");
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Runs the callbacks of the finished jobs, on the loop's thread. */
static void on_done(struct ev_io *io, unsigned events, void *arg)
{
	struct auth_pool *p = arg;
	uint64_t n;
	(void)io;
	(void)events;
	if (read(p->efd, &n, sizeof n) < 0 && errno != EAGAIN)
		log_warn("auth_async", "error=\"cannot read the wake-up\"");
	pthread_mutex_lock(&p->mu);
	struct auth_job *list = p->done;
	p->done = NULL;
	p->done_tail = &p->done;
	pthread_mutex_unlock(&p->mu);
	while (list != NULL) {
		struct auth_job *j = list;
		list = j->next;
		/* a callback may cancel a later job of LIST: the flag is
		 * only ever set on this thread once a job is done */
		if (!j->cancelled) {
			j->state = JOB_DELIVERING;
			j->cb(j->arg, j->result, &j->id, j->delay_ms);
		}
		job_free(j);
	}
}

/* ---- the pool ---- */

static int start_workers(struct auth_pool *p, const struct auth *model,
                         const char *store_path, int busy_ms, unsigned n)
{
	sigset_t all, old;
	sigfillset(&all);
	/* signals go to the loop's signalfd, never to a check thread */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = 0;
	for (unsigned i = 0; i < n && rc == 0; i++) {
		struct worker *w = &p->workers[i];
		w->pool = p;
		w->st = store_open(store_path, busy_ms);
		w->auth = w->st ? auth_clone(model, w->st) : NULL;
		if (w->auth == NULL || pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			log_error("auth_async", "thread=%u error=\"cannot start a check thread\"", i);
			rc = -1;
		} else {
			w->started = true;
		}
		p->nworkers = i + 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

struct auth_pool *auth_pool_new(struct evloop *loop, const struct auth *model,
                                const char *store_path, int busy_ms, unsigned threads)
{
	struct auth_pool *p = calloc(1, sizeof *p);
	if (p == NULL) {
		log_error("auth_async", "error=\"out of memory\"");
		return NULL;
	}
	p->loop = loop;
	p->queue_tail = &p->queue;
	p->done_tail = &p->done;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0) {
		log_error("auth_async", "error=\"eventfd: %s\"", strerror(errno));
		auth_pool_free(p);
		return NULL;
	}
	p->io = evloop_add_io(loop, p->efd, EV_READ, on_done, p);
	unsigned n = auth_pool_threads(threads);
	if (p->io == NULL || start_workers(p, model, store_path, busy_ms, n) < 0) {
		auth_pool_free(p);
		return NULL;
	}
	log_info("auth_pool", "threads=%u", n);
	return p;
}

struct auth_pool *auth_pool_from_config(struct evloop *loop, const struct auth *model,
                                        const struct ems_config *cfg)
{
	return auth_pool_new(loop, model, config_path(cfg, "store"),
	                     (int)config_int(cfg, "store.busy_timeout_ms"),
	                     (unsigned)config_int(cfg, "auth.threads"));
}

static void free_list(struct auth_job *j)
{
	while (j != NULL) {
		struct auth_job *next = j->next;
		job_free(j);
		j = next;
	}
}

void auth_pool_free(struct auth_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nworkers; i++) {
		struct worker *w = &p->workers[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		auth_free(w->auth);
		store_close(w->st);
	}
	free_list(p->queue);
	free_list(p->done);
	evloop_del_io(p->io);
	if (p->efd >= 0)
		close(p->efd);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static struct auth_job *submit(struct auth_pool *p, struct auth_job *j)
{
	pthread_mutex_lock(&p->mu);
	j->state = JOB_QUEUED;
	*p->queue_tail = j;
	p->queue_tail = &j->next;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return j;
}

struct auth_job *auth_pool_check(struct auth_pool *p, const struct auth_client *client,
                                 const struct auth_cred *cred, auth_done_cb *cb, void *arg)
{
	struct auth_job *j = job_new(p, client, cb, arg);
	if (j == NULL)
		return NULL;
	j->kind = cred->kind;
	snprintf(j->mech, sizeof j->mech, "%s", cred->mech ? cred->mech : "-");
	if (!dup_opt(cred->login, &j->login) || !dup_opt(cred->password, &j->password) ||
	    !dup_opt(cred->challenge, &j->challenge) || !dup_opt(cred->digest, &j->digest)) {
		log_error("auth_async", "error=\"out of memory\"");
		job_free(j);
		return NULL;
	}
	return submit(p, j);
}

struct auth_job *auth_pool_check_sasl(struct auth_pool *p, const struct auth_client *client,
                                      const struct sasl_creds *creds, auth_done_cb *cb,
                                      void *arg)
{
	struct auth_job *j = job_new(p, client, cb, arg);
	if (j == NULL)
		return NULL;
	j->is_sasl = true;
	j->sasl = *creds;
	return submit(p, j);
}

/* Unlinks J from the queue; true when it was there. */
static bool unqueue(struct auth_pool *p, struct auth_job *j)
{
	for (struct auth_job **pp = &p->queue; *pp != NULL; pp = &(*pp)->next) {
		if (*pp != j)
			continue;
		*pp = j->next;
		if (p->queue_tail == &j->next)
			p->queue_tail = pp;
		return true;
	}
	return false;
}

void auth_job_cancel(struct auth_job *j)
{
	if (j == NULL)
		return;
	struct auth_pool *p = j->pool;
	pthread_mutex_lock(&p->mu);
	bool queued = j->state == JOB_QUEUED && unqueue(p, j);
	if (!queued && j->state != JOB_DELIVERING)
		j->cancelled = true;
	pthread_mutex_unlock(&p->mu);
	if (queued)
		job_free(j);
}
