/*
 * imap_auth.h - who a login name is and whether the password is right:
 * the login name resolved with auth.login_separators and
 * auth.default_domain, the person looked up in the store, the password
 * checked there, and the IMAP service allowed.  The SASL mechanisms
 * PLAIN and LOGIN arrive here too, decoded by imap_cmd_auth.c.
 */
#ifndef IMAP_AUTH_H
#define IMAP_AUTH_H

#include "imap_client.h"

enum imap_auth_result {
	IMAP_AUTH_OK,
	IMAP_AUTH_FAILED,       /* unknown name or wrong password: one answer */
	IMAP_AUTH_NO_SERVICE,   /* the person may not use IMAP */
	IMAP_AUTH_UNAVAILABLE,  /* the store failed: try again later */
};

/*
 * Checks LOGIN and PASSWORD.  On IMAP_AUTH_OK the client is logged in:
 * c->person_id, c->username (malloc'ed "user@domain") and c->state are
 * set.  Logs the outcome (never the password).
 */
enum imap_auth_result imap_auth_password(struct imap_client *c, const char *login,
                                         const char *password);

/* How long the answer to the Nth failed login waits, in milliseconds
 * (grows with N, so guessing costs time). */
unsigned imap_auth_delay_ms(int failures);

#endif
