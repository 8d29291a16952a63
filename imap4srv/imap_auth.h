/*
 * imap_auth.h - imap4srv's side of libcommon/auth.h: one authenticator
 * per process over the server's store, and the checks LOGIN and
 * AUTHENTICATE make through it.  Login names, passwords, retrievable
 * secrets (CRAM-MD5), allowed services, the growing delay and the
 * lock-outs after failures are all auth.h's, shared with pop3srv.
 */
#ifndef IMAP_AUTH_H
#define IMAP_AUTH_H

#include "imap_client.h"
#include "sasl.h"

enum imap_auth_result {
	IMAP_AUTH_OK,
	IMAP_AUTH_FAILED,       /* unknown name or wrong password: one answer */
	IMAP_AUTH_NO_SERVICE,   /* the person may not use IMAP */
	IMAP_AUTH_LOCKED,       /* too many failures from here or for them */
	IMAP_AUTH_UNAVAILABLE,  /* the store failed: try again later */
};

/*
 * Creates the process's authenticator from SRV's configuration and
 * store, and sets SRV's cram_md5 setting from auth.retrievable_secrets.
 * imap4srv calls it at start; the checks below also call it on first
 * use.  Returns 0, or -1 (logged).
 */
int imap_auth_open(struct imap_server *srv);

/* Frees the authenticator (at exit). */
void imap_auth_close(void);

/*
 * Checks LOGIN and PASSWORD.  On IMAP_AUTH_OK the client is logged in:
 * c->person_id, c->username (malloc'ed "user@domain") and c->state are
 * set.  *DELAY_MS gets how long the answer should wait.  auth.h logs the
 * outcome (never the password).
 */
enum imap_auth_result imap_auth_password(struct imap_client *c, const char *login,
                                         const char *password, unsigned *delay_ms);

/* The same for the credentials of a finished SASL exchange. */
enum imap_auth_result imap_auth_sasl(struct imap_client *c, const struct sasl_creds *creds,
                                     unsigned *delay_ms);

/* True when CRAM-MD5 may be offered (retrievable secrets are on). */
bool imap_auth_cram_md5(struct imap_server *srv);

#endif
