/*
 * imap_auth.c - LOGIN and AUTHENTICATE checks through libcommon/auth.h,
 * run on the threads of libcommon/auth_async.h; see imap_auth.h.
 */
#include "imap_auth.h"
#include "auth.h"
#include "auth_async.h"
#include "config.h"
#include "log.h"
#include "store.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct auth *authenticator;
/* started on the first check: the loop does not exist at imap_auth_open() */
static struct auth_pool *pool;

int imap_auth_open(struct imap_server *srv)
{
	struct auth_settings set;
	if (authenticator != NULL)
		return 0;
	authenticator = auth_from_config(srv->w.cfg, srv->store, &set);
	if (authenticator == NULL)
		return -1;
	srv->set.cram_md5 = set.retrievable_secrets;
	return 0;
}

void imap_auth_close(void)
{
	auth_pool_free(pool);
	pool = NULL;
	auth_free(authenticator);
	authenticator = NULL;
}

bool imap_auth_cram_md5(struct imap_server *srv)
{
	return imap_auth_open(srv) == 0 && auth_settings(authenticator)->retrievable_secrets;
}

bool imap_auth_external(const struct imap_client *c, char *out, size_t cap)
{
	out[0] = '\0';
	return imap_auth_open(c->srv) == 0 &&
	       client_conn_cert_user(&c->conn, auth_settings(authenticator)->certificate_user,
	                             out, cap) == 0;
}

/* The client's address without the port, for the limits. */
static void address_of(const char *peer, char *out, size_t len)
{
	const char *colon = strrchr(peer, ':');
	size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
	snprintf(out, len, "%.*s", (int)n, peer);
}

static enum imap_auth_result logged_in(struct imap_client *c, const struct auth_identity *id)
{
	c->username = strdup(id->address);
	if (c->username == NULL) {
		log_error("imap_login", "error=\"out of memory\"");
		return IMAP_AUTH_UNAVAILABLE;
	}
	c->person_id = id->person_id;
	c->state = IMAP_AUTH;
	return IMAP_AUTH_OK;
}

enum imap_auth_result imap_auth_outcome(struct imap_client *c, enum auth_result r,
                                        const struct auth_identity *id)
{
	switch (r) {
	case AUTH_OK:
		return logged_in(c, id);
	case AUTH_NO_SERVICE:
		return IMAP_AUTH_NO_SERVICE;
	case AUTH_LOCKED:
		return IMAP_AUTH_LOCKED;
	case AUTH_UNAVAILABLE:
		return IMAP_AUTH_UNAVAILABLE;
	default:
		return IMAP_AUTH_FAILED;
	}
}

/* Who is asking, for auth.h: ADDR is the caller's buffer. */
struct asker {
	char addr[INET6_ADDRSTRLEN + 8];
	struct auth_client who;
};

static void describe(struct imap_client *c, struct asker *a)
{
	address_of(c->peer, a->addr, sizeof a->addr);
	a->who = (struct auth_client){ "imap", STORE_SVC_IMAP, a->addr, c->session,
	                               imap_client_tls(c) };
}

static struct auth_pool *pool_for(struct imap_server *srv)
{
	if (pool == NULL && imap_auth_open(srv) == 0)
		pool = auth_pool_from_config(srv->w.loop, authenticator, srv->w.cfg);
	return pool;
}

struct auth_job *imap_auth_password(struct imap_client *c, const char *login,
                                    const char *password, auth_done_cb *cb, void *arg)
{
	struct auth_cred cred = { .kind = AUTH_CRED_PASSWORD, .mech = "LOGIN",
	                          .login = login, .password = password };
	struct asker a;
	struct auth_pool *p = pool_for(c->srv);
	if (p == NULL)
		return NULL;
	describe(c, &a);
	return auth_pool_check(p, &a.who, &cred, cb, arg);
}

struct auth_job *imap_auth_sasl(struct imap_client *c, const struct sasl_creds *creds,
                                auth_done_cb *cb, void *arg)
{
	struct asker a;
	struct auth_pool *p = pool_for(c->srv);
	if (p == NULL)
		return NULL;
	describe(c, &a);
	return auth_pool_check_sasl(p, &a.who, creds, cb, arg);
}
