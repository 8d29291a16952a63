/*
 * auth.h - who is logging in, and may they: the one authentication path
 * of pop3srv and imap4srv.
 *
 * A login name is resolved to a person with auth.login_separators (any of
 * those characters splits user from domain; the last one wins, so
 * "a@b@c" is user "a@b" of domain "c") and auth.default_domain (for a
 * bare name).  The credentials are checked (a password against the
 * store's hash; a CRAM-MD5 or APOP digest against the person's
 * retrievable secret, see store_auth.h), then the person's allowed
 * services.  SASL EXTERNAL carries no secret: the login name is the one
 * the caller read from a verified TLS client certificate (the field
 * auth.certificate_user names), and it resolves like any other.
 *
 * Limits: every failure counts against the client's address and against
 * the person (a name that is no person has a counter of its own, so an
 * unknown name costs the same store work as a known one), in the store,
 * so all worker processes share the counts.  The caller waits the returned delay
 * before it answers a failure (the delay doubles with each failure in
 * the window); past auth.addr_lock_failures (auth.person_lock_failures)
 * the address (the person) is locked for auth.lock_s seconds and every
 * login from it (for them) is refused without looking at the
 * credentials.  A success resets both counters.
 *
 * Cache: a password verified once is remembered for auth.cache_ttl_s
 * seconds (auth_cache.h: keyed by a keyed hash of the person, their
 * stored hash and the password), so a client logging in again skips the
 * password hash.  Everything else (the person, the locks, the allowed
 * services) is read from the store on every login as before, and a
 * changed password misses the cache at once.  The cache is per process,
 * shared by auth_new()'s authenticator and its auth_clone()s.  A hit
 * answers sooner, which tells only a client that already holds the right
 * password.
 *
 * Timing: an unknown name still costs a password hash, and digests are
 * compared in constant time, so the answer's timing tells nothing.
 * Each outcome is logged once (event auth_login, auth_failed,
 * auth_locked, auth_lockout) with service, session, address and login
 * name, never a password or a digest.
 */
#ifndef EMS_AUTH_H
#define EMS_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sasl.h"

struct ems_config;
struct store;

/* Longest login name considered, and of the "user@domain" of a person. */
#define AUTH_NAME_MAX 512

/* The auth group of ems.conf. */
struct auth_settings {
	const char *separators;       /* auth.login_separators */
	const char *default_domain;   /* auth.default_domain, "" = none */
	const char *certificate_user; /* auth.certificate_user: "cn", "email", "uid" */
	bool retrievable_secrets;     /* CRAM-MD5 and APOP on */
	unsigned delay_ms;            /* first delay after a failure */
	unsigned delay_max_ms;
	int64_t window_s;             /* failures older than this are forgotten */
	int addr_lock_after;          /* 0: never lock an address */
	int person_lock_after;        /* 0: never lock a person */
	int64_t lock_s;
	unsigned cache_size;          /* auth.cache_size, 0 = no cache */
	int64_t cache_ttl_s;          /* auth.cache_ttl_s */
};

/* Reads the auth.* keys of CFG into OUT (strings belong to CFG). */
void auth_settings_read(const struct ems_config *cfg, struct auth_settings *out);

/* One process's authenticator: the settings and the store. */
struct auth;

/*
 * Creates the authenticator over ST (which the caller keeps owning).
 * When retrievable secrets are off, the kept ones are deleted (the site
 * turned them off).  NULL when out of memory or when the hash used to
 * make unknown names cost the same could not be made (logged).
 */
struct auth *auth_new(const struct auth_settings *set, struct store *st);

/* auth_new() with the auth.* keys of CFG (auth_settings_read()); SET,
 * when not NULL, gets the settings read. */
struct auth *auth_from_config(const struct ems_config *cfg, struct store *st,
                              struct auth_settings *set);
