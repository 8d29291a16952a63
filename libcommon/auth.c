/*
 * auth.c - login names, credentials, allowed services and the limits on
 * failed logins; see auth.h.  pop3srv and imap4srv call it for every
 * login; the counters it keeps are in the store (store_auth.h).
 */
#include "auth.h"
#include "auth_cache.h"
#include "config.h"
#include "log.h"
#include "password.h"
#include "store.h"
#include "store_auth.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Old counters are swept at start and after this many failures. */
#define EXPIRE_EVERY 100

struct auth {
	struct auth_settings set;
	struct store *st;
	/* shared with the clones, freed with the one auth_new() made */
	struct auth_cache *cache;
	bool owns_cache;
	unsigned failures_seen;
	/* verified against when the name is no person, so that an unknown
	 * name costs what a wrong password costs */
	char dummy_hash[PASSWORD_HASH_MAX];
};

void auth_settings_read(const struct ems_config *cfg, struct auth_settings *out)
{
	out->separators = config_str(cfg, "auth.login_separators");
	out->default_domain = config_str(cfg, "auth.default_domain");
	out->certificate_user = config_str(cfg, "auth.certificate_user");
	out->retrievable_secrets = config_bool(cfg, "auth.retrievable_secrets");
	out->delay_ms = (unsigned)config_int(cfg, "auth.fail_delay_ms");
	out->delay_max_ms = (unsigned)config_int(cfg, "auth.fail_delay_max_ms");
	out->window_s = config_int(cfg, "auth.fail_window_s");
	out->addr_lock_after = (int)config_int(cfg, "auth.addr_lock_failures");
	out->person_lock_after = (int)config_int(cfg, "auth.person_lock_failures");
	out->lock_s = config_int(cfg, "auth.lock_s");
	out->cache_size = (unsigned)config_int(cfg, "auth.cache_size");
	out->cache_ttl_s = config_int(cfg, "auth.cache_ttl_s");
}

struct auth *auth_new(const struct auth_settings *set, struct store *st)
{
	struct auth *a = calloc(1, sizeof *a);
	if (a == NULL) {
		log_error("auth", "error=\"out of memory\"");
		return NULL;
	}
	a->set = *set;
	a->st = st;
	if (password_hash("ems-no-such-person", a->dummy_hash, sizeof a->dummy_hash) < 0) {
		free(a);
		return NULL;
	}
	a->cache = auth_cache_new(set->cache_size, set->cache_ttl_s);
	a->owns_cache = true;
	store_auth_expire(st, time(NULL), set->window_s);
	if (!set->retrievable_secrets) {
		int n = store_auth_secret_purge(st);
		if (n > 0)
			log_info("auth_secrets_purged", "count=%d", n);
	}
	return a;
}

struct auth *auth_clone(const struct auth *model, struct store *st)
{
	struct auth *a = calloc(1, sizeof *a);
	if (a == NULL) {
		log_error("auth", "error=\"out of memory\"");
		return NULL;
	}
	a->set = model->set;
	a->st = st;
	a->cache = model->cache;
	memcpy(a->dummy_hash, model->dummy_hash, sizeof a->dummy_hash);
	return a;
}

void auth_free(struct auth *a)
{
	if (a != NULL && a->owns_cache)
		auth_cache_free(a->cache);
	free(a);
}

const struct auth_settings *auth_settings(const struct auth *a)
{
	return &a->set;
}

const char *auth_result_name(enum auth_result r)
{
	static const char *const names[] = { "ok", "failed", "no_service", "locked",
	                                      "unavailable" };
	return names[r];
}

unsigned auth_delay_ms(const struct auth_settings *set, int failures)
{
	if (failures <= 0)
		return 0;
	uint64_t ms = set->delay_ms;
	for (int i = 1; i < failures && ms < set->delay_max_ms; i++)
		ms *= 2;
	return ms < set->delay_max_ms ? (unsigned)ms : set->delay_max_ms;
}

