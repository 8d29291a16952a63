/* Unit tests for libcommon/auth_async.c: results come back on the loop
 * (never from inside the submitting call), many checks at once each get
 * their own answer, cancelled jobs never call back (queued, running or
 * cancelled from another job's callback), the threads' store writes are
 * the shared counters, and a pool freed with work queued leaks nothing
 * (run under ASan). */
#include "auth_async.h"
#include "evloop.h"
#include "log.h"
#include "store.h"
#include "store_auth.h"
#include "store_directory.h"
#include "loop_answers.h"
#include "store_test.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* No lock-outs: the concurrent checks fail on purpose. */
static struct auth_settings set = {
	.separators = "@",
	.default_domain = "example.test",
	.retrievable_secrets = false,
	.delay_ms = 100,
	.delay_max_ms = 800,
	.window_s = 600,
	.addr_lock_after = 0,
	.person_lock_after = 0,
	.lock_s = 300,
};

static struct evloop *loop;
static char db_path[1024];   /* a path or a connection string */

/* What one callback saw. */
struct seen {
	int calls;
	enum auth_result r;
	unsigned delay;
	char address[AUTH_NAME_MAX];
};


static void on_done(void *arg, enum auth_result r, const struct auth_identity *id,
                    unsigned delay)
{
	struct seen *s = arg;
	s->calls++;
	s->r = r;
	s->delay = delay;
	snprintf(s->address, sizeof s->address, "%s", r == AUTH_OK ? id->address : "");
	loop_answered();
}

static struct auth_job *check(struct auth_pool *p, const char *addr, const char *login,
                              const char *pw, struct seen *s)
{
	struct auth_client c = { "imap", STORE_SVC_IMAP, addr, "t.1", false };
	struct auth_cred cred = { .kind = AUTH_CRED_PASSWORD, .mech = "LOGIN",
	                          .login = login, .password = pw };
	return auth_pool_check(p, &c, &cred, on_done, s);
}

static void test_one(struct auth_pool *p)
{
	struct seen s = { 0 };
	char pw[8] = "pw1";
	struct auth_job *j = check(p, "192.0.2.1", "demo", pw, &s);
	memset(pw, 'x', 3);   /* the job has its own copy */
	ok(j != NULL, "a check is queued");
	is_int(s.calls, 0, "  its callback does not run inside the call");
	loop_answers_wait(1);
	is_int(s.calls, 1, "  it runs once, on the loop");
	is_int(s.r, AUTH_OK, "  the right password logs in");
	is_str(s.address, "demo@example.test", "  as the person");
	is_int(s.delay, 0, "  without delay");
}

static void test_sasl(struct auth_pool *p)
{
	struct sasl_creds cr;
	memset(&cr, 0, sizeof cr);
	cr.mech = SASL_MECH_PLAIN;
	snprintf(cr.authcid, sizeof cr.authcid, "demo");
	snprintf(cr.password, sizeof cr.password, "pw1");
	struct auth_client c = { "imap", STORE_SVC_IMAP, "192.0.2.1", "t.2", true };
	struct seen s = { 0 };
	ok(auth_pool_check_sasl(p, &c, &cr, on_done, &s) != NULL, "a SASL check is queued");
	memset(&cr, 0, sizeof cr);
	loop_answers_wait(1);
	is_int(s.r, AUTH_OK, "  PLAIN with the right password logs in");
}

#define MANY 12

static void test_many(struct auth_pool *p, struct store *st)
{
	struct seen s[MANY];
	memset(s, 0, sizeof s);
	for (int i = 0; i < MANY; i++)
		check(p, i % 2 ? "198.51.100.7" : "192.0.2.1", i % 3 ? "demo" : "nobody",
		      i % 2 ? "wrong" : "pw1", &s[i]);
	loop_answers_wait(MANY);
	int right = 1, once = 1;
	for (int i = 0; i < MANY; i++) {
		bool should = i % 2 == 0 && i % 3 != 0;
		once &= s[i].calls == 1;
		right &= (s[i].r == AUTH_OK) == should &&
		         (should || s[i].r == AUTH_FAILED) && (!should || s[i].delay == 0);
	}
	ok(once, "%d checks at once: each callback runs exactly once", MANY);
	ok(right, "  each gets its own result");
	struct store_auth_state as;
	ok(store_auth_state(st, STORE_AUTH_ADDR, "198.51.100.7", time(NULL), 600, &as) == 0 &&
	   as.failures == MANY / 2, "  the threads' failures are counted in the shared store");
}

