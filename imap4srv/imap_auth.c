/*
 * imap_auth.c - resolving a login name and checking its password for
 * LOGIN and AUTHENTICATE; see imap_auth.h.
 */
#include "imap_auth.h"
#include "config.h"
#include "log.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest login name considered. */
#define LOGIN_MAX 512
/* The delay after failed logins doubles from this up to the maximum. */
#define AUTH_DELAY_MS 1000u
#define AUTH_DELAY_MAX_MS 8000u

unsigned imap_auth_delay_ms(int failures)
{
	unsigned ms = AUTH_DELAY_MS;
	for (int i = 1; i < failures && ms < AUTH_DELAY_MAX_MS; i++)
		ms *= 2;
	return ms < AUTH_DELAY_MAX_MS ? ms : AUTH_DELAY_MAX_MS;
}

/* "user<sep>domain" with any separator of auth.login_separators (the
 * last one wins, so "a@b@c" is user "a@b"), or a bare name in the
 * default domain.  Returns 0, or -1 when there is no domain to use. */
static int resolve(const struct ems_config *cfg, const char *login, char *user,
                   size_t ulen, char *domain, size_t dlen)
{
	const char *seps = config_str(cfg, "auth.login_separators");
	const char *cut = NULL;
	for (const char *p = login; *p; p++)
		if (strchr(seps, *p) != NULL)
			cut = p;
	if (cut != NULL) {
		snprintf(user, ulen, "%.*s", (int)(cut - login), login);
		snprintf(domain, dlen, "%s", cut + 1);
		return user[0] && domain[0] ? 0 : -1;
	}
	const char *def = config_str(cfg, "auth.default_domain");
	if (*def == '\0')
		return -1;
	snprintf(user, ulen, "%s", login);
	snprintf(domain, dlen, "%s", def);
	return 0;
}

static enum imap_auth_result failed(struct imap_client *c, const char *login,
                                    const char *why)
{
	log_info("imap_login_failed", "session=%llu peer=%s login=%s reason=%s",
	         (unsigned long long)c->id, c->peer, log_quote(login), log_quote(why));
	return IMAP_AUTH_FAILED;
}

enum imap_auth_result imap_auth_password(struct imap_client *c, const char *login,
                                         const char *password)
{
	char user[LOGIN_MAX], domain[LOGIN_MAX];
	struct store_person p;
	struct store *st = c->srv->store;
	if (strlen(login) >= LOGIN_MAX ||
	    resolve(c->srv->cfg, login, user, sizeof user, domain, sizeof domain) < 0)
		return failed(c, login, "no domain in the login name");
	if (store_person_find(st, user, domain, &p) < 0)
		return store_error_transient(st) ? IMAP_AUTH_UNAVAILABLE
		                                 : failed(c, login, "no such person");
	if (store_person_check_password(st, p.id, password) < 0) {
		bool transient = store_error_transient(st);
		store_person_clear(&p);
		return transient ? IMAP_AUTH_UNAVAILABLE : failed(c, login, "wrong password");
	}
	if (!(p.services & STORE_SVC_IMAP)) {
		store_person_clear(&p);
		failed(c, login, "IMAP not allowed for this person");
		return IMAP_AUTH_NO_SERVICE;
	}
	size_t n = strlen(p.username) + strlen(p.domain) + 2;
	c->username = malloc(n);
	if (c->username == NULL) {
		store_person_clear(&p);
		log_error("imap_login", "error=\"out of memory\"");
		return IMAP_AUTH_UNAVAILABLE;
	}
	snprintf(c->username, n, "%s@%s", p.username, p.domain);
	c->person_id = p.id;
	c->state = IMAP_AUTH;
	store_person_clear(&p);
	log_info("imap_login", "session=%llu peer=%s user=%s tls=%s", (unsigned long long)c->id,
	         c->peer, log_quote(c->username), imap_client_tls(c) ? "yes" : "no");
	return IMAP_AUTH_OK;
}
