/*
 * imap_auth.h - imap4srv's side of libcommon/auth.h: one authenticator
 * per process over the server's store, and the checks LOGIN and
 * AUTHENTICATE make through it, on the check threads of
 * libcommon/auth_async.h (auth.threads) so that a password hash never
 * holds up the other sessions.  Login names, passwords, retrievable
 * secrets (CRAM-MD5), allowed services, the growing delay and the
 * lock-outs after failures are all auth.h's, shared with pop3srv.
 */
#ifndef IMAP_AUTH_H
#define IMAP_AUTH_H

#include "auth_async.h"
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

/* Stops the check threads and frees the authenticator (at exit, after
 * the clients and before the loop are freed). */
void imap_auth_close(void);

/*
 * Starts the check of LOGIN and PASSWORD (copied at once: the caller may
 * wipe them on return).  CB(ARG, ...) runs later on the loop with the
 * outcome, which imap_auth_outcome() turns into the client's.  Returns
 * the job (auth_job_cancel() it if the command goes away first), or NULL
 * when the check cannot start (logged; answer "unavailable").  auth.h
 * logs the outcome (never the password).
 */
struct auth_job *imap_auth_password(struct imap_client *c, const char *login,
                                    const char *password, auth_done_cb *cb, void *arg);

/* The same for the credentials of a finished SASL exchange. */
struct auth_job *imap_auth_sasl(struct imap_client *c, const struct sasl_creds *creds,
                                auth_done_cb *cb, void *arg);

/*
 * The client's side of a finished check R: on IMAP_AUTH_OK the client is
 * logged in as ID (c->person_id, c->username, a malloc'ed "user@domain",
 * and c->state are set).
 */
enum imap_auth_result imap_auth_outcome(struct imap_client *c, enum auth_result r,
                                        const struct auth_identity *id);

/* True when CRAM-MD5 may be offered (retrievable secrets are on). */
bool imap_auth_cram_md5(struct imap_server *srv);

/* True when EXTERNAL may be offered: C's TLS session presented a
 * verified certificate with a name in auth.certificate_user, which goes
 * into OUT (CAP bytes; "" otherwise). */
bool imap_auth_external(const struct imap_client *c, char *out, size_t cap);

#endif
