/* Unit tests for iolistener/iol_resolve.c: every lookup is answered
 * exactly once, from the loop; a cancelled one never; 127.0.0.1 comes
 * back verified with the name the system resolver gives it, an address
 * without a name as "no name"; the resolver frees cleanly.  Waits are
 * bounded by a guard and assert what happened, not how long it took. */
#include "../../iolistener/iol_resolve.h"
#include "evloop.h"
#include "log.h"
#include "tap.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define GUARD_MS 20000
#define MANY 50

static struct evloop *loop;
static int answers;
static int verified;
static int cancelled_calls;
static char last_host[NI_MAXHOST];
static enum access_host_state last_state;

static void on_answer(void *arg, enum access_host_state st, const char *host)
{
	(void)arg;
	answers++;
	verified += st == ACCESS_HOST_VERIFIED;
	last_state = st;
	snprintf(last_host, sizeof last_host, "%s", host);
}

static void on_cancelled(void *arg, enum access_host_state st, const char *host)
{
	(void)arg;
	(void)st;
	(void)host;
	cancelled_calls++;
}

static int want;

static void on_tick(struct ev_timer *t, void *arg)
{
	(void)t;
	if (answers >= want)
		evloop_stop(arg);
}

static void on_guard(struct ev_timer *t, void *arg)
{
	(void)t;
	evloop_stop(arg);
}

static void run_until_answers(int n)
{
	want = n;
	struct ev_timer *tick = evloop_add_timer(loop, 5, true, on_tick, loop);
	struct ev_timer *guard = evloop_add_timer(loop, GUARD_MS, false, on_guard,
	                                          loop);
	evloop_run(loop);
	evloop_del_timer(tick);
	evloop_del_timer(guard);
}

static struct sockaddr_in v4(const char *text)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	inet_pton(AF_INET, text, &sa.sin_addr);
	return sa;
}

/* What the system resolver says of ADDR: 1 verified both ways (the name
 * in NAME), 0 no name, -1 something else (the test is skipped then). */
static int system_view(const struct sockaddr_in *sa, char *name, size_t cap)
{
	if (getnameinfo((const struct sockaddr *)sa, sizeof *sa, name, (socklen_t)cap,
	                NULL, 0, NI_NAMEREQD) != 0)
		return 0;
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int found = -1;
	if (getaddrinfo(name, NULL, &hints, &res) == 0) {
		for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
			if (((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr ==
			    sa->sin_addr.s_addr)
				found = 1;
		freeaddrinfo(res);
	}
	return found;
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	loop = evloop_new();
	struct iol_resolver *r = iol_resolver_new(loop);
	ok(r != NULL, "resolver starts");

	struct sockaddr_in lo = v4("127.0.0.1");
	char name[NI_MAXHOST] = "";
	int view = system_view(&lo, name, sizeof name);

	for (int i = 0; i < MANY; i++)
		iol_resolve_start(r, (struct sockaddr *)&lo, sizeof lo, GUARD_MS,
		                  on_answer, NULL);
	run_until_answers(MANY);
	is_int(answers, MANY, "%d lookups, %d answers", MANY, answers);
	if (view == 1) {
		is_int(verified, MANY, "127.0.0.1 verified every time");
		is_str(last_host, name, "with the system's name for it");
	} else {
		/* Nothing to compare with on this machine. */
		diag("127.0.0.1 has no two-way name here (%d): not checked", view);
	}

	struct iol_lookup *lk = iol_resolve_start(r, (struct sockaddr *)&lo,
	                                          sizeof lo, GUARD_MS,
	                                          on_cancelled, NULL);
	iol_resolve_cancel(r, lk);
	answers = 0;
	iol_resolve_start(r, (struct sockaddr *)&lo, sizeof lo, GUARD_MS,
	                  on_answer, NULL);
	run_until_answers(1);
	is_int(cancelled_calls, 0, "a cancelled lookup is never answered");

	/* 192.0.2.0/24 is documentation space: no PTR record anywhere, or
	 * a resolver that cannot be reached; either way "no name" within
	 * the deadline. */
	struct sockaddr_in doc = v4("192.0.2.1");
	answers = 0;
	ok(iol_resolve_start(r, (struct sockaddr *)&doc, sizeof doc, 1500,
	                     on_answer, NULL) != NULL, "lookup of 192.0.2.1 starts");
	run_until_answers(1);
	is_int(answers, 1, "answered (by the lookup or by the deadline)");
	ok(last_state == ACCESS_HOST_NONAME && last_host[0] == '\0',
	   "as no name");

	iol_resolver_free(r);
	evloop_free(loop);
	done_testing();
	return exit_status();
}