int auth_resolve(const struct auth_settings *set, const char *login, char *user,
                 size_t ulen, char *domain, size_t dlen)
{
	const char *cut = NULL;
	for (const char *p = login; *p; p++)
		if (strchr(set->separators, *p) != NULL)
			cut = p;
	const char *u = login, *d;
	size_t un;
	if (cut != NULL) {
		un = (size_t)(cut - login);
		d = cut + 1;
	} else {
		un = strlen(login);
		d = set->default_domain;
	}
	if (un == 0 || un >= ulen || *d == '\0' || strlen(d) >= dlen)
		return -1;
	memcpy(user, u, un);
	user[un] = '\0';
	snprintf(domain, dlen, "%s", d);
	return 0;
}

/* ---- one login ---- */

/* Everything one auth_check() call carries around. */
struct attempt {
	struct auth *a;
	const struct auth_client *c;
	const struct auth_cred *cred;
	const char *addr;
	bool addr_known;
	bool addr_dirty, person_dirty;   /* counters to reset on success */
	int64_t now;
	bool found;
	bool cached;                     /* the password check hit the cache */
	struct store_person p;
	/* the person's counter: its id, or for a name that is no person
	 * "name:" and the name, so both cases cost the same store work and
	 * the timing does not tell whether a person exists */
	char person_key[AUTH_NAME_MAX + 8];
};

static void log_outcome(const struct attempt *t, enum log_level lvl, const char *event,
                        const char *reason, int failures, unsigned delay)
{
	log_event(lvl, event, "service=%s session=%s peer=%s login=%s mech=%s tls=%s"
	          " reason=%s failures=%d delay_ms=%u", t->c->service,
	          log_quote(t->c->session), log_quote(t->addr), log_quote(t->cred->login),
	          t->cred->mech, t->c->tls ? "yes" : "no", log_quote(reason), failures, delay);
}

/* Counts one failure against the address and the person; returns the
 * delay to wait. */
static unsigned count_failure(struct attempt *t, const char *reason)
{
	const struct auth_settings *s = &t->a->set;
	struct store_auth_state as = { 0, 0 }, ps = { 0, 0 };
	/* clients whose address is unknown share no counter: one of them
	 * must not lock out the others */
	if (t->addr_known &&
	    store_auth_fail(t->a->st, STORE_AUTH_ADDR, t->addr, t->now, s->window_s,
	                    s->addr_lock_after, s->lock_s, &as) < 0)
		as.failures = 1;
	if (store_auth_fail(t->a->st, STORE_AUTH_PERSON, t->person_key, t->now, s->window_s,
	                    s->person_lock_after, s->lock_s, &ps) < 0)
		ps.failures = 1;
	if (++t->a->failures_seen % EXPIRE_EVERY == 0)
		store_auth_expire(t->a->st, t->now, s->window_s);
	int n = as.failures > ps.failures ? as.failures : ps.failures;
	bool lock = as.locked_until > t->now || ps.locked_until > t->now;
	unsigned delay = lock ? s->delay_max_ms : auth_delay_ms(s, n);
	log_outcome(t, LOG_LVL_INFO, "auth_failed", reason, n, delay);
	if (as.locked_until > t->now)
		log_warn("auth_lockout", "service=%s peer=%s until=%" PRId64 " lock_s=%" PRId64,
		         t->c->service, log_quote(t->addr), as.locked_until, s->lock_s);
	if (ps.locked_until > t->now)
		log_warn("auth_lockout", "service=%s person=%s until=%" PRId64 " lock_s=%" PRId64,
		         t->c->service, log_quote(t->cred->login), ps.locked_until, s->lock_s);
	return delay;
}

/* True when KEY of KIND is locked now; *ERR set when the store failed.
 * *DIRTY (may be NULL) tells whether there is a count to reset. */
static bool is_locked(struct attempt *t, const char *kind, const char *key, bool *err,
                      bool *dirty)
{
	struct store_auth_state s;
	if (store_auth_state(t->a->st, kind, key, t->now, t->a->set.window_s, &s) < 0) {
		*err = true;
		return false;
	}
	if (dirty != NULL)
		*dirty = s.failures > 0 || s.locked_until != 0;
	return s.locked_until > t->now;
}

/* Finds the person the login names: 0 found or not (t->found), -1 when
 * the store failed. */
