/*
 * iol_resolve.c - reverse + forward host-name lookups on helper threads
 * for the iolistener's access filters; see iol_resolve.h.
 *
 * Ownership: the loop thread creates and frees every lookup.  A helper
 * thread takes a lookup off the work queue, fills in its result and puts
 * it on the done queue; the loop drains that queue when the eventfd
 * fires.  A lookup cancelled or past its deadline while a thread works
 * on it is only marked, and freed when it comes back.
 */
#include "iol_resolve.h"

#include "evloop.h"
#include "log.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct iol_lookup {
	struct iol_lookup *next;
	struct sockaddr_storage peer;
	socklen_t len;
	iol_resolved_cb *cb;         /* NULL once answered or cancelled */
	void *arg;
	struct ev_timer *deadline;
	enum access_host_state state;
	char host[NI_MAXHOST];
};

struct iol_resolver {
	struct evloop *loop;
	int efd;
	struct ev_io *io;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct iol_lookup *todo, **todo_tail;
	struct iol_lookup *done;
	size_t queued;               /* on todo */
	unsigned busy;               /* threads inside a lookup */
	unsigned nthreads;
	bool stopping;
	pthread_t threads[IOL_RESOLVE_THREADS];
};

/* Keeps a resolver whose threads could not be joined reachable. */
static struct iol_resolver *abandoned;

/* The address bytes of SA (IPv4-mapped IPv6 as IPv4) into OUT; returns
 * their length, 0 for another family. */
static size_t addr_bytes(const struct sockaddr *sa, unsigned char out[16])
{
	if (sa->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	const struct in6_addr *a =
	    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		memcpy(out, &a->s6_addr[12], 4);
		return 4;
	}
	memcpy(out, a, 16);
	return 16;
}

/* Does the forward lookup of LK->host give LK's address back? */
static enum access_host_state forward_check(const struct iol_lookup *lk)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	unsigned char want[16], got[16];
	size_t wlen = addr_bytes((const struct sockaddr *)&lk->peer, want);
	int rc = getaddrinfo(lk->host, NULL, &hints, &res);

	if (rc == EAI_AGAIN || rc == EAI_SYSTEM || rc == EAI_MEMORY)
		return ACCESS_HOST_NONAME;   /* could not tell */
	if (rc != 0)
		return ACCESS_HOST_MISMATCH; /* the name does not exist */
	enum access_host_state st = ACCESS_HOST_MISMATCH;
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
		if (addr_bytes(ai->ai_addr, got) == wlen && wlen > 0 &&
		    memcmp(got, want, wlen) == 0)
			st = ACCESS_HOST_VERIFIED;
	freeaddrinfo(res);
	return st;
}

static void lookup(struct iol_lookup *lk)
{
	lk->host[0] = '\0';
	if (getnameinfo((const struct sockaddr *)&lk->peer, lk->len, lk->host,
	                sizeof lk->host, NULL, 0, NI_NAMEREQD) != 0) {
		lk->host[0] = '\0';
		lk->state = ACCESS_HOST_NONAME;
		return;
	}
	lk->state = forward_check(lk);
	if (lk->state == ACCESS_HOST_NONAME)
		lk->host[0] = '\0';
}

static void *thread_main(void *arg)
{
	struct iol_resolver *r = arg;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (!r->stopping && r->todo == NULL)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->stopping)
			break;
		struct iol_lookup *lk = r->todo;
		r->todo = lk->next;
		if (r->todo == NULL)
			r->todo_tail = &r->todo;
		r->queued--;
		r->busy++;
		pthread_mutex_unlock(&r->mu);
		lookup(lk);
		pthread_mutex_lock(&r->mu);
		r->busy--;
		lk->next = r->done;
		r->done = lk;
		uint64_t one = 1;
		if (write(r->efd, &one, sizeof one) < 0) {
			/* The counter cannot overflow here; nothing to do. */
		}
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static void free_lookup(struct iol_lookup *lk)
{
	evloop_del_timer(lk->deadline);
	free(lk);
}

/* Answers LK's caller once. */
static void answer(struct iol_lookup *lk, enum access_host_state st,
                   const char *host)
{
	iol_resolved_cb *cb = lk->cb;
	lk->cb = NULL;
	evloop_del_timer(lk->deadline);
	lk->deadline = NULL;
	if (cb != NULL)
		cb(lk->arg, st, host);
}

