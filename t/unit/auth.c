/* Unit tests for libcommon/auth.c and store_auth.c: login names, the
 * password and digest checks, allowed services, the growing delay and
 * the lock-outs per address and per person, shared through the store,
 * and the retrievable secrets. */
#include "auth.h"
#include "log.h"
#include "store.h"
#include "store_auth.h"
#include "store_test.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

static struct auth_settings set = {
	.separators = "@+",
	.default_domain = "example.test",
	.retrievable_secrets = true,
	.delay_ms = 100,
	.delay_max_ms = 800,
	.window_s = 600,
	.addr_lock_after = 5,
	.person_lock_after = 8,
	.lock_s = 300,
};

static struct auth_client client(const char *addr)
{
	return (struct auth_client){ "pop", STORE_SVC_POP, addr, "t.1", false };
}

static enum auth_result pass(struct auth *a, const char *addr, const char *login,
                             const char *pw, unsigned *delay)
{
	struct auth_client c = client(addr);
	struct auth_cred cred = { .kind = AUTH_CRED_PASSWORD, .mech = "USER",
	                          .login = login, .password = pw };
	struct auth_identity id;
	unsigned d;
	return auth_check(a, &c, &cred, &id, delay ? delay : &d);
}

static void test_resolve(void)
{
	char u[64], d[64];
	ok(auth_resolve(&set, "demo@example.test", u, sizeof u, d, sizeof d) == 0 &&
	   strcmp(u, "demo") == 0 && strcmp(d, "example.test") == 0, "user@domain splits");
	ok(auth_resolve(&set, "demo+other.test", u, sizeof u, d, sizeof d) == 0 &&
	   strcmp(d, "other.test") == 0, "any configured separator splits");
	ok(auth_resolve(&set, "a@b@c", u, sizeof u, d, sizeof d) == 0 && strcmp(u, "a@b") == 0 &&
	   strcmp(d, "c") == 0, "the last separator wins");
	ok(auth_resolve(&set, "demo", u, sizeof u, d, sizeof d) == 0 &&
	   strcmp(d, "example.test") == 0, "a bare name takes the default domain");
	struct auth_settings none = set;
	none.default_domain = "";
	ok(auth_resolve(&none, "demo", u, sizeof u, d, sizeof d) < 0,
	   "a bare name without default domain does not resolve");
	ok(auth_resolve(&set, "@example.test", u, sizeof u, d, sizeof d) < 0, "an empty user does not");
	ok(auth_resolve(&set, "demo@", u, sizeof u, d, sizeof d) < 0, "an empty domain does not");
	is_int(auth_delay_ms(&set, 0), 0, "no failure, no delay");
	is_int(auth_delay_ms(&set, 1), 100, "the first failure waits the base delay");
	is_int(auth_delay_ms(&set, 3), 400, "it doubles with each failure");
	is_int(auth_delay_ms(&set, 30), 800, "up to the maximum");
}

static void test_password(struct auth *a, struct store *st, int64_t pid)
{
	unsigned delay = 0;
	struct auth_client c = client("192.0.2.1");
	struct auth_cred cred = { .kind = AUTH_CRED_PASSWORD, .mech = "USER",
	                          .login = "Demo@Example.Test", .password = "pw1" };
	struct auth_identity id;
	is_int(auth_check(a, &c, &cred, &id, &delay), AUTH_OK, "the right password logs in");
	is_int(id.person_id, pid, "  as the person");
	is_str(id.address, "demo@example.test", "  named as stored");
	is_int(delay, 0, "  without delay");
	is_int(pass(a, "192.0.2.1", "demo", "wrong", &delay), AUTH_FAILED, "a wrong password fails");
	is_int(delay, 100, "  after the base delay");
	is_int(pass(a, "192.0.2.1", "nobody", "pw1", &delay), AUTH_FAILED,
	       "an unknown name fails the same way");
	is_int(delay, 200, "  and the address's delay doubles");
	is_int(pass(a, "192.0.2.1", "demo", "pw1", &delay), AUTH_OK, "a success");
	struct store_auth_state s;
	store_auth_state(st, STORE_AUTH_ADDR, "192.0.2.1", 0x7fffffff - 1, 1 << 30, &s);
	is_int(s.failures, 0, "  resets the address's count");
	store_person_set_services(st, pid, STORE_SVC_IMAP, false);
	is_int(pass(a, "192.0.2.1", "demo", "pw1", &delay), AUTH_NO_SERVICE,
	       "a person without POP is refused with the right password");
	store_person_set_services(st, pid, STORE_SVC_ALL, false);
}