static int find_person(struct attempt *t)
{
	char user[AUTH_NAME_MAX], domain[AUTH_NAME_MAX];
	snprintf(t->person_key, sizeof t->person_key, "name:%.*s", AUTH_NAME_MAX - 1,
	         t->cred->login);
	if (auth_resolve(&t->a->set, t->cred->login, user, sizeof user, domain,
	                 sizeof domain) < 0)
		return 0;
	if (store_person_find(t->a->st, user, domain, &t->p) < 0)
		return store_last_error(t->a->st) == STORE_E_NOTFOUND ? 0 : -1;
	t->found = true;
	snprintf(t->person_key, sizeof t->person_key, "%" PRId64, t->p.id);
	return 0;
}

/* Digest check for CRAM-MD5 and APOP: 1 right, 0 wrong, -1 store error. */
static int check_digest(struct attempt *t)
{
	char *secret = NULL, want[33];
	int right = 0;
	if (t->found && store_auth_secret_get(t->a->st, t->p.id, &secret) < 0 &&
	    store_last_error(t->a->st) != STORE_E_NOTFOUND)
		return -1;
	/* no secret: the same work on a dummy, the same answer */
	const char *use = secret ? secret : t->a->dummy_hash;
	int r = t->cred->kind == AUTH_CRED_APOP
	            ? sasl_apop_digest(t->cred->challenge, use, want)
	            : sasl_cram_md5_digest(use, t->cred->challenge, want);
	if (r == 0 && strlen(t->cred->digest) == 32)
		right = CRYPTO_memcmp(want, t->cred->digest, 32) == 0 && secret != NULL;
	if (secret != NULL) {
		OPENSSL_cleanse(secret, strlen(secret));
		free(secret);
	}
	return right;
}

/* EXTERNAL: the certificate was verified by TLS; what is left is that
 * it names a person and that the authorization identity, if any, is
 * that person too.  1 right, 0 wrong. */
static int check_external(struct attempt *t, const char **reason)
{
	char user[AUTH_NAME_MAX], domain[AUTH_NAME_MAX];
	const char *z = t->cred->authzid;
	if (!t->found)
		return 0;
	if (z == NULL || *z == '\0' || strcmp(z, t->cred->login) == 0)
		return 1;
	if (auth_resolve(&t->a->set, z, user, sizeof user, domain, sizeof domain) == 0 &&
	    strcasecmp(user, t->p.username) == 0 && strcasecmp(domain, t->p.domain) == 0)
		return 1;
	*reason = "authorization identity is another person";
	return 0;
}

/* Password check: 1 right, 0 wrong, -1 store error. */
static int check_password(struct attempt *t)
{
	if (!t->found) {
		(void)password_verify(t->cred->password, t->a->dummy_hash);
		return 0;
	}
	int rc = store_person_check_password(t->a->st, t->p.id, t->cred->password,
	                                     t->a->cache);
	t->cached = rc == 1;
	if (rc >= 0)
		return 1;
	return store_last_error(t->a->st) == STORE_E_INVALID ? 0 : -1;
}

static enum auth_result succeed(struct attempt *t, struct auth_identity *id)
{
	struct auth *a = t->a;
	/* only what there is to reset: a login should not take the
	 * store's write lock for nothing */
	if (t->addr_dirty)
		store_auth_reset(a->st, STORE_AUTH_ADDR, t->addr);
	if (t->person_dirty)
		store_auth_reset(a->st, STORE_AUTH_PERSON, t->person_key);
	if (a->set.retrievable_secrets && t->cred->kind == AUTH_CRED_PASSWORD &&
	    store_auth_secret_set(a->st, t->p.id, t->cred->password) < 0)
		log_warn("auth_secret", "person=%" PRId64 " error=\"could not keep the secret\"",
		         t->p.id);
	id->person_id = t->p.id;
	id->admin = t->p.admin;
	snprintf(id->address, sizeof id->address, "%s@%s", t->p.username, t->p.domain);
	log_info("auth_login", "service=%s session=%s peer=%s user=%s mech=%s tls=%s cached=%s",
	         t->c->service, log_quote(t->c->session), log_quote(t->addr),
	         log_quote(id->address), t->cred->mech, t->c->tls ? "yes" : "no",
	         t->cached ? "yes" : "no");
	return AUTH_OK;
}

