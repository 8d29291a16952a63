/*
 * iol_resolve.c - reverse + forward host-name lookups for the
 * iolistener's access filters, on libcommon's job pool (store_pool.h, a
 * pool without a store); see iol_resolve.h.
 *
 * Ownership: a lookup is the context of its pool job; the pool frees it
 * (free_lookup) on the loop's thread once the job is over, answered or
 * cancelled.  The deadline answers the caller on the loop and cancels
 * the job: one still queued is dropped at once, one a thread works on
 * finishes there and its result is thrown away.
 */
#include "iol_resolve.h"

#include "evloop.h"
#include "log.h"
#include "store_pool.h"

#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct iol_lookup {
	struct iol_resolver *r;
	struct store_job *job;
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
	struct store_pool *pool;
	size_t pending;              /* lookups not yet freed */
};

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

/* On a pool thread: touches only the lookup. */
static int run(struct store *st, void *local, void *ctx)
{
	(void)st;
	(void)local;
	lookup(ctx);
	return 0;
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

static void done(void *ctx, int rc, enum store_error err)
{
	struct iol_lookup *lk = ctx;
	(void)rc;
	(void)err;
	answer(lk, lk->state, lk->host);
}

static void free_lookup(void *ctx)
{
	struct iol_lookup *lk = ctx;
	lk->r->pending--;
	evloop_del_timer(lk->deadline);
	free(lk);
}

static const struct store_job_ops resolve_ops = {
	.name = "resolve", .kind = STORE_JOB_PLAIN,
	.run = run, .done = done, .free = free_lookup,
};

static void on_deadline(struct ev_timer *t, void *arg)
{
	struct iol_lookup *lk = arg;
	struct store_job *job = lk->job;
	(void)t;
	log_info("dns_timeout", NULL);
	answer(lk, ACCESS_HOST_NONAME, "");
	store_job_cancel(job);       /* may free LK */
}

struct iol_resolver *iol_resolver_new(struct evloop *loop)
{
	struct iol_resolver *r = calloc(1, sizeof *r);
	if (r == NULL) {
		log_error("resolver_start", "error=\"out of memory\"");
		return NULL;
	}
	r->loop = loop;
	r->pool = store_pool_new(loop, "resolver", NULL, NULL, 0, IOL_RESOLVE_THREADS, NULL);
	if (r->pool == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

struct iol_lookup *iol_resolve_start(struct iol_resolver *r,
                                     const struct sockaddr *peer,
                                     socklen_t len, unsigned timeout_ms,
                                     iol_resolved_cb *cb, void *arg)
{
	if (r->pending >= IOL_RESOLVE_QUEUE_MAX || len > sizeof(struct sockaddr_storage)) {
		log_warn("dns_overload", "queued=%zu", r->pending);
		return NULL;
	}
	struct iol_lookup *lk = calloc(1, sizeof *lk);
	if (lk == NULL) {
		log_error("dns_lookup", "error=\"out of memory\"");
		return NULL;
	}
	memcpy(&lk->peer, peer, len);
	lk->r = r;
	lk->len = len;
	lk->cb = cb;
	lk->arg = arg;
	lk->deadline = evloop_add_timer(r->loop, timeout_ms, false, on_deadline, lk);
	if (lk->deadline == NULL) {
		free(lk);
		return NULL;
	}
	r->pending++;
	/* The pool owns LK from here, and has freed it when this fails. */
	struct store_job *job = store_pool_submit(r->pool, &resolve_ops, lk);
	if (job == NULL)
		return NULL;
	lk->job = job;
	return lk;
}

void iol_resolve_cancel(struct iol_resolver *r, struct iol_lookup *lk)
{
	(void)r;
	if (lk == NULL)
		return;
	lk->cb = NULL;
	evloop_del_timer(lk->deadline);
	lk->deadline = NULL;
	store_job_cancel(lk->job);   /* may free LK */
}

void iol_resolver_free(struct iol_resolver *r)
{
	if (r == NULL)
		return;
	store_pool_free(r->pool);
	free(r);
}