static void test_cancel_pool(struct auth_pool *one)
{
	struct seen s[6];
	memset(s, 0, sizeof s);
	struct auth_job *j[6];
	for (int i = 0; i < 6; i++)
		j[i] = check(one, "192.0.2.9", "demo", "pw1", &s[i]);
	/* the first is likely running by now, the others queued */
	for (int i = 0; i < 5; i++)
		auth_job_cancel(j[i]);
	loop_answers_wait(1);
	int none = 1;
	for (int i = 0; i < 5; i++)
		none &= s[i].calls == 0;
	ok(none, "cancelled checks (running or queued) never call back");
	is_int(s[5].calls, 1, "  the one left is answered");
	is_int(s[5].r, AUTH_OK, "  rightly");
}

/* A callback that cancels another job (as when one client's answer
 * ends another client). */
static struct auth_job *victim;

static void on_done_cancel(void *arg, enum auth_result r, const struct auth_identity *id,
                           unsigned delay)
{
	auth_job_cancel(victim);
	on_done(arg, r, id, delay);
}

static void test_cancel_from_callback(struct auth_pool *one)
{
	struct seen a = { 0 }, b = { 0 }, c = { 0 };
	struct auth_client cl = { "imap", STORE_SVC_IMAP, "192.0.2.9", "t.3", false };
	struct auth_cred cred = { .kind = AUTH_CRED_PASSWORD, .mech = "LOGIN",
	                          .login = "demo", .password = "pw1" };
	auth_pool_check(one, &cl, &cred, on_done_cancel, &a);
	victim = check(one, "192.0.2.9", "demo", "pw1", &b);
	check(one, "192.0.2.9", "demo", "pw1", &c);
	/* the third finishes last on the one thread; wait for a and c */
	loop_answers_wait(2);
	is_int(a.calls, 1, "a callback that cancels another job runs");
	is_int(b.calls, 0, "  the job it cancelled never calls back");
	is_int(c.calls, 1, "  the next one still does");
}

static void test_free_busy(struct auth *model)
{
	struct auth_pool *p = auth_pool_new(loop, model, test_store_backend(), db_path, 2000, 1);
	struct seen s[4];
	memset(s, 0, sizeof s);
	for (int i = 0; i < 4; i++)
		check(p, "192.0.2.10", "demo", "pw1", &s[i]);
	auth_pool_free(p);
	int none = 1;
	for (int i = 0; i < 4; i++)
		none &= s[i].calls == 0;
	ok(none, "a pool freed with checks queued and running calls nobody back");
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	snprintf(db_path, sizeof db_path, "%s", test_store_target("store.db"));
	struct store *st = test_store_open("store.db", 2000);
	int64_t pid = 0;
	if (st == NULL || store_domain_add(st, "example.test", "", NULL) < 0 ||
	    store_person_add(st, "example.test", "demo", "pw1", &pid) < 0)
		skip_all("no store");
	loop = loop_answers_loop = evloop_new();
	struct auth *a = auth_new(&set, st);
	ok(loop != NULL && a != NULL, "a loop and an authenticator are made");
	is_int(auth_pool_threads(0) >= 1, 1, "threads default to the CPUs, at least one");
	is_int(auth_pool_threads(1000), AUTH_POOL_THREADS_MAX, "  capped");
	struct auth_pool *p = auth_pool_new(loop, a, test_store_backend(), db_path, 2000, 2);
	struct auth_pool *one = auth_pool_new(loop, a, test_store_backend(), db_path, 2000, 1);
	ok(p != NULL && one != NULL, "pools of 2 and 1 threads start");
	if (p == NULL || one == NULL)
		skip_all("no pool");
	test_one(p);
	test_sasl(p);
	test_many(p, st);
	test_cancel_pool(one);
	test_cancel_from_callback(one);
	test_free_busy(a);
	auth_pool_free(one);
	auth_pool_free(p);
	auth_free(a);
	evloop_free(loop);
	store_close(st);
	done_testing();
	return exit_status();
}