/*
 * A second authenticator like MODEL (same settings and dummy hash) over
 * another store handle ST, for a thread of auth_async.h: it does none of
 * auth_new()'s start-up store work and shares MODEL's cache.  NULL when out of memory (logged).
 */
struct auth *auth_clone(const struct auth *model, struct store *st);
void auth_free(struct auth *a);
const struct auth_settings *auth_settings(const struct auth *a);

/* Who is asking, for the limits and the log. */
struct auth_client {
	const char *service;     /* "pop", "imap": log field */
	unsigned service_bit;    /* STORE_SVC_POP, STORE_SVC_IMAP */
	const char *addr;        /* client IP address without port; "" or
	                            "unknown": not counted per address */
	const char *session;     /* session id for the log, e.g. "pop3srv01.17" */
	bool tls;                /* for the log line */
};

enum auth_cred_kind {
	AUTH_CRED_PASSWORD,      /* USER/PASS, LOGIN, SASL PLAIN and LOGIN */
	AUTH_CRED_CRAM_MD5,      /* proof: HMAC-MD5(secret, challenge) */
	AUTH_CRED_APOP,          /* proof: MD5(challenge secret) */
	AUTH_CRED_EXTERNAL,      /* proof: the verified client certificate
	                            LOGIN was read from */
};

struct auth_cred {
	enum auth_cred_kind kind;
	const char *mech;        /* log field: "USER", "PLAIN", "APOP" ... */
	const char *login;       /* the name the client gave */
	const char *password;    /* AUTH_CRED_PASSWORD */
	const char *challenge;   /* CRAM-MD5 challenge, APOP timestamp */
	const char *digest;      /* the client's 32 lowercase hex digits */
	const char *authzid;     /* EXTERNAL: whom to act as; NULL or "" = LOGIN */
};

enum auth_result {
	AUTH_OK,
	AUTH_FAILED,         /* unknown name or wrong credentials: one answer */
	AUTH_NO_SERVICE,     /* right credentials, but not for this service */
	AUTH_LOCKED,         /* address or person locked out for now */
	AUTH_UNAVAILABLE,    /* the store failed: try again later */
};

/* The person logged in. */
struct auth_identity {
	int64_t person_id;
	char address[AUTH_NAME_MAX];   /* "user@domain" as stored */
	bool admin;
};

/*
 * Checks CRED for CLIENT.  On AUTH_OK fills ID (and, with retrievable
 * secrets on, keeps a password given in clear as the person's secret).
 * *DELAY_MS gets how long the caller should wait before answering
 * (0 on success).  Never fails otherwise: store trouble is
 * AUTH_UNAVAILABLE.
 */
enum auth_result auth_check(struct auth *a, const struct auth_client *client,
                            const struct auth_cred *cred, struct auth_identity *id,
                            unsigned *delay_ms);

/*
 * The same for the credentials of a finished SASL exchange.  A PLAIN
 * authorization identity other than the login name (acting for someone
 * else) is a failure: ems has no proxy logins.  So is an EXTERNAL
 * authorization identity that resolves to another person than the
 * certificate's name (one that resolves to the same person is fine).
 */
enum auth_result auth_check_sasl(struct auth *a, const struct auth_client *client,
                                 const struct sasl_creds *creds,
                                 struct auth_identity *id, unsigned *delay_ms);

/*
 * Splits LOGIN into USER and DOMAIN (ULEN, DLEN bytes) with the
 * separators and default domain of SET.  Returns 0, or -1 when there is
 * no domain (none given and no default) or a part is empty or too long.
 */
int auth_resolve(const struct auth_settings *set, const char *login, char *user,
                 size_t ulen, char *domain, size_t dlen);

/* The delay after FAILURES failures in a row under SET (0 for none). */
unsigned auth_delay_ms(const struct auth_settings *set, int failures);

/* "ok", "failed", "no_service", "locked", "unavailable". */
const char *auth_result_name(enum auth_result r);

#endif