static void on_done(struct ev_io *io, unsigned events, void *arg)
{
	struct iol_resolver *r = arg;
	uint64_t n;
	(void)io;
	(void)events;
	if (read(r->efd, &n, sizeof n) < 0 && errno != EAGAIN)
		log_warn("resolver_wakeup", "error=%s", log_quote(strerror(errno)));
	pthread_mutex_lock(&r->mu);
	struct iol_lookup *list = r->done;
	r->done = NULL;
	pthread_mutex_unlock(&r->mu);
	while (list != NULL) {
		struct iol_lookup *lk = list;
		list = lk->next;
		answer(lk, lk->state, lk->host);
		free_lookup(lk);
	}
}

static void on_deadline(struct ev_timer *t, void *arg)
{
	struct iol_lookup *lk = arg;
	(void)t;
	log_info("dns_timeout", NULL);
	/* The lookup stays with its thread (or queue) and is freed when it
	 * comes back; only the caller is answered now. */
	answer(lk, ACCESS_HOST_NONAME, "");
}

static int start_threads(struct iol_resolver *r)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned i = 0; i < IOL_RESOLVE_THREADS; i++) {
		int rc = pthread_create(&r->threads[i], NULL, thread_main, r);
		if (rc != 0) {
			log_error("resolver_start", "error=%s", log_quote(strerror(rc)));
			break;
		}
		r->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r->nthreads > 0 ? 0 : -1;
}

struct iol_resolver *iol_resolver_new(struct evloop *loop)
{
	struct iol_resolver *r = calloc(1, sizeof *r);
	if (r == NULL) {
		log_error("resolver_start", "error=\"out of memory\"");
		return NULL;
	}
	r->loop = loop;
	r->todo_tail = &r->todo;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->efd < 0) {
		log_error("resolver_start", "error=%s", log_quote(strerror(errno)));
		free(r);
		return NULL;
	}
	r->io = evloop_add_io(loop, r->efd, EV_READ, on_done, r);
	if (r->io == NULL || start_threads(r) < 0) {
		iol_resolver_free(r);
		return NULL;
	}
	return r;
}

struct iol_lookup *iol_resolve_start(struct iol_resolver *r,
                                     const struct sockaddr *peer,
                                     socklen_t len, unsigned timeout_ms,
                                     iol_resolved_cb *cb, void *arg)
{
	if (r->queued >= IOL_RESOLVE_QUEUE_MAX || len > sizeof(struct sockaddr_storage)) {
		log_warn("dns_overload", "queued=%zu", r->queued);
		return NULL;
	}
	struct iol_lookup *lk = calloc(1, sizeof *lk);
	if (lk == NULL) {
		log_error("dns_lookup", "error=\"out of memory\"");
		return NULL;
	}
	memcpy(&lk->peer, peer, len);
	lk->len = len;
	lk->cb = cb;
	lk->arg = arg;
	lk->deadline = evloop_add_timer(r->loop, timeout_ms, false, on_deadline, lk);
	if (lk->deadline == NULL) {
		free(lk);
		return NULL;
	}
	pthread_mutex_lock(&r->mu);
	*r->todo_tail = lk;
	r->todo_tail = &lk->next;
	r->queued++;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return lk;
}

void iol_resolve_cancel(struct iol_resolver *r, struct iol_lookup *lk)
{
	if (lk == NULL)
		return;
	lk->cb = NULL;
	evloop_del_timer(lk->deadline);
	lk->deadline = NULL;
	/* Still queued: take it back now rather than look it up for
	 * nobody. */
	pthread_mutex_lock(&r->mu);
	for (struct iol_lookup **pp = &r->todo; *pp != NULL; pp = &(*pp)->next)
		if (*pp == lk) {
			*pp = lk->next;
			if (r->todo_tail == &lk->next)
				r->todo_tail = pp;
			r->queued--;
			pthread_mutex_unlock(&r->mu);
			free(lk);
			return;
		}
	pthread_mutex_unlock(&r->mu);
}

void iol_resolver_free(struct iol_resolver *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopping = true;
	bool idle = r->busy == 0;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	evloop_del_io(r->io);
	r->io = NULL;
	if (!idle) {
		abandoned = r;
		return;
	}
	for (unsigned i = 0; i < r->nthreads; i++)
		pthread_join(r->threads[i], NULL);
	struct iol_lookup *lists[2] = { r->todo, r->done };
	for (int k = 0; k < 2; k++)
		while (lists[k] != NULL) {
			struct iol_lookup *lk = lists[k];
			lists[k] = lk->next;
			free_lookup(lk);
		}
	close(r->efd);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}