static void test_limits(struct auth *a, struct store *st, int64_t pid)
{
	unsigned delay = 0, last = 0;
	int grew = 1;
	for (int i = 0; i < 4; i++) {
		pass(a, "198.51.100.7", "demo", "wrong", &delay);
		grew &= delay > last;
		last = delay;
	}
	ok(grew, "four failures from one address wait longer each time");
	is_int(pass(a, "198.51.100.7", "demo", "wrong", &delay), AUTH_FAILED, "the fifth fails");
	is_int(delay, 800, "  and locks the address: the longest delay");
	is_int(pass(a, "198.51.100.7", "demo", "pw1", &delay), AUTH_LOCKED,
	       "the locked address is refused even with the right password");
	is_int(pass(a, "203.0.113.9", "demo", "pw1", &delay), AUTH_OK,
	       "another address still logs the person in");

	/* a person guessed at from many addresses */
	char addr[32];
	for (int i = 0; i < 8; i++) {
		snprintf(addr, sizeof addr, "10.0.0.%d", i + 1);
		pass(a, addr, "demo", "wrong", NULL);
	}
	is_int(pass(a, "10.0.0.200", "demo", "pw1", &delay), AUTH_LOCKED,
	       "eight failures from eight addresses lock the person");
	struct store_auth_state s;
	char key[24];
	snprintf(key, sizeof key, "%lld", (long long)pid);
	store_auth_state(st, STORE_AUTH_PERSON, key, 0, 1 << 30, &s);
	ok(s.locked_until > 0, "  the lock is in the store, for every process");
	store_auth_reset(st, STORE_AUTH_PERSON, key);
	is_int(pass(a, "10.0.0.201", "demo", "pw1", &delay), AUTH_OK, "lifting it lets the person in");

	for (int i = 0; i < 6; i++)
		pass(a, "", "nobody", "wrong", NULL);
	is_int(pass(a, "unknown", "demo", "pw1", &delay), AUTH_OK,
	       "clients of unknown address share no counter, so none locks the others out");

	struct store_auth_state w;
	store_auth_fail(st, STORE_AUTH_ADDR, "192.0.2.50", 1000, 60, 0, 60, &w);
	store_auth_fail(st, STORE_AUTH_ADDR, "192.0.2.50", 1010, 60, 0, 60, &w);
	is_int(w.failures, 2, "failures within the window add up");
	store_auth_fail(st, STORE_AUTH_ADDR, "192.0.2.50", 2000, 60, 0, 60, &w);
	is_int(w.failures, 1, "a failure after the window starts again");
	store_auth_fail(st, STORE_AUTH_ADDR, "192.0.2.51", 1000, 60, 1, 2000, &w);
	is_int(store_auth_expire(st, 2100, 60), 1,
	       "expiring sweeps the counter with no failure in the window");
	store_auth_state(st, STORE_AUTH_ADDR, "192.0.2.51", 2100, 60, &w);
	is_int(w.locked_until, 3000, "  but keeps one whose lock is in force");
	is_int(store_auth_expire(st, 3100, 60), 1, "  until the lock has run out");
}