static enum auth_result decide(struct attempt *t, struct auth_identity *id,
                               unsigned *delay)
{
	bool err = false;
	if (t->addr_known &&
	    (is_locked(t, STORE_AUTH_ADDR, t->addr, &err, &t->addr_dirty) || err)) {
		if (err)
			return AUTH_UNAVAILABLE;
		*delay = t->a->set.delay_ms;
		log_outcome(t, LOG_LVL_INFO, "auth_locked", "address locked out", 0, *delay);
		return AUTH_LOCKED;
	}
	if (find_person(t) < 0)
		return AUTH_UNAVAILABLE;
	if (is_locked(t, STORE_AUTH_PERSON, t->person_key, &err, &t->person_dirty) || err) {
		if (err)
			return AUTH_UNAVAILABLE;
		*delay = t->a->set.delay_ms;
		log_outcome(t, LOG_LVL_INFO, "auth_locked", "person locked out", 0, *delay);
		return AUTH_LOCKED;
	}
	bool digest = t->cred->kind == AUTH_CRED_CRAM_MD5 || t->cred->kind == AUTH_CRED_APOP;
	if (digest && !t->a->set.retrievable_secrets) {
		*delay = count_failure(t, "retrievable secrets are off");
		return AUTH_FAILED;
	}
	const char *why = !t->found ? "no such person"
	                  : digest  ? "wrong digest or no secret kept"
	                            : "wrong password";
	int right = t->cred->kind == AUTH_CRED_EXTERNAL ? check_external(t, &why)
	            : digest                            ? check_digest(t)
	                                                : check_password(t);
	if (right < 0)
		return AUTH_UNAVAILABLE;
	if (!right) {
		*delay = count_failure(t, why);
		return AUTH_FAILED;
	}
	if (!(t->p.services & t->c->service_bit)) {
		*delay = t->a->set.delay_ms;
		log_outcome(t, LOG_LVL_INFO, "auth_failed", "service not allowed for this person",
		            0, *delay);
		return AUTH_NO_SERVICE;
	}
	return succeed(t, id);
}

enum auth_result auth_check(struct auth *a, const struct auth_client *client,
                            const struct auth_cred *cred, struct auth_identity *id,
                            unsigned *delay_ms)
{
	struct attempt t = { .a = a, .c = client, .cred = cred, .now = time(NULL) };
	t.addr_known = client->addr && *client->addr && strcmp(client->addr, "unknown") != 0;
	t.addr = t.addr_known ? client->addr : "unknown";
	*delay_ms = 0;
	memset(id, 0, sizeof *id);
	enum auth_result r = decide(&t, id, delay_ms);
	if (r == AUTH_UNAVAILABLE)
		log_outcome(&t, LOG_LVL_WARN, "auth_failed", "store unavailable", 0, 0);
	store_person_clear(&t.p);
	return r;
}

enum auth_result auth_check_sasl(struct auth *a, const struct auth_client *client,
                                 const struct sasl_creds *creds,
                                 struct auth_identity *id, unsigned *delay_ms)
{
	struct auth_cred cred = {
		.mech = sasl_mech_name(creds->mech),
		.login = creds->authcid,
		.password = creds->password,
		.challenge = creds->challenge,
		.digest = creds->digest,
		.authzid = creds->authzid,
		.kind = creds->mech == SASL_MECH_CRAM_MD5  ? AUTH_CRED_CRAM_MD5
		        : creds->mech == SASL_MECH_EXTERNAL ? AUTH_CRED_EXTERNAL
		                                            : AUTH_CRED_PASSWORD,
	};
	if (creds->mech == SASL_MECH_PLAIN && creds->authzid[0] != '\0' &&
	    strcmp(creds->authzid, creds->authcid) != 0) {
		/* Proxy logins are not offered; "wrong" rather than a special
		 * answer, and the limits count it like any other failure. */
		static const char none[] = "";
		cred.password = none;
		memset(id, 0, sizeof *id);
	}
	return auth_check(a, client, &cred, id, delay_ms);
}

struct auth *auth_from_config(const struct ems_config *cfg, struct store *st,
                              struct auth_settings *set)
{
	struct auth_settings own;
	if (set == NULL)
		set = &own;
	auth_settings_read(cfg, set);
	return auth_new(set, st);
}