static void test_digests(struct auth *a, struct store *st, int64_t pid)
{
	char d[33];
	unsigned delay;
	struct auth_identity id;
	struct auth_client c = client("192.0.2.77");
	const char *ts = "<1.2@host>";
	sasl_apop_digest(ts, "pw1", d);
	struct auth_cred apop = { .kind = AUTH_CRED_APOP, .mech = "APOP", .login = "demo",
	                          .challenge = ts, .digest = d };
	is_int(auth_check(a, &c, &apop, &id, &delay), AUTH_OK,
	       "APOP works with the secret kept at the last clear login");
	sasl_cram_md5_digest("pw1", ts, d);
	struct auth_cred cram = { .kind = AUTH_CRED_CRAM_MD5, .mech = "CRAM-MD5",
	                          .login = "demo", .challenge = ts, .digest = d };
	is_int(auth_check(a, &c, &cram, &id, &delay), AUTH_OK, "so does CRAM-MD5");
	sasl_cram_md5_digest("pw2", ts, d);
	is_int(auth_check(a, &c, &cram, &id, &delay), AUTH_FAILED, "a digest of another secret fails");
	store_person_set_password(st, pid, "pw2");
	is_int(auth_check(a, &c, &cram, &id, &delay), AUTH_FAILED,
	       "a changed password voids the kept secret");
	is_int(pass(a, "192.0.2.77", "demo", "pw2", &delay), AUTH_OK, "a clear login with the new one");
	is_int(auth_check(a, &c, &cram, &id, &delay), AUTH_OK, "  keeps it again");

	struct auth_settings off = set;
	off.retrievable_secrets = false;
	struct auth *b = auth_new(&off, st);
	char *secret = NULL;
	ok(store_auth_secret_get(st, pid, &secret) < 0, "turning secrets off deletes them");
	is_int(auth_check(b, &c, &cram, &id, &delay), AUTH_FAILED, "  and digests fail then");
	auth_free(b);

	struct sasl_creds sc = { .mech = SASL_MECH_PLAIN };
	snprintf(sc.authzid, sizeof sc.authzid, "root");
	snprintf(sc.authcid, sizeof sc.authcid, "demo");
	snprintf(sc.password, sizeof sc.password, "pw2");
	is_int(auth_check_sasl(a, &c, &sc, &id, &delay), AUTH_FAILED,
	       "PLAIN acting for another person fails");
	snprintf(sc.authzid, sizeof sc.authzid, "demo");
	is_int(auth_check_sasl(a, &c, &sc, &id, &delay), AUTH_OK, "PLAIN naming itself logs in");
}

/* EXTERNAL: the certificate's name, no secret, and the authorization
 * identity checked against the person. */
static void test_external(struct auth *a)
{
	struct auth_client c = client("192.0.2.78");
	struct auth_identity id;
	unsigned delay;
	struct sasl_creds sc = { .mech = SASL_MECH_EXTERNAL };
	snprintf(sc.authcid, sizeof sc.authcid, "demo");
	is_int(auth_check_sasl(a, &c, &sc, &id, &delay), AUTH_OK,
	       "EXTERNAL with a person's name logs in without a secret");
	is_str(id.address, "demo@example.test", "  as the person the bare name resolves to");
	snprintf(sc.authzid, sizeof sc.authzid, "DEMO@example.test");
	is_int(auth_check_sasl(a, &c, &sc, &id, &delay), AUTH_OK,
	       "an authorization identity naming the same person is accepted");
	snprintf(sc.authzid, sizeof sc.authzid, "root@example.test");
	is_int(auth_check_sasl(a, &c, &sc, &id, &delay), AUTH_FAILED,
	       "one naming someone else fails");
	ok(delay > 0, "  and counts as a failure (its answer waits)");
	sc.authzid[0] = '\0';
	snprintf(sc.authcid, sizeof sc.authcid, "nobody");
	is_int(auth_check_sasl(a, &c, &sc, &id, &delay), AUTH_FAILED,
	       "EXTERNAL with a name that is no person fails");
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	struct store *st = test_store_open("store.db", 2000);
	int64_t pid = 0;
	if (st == NULL || store_domain_add(st, "example.test", "", NULL) < 0 ||
	    store_person_add(st, "example.test", "demo", "pw1", &pid) < 0)
		skip_all("no store");
	struct auth *a = auth_new(&set, st);
	ok(a != NULL, "an authenticator is made");
	test_resolve();
	test_password(a, st, pid);
	test_limits(a, st, pid);
	test_digests(a, st, pid);
	test_external(a);
	auth_free(a);
	store_close(st);
	done_testing();
	return exit_status();
}
