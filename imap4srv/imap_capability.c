/*
 * imap_capability.c - the CAPABILITY list, which depends on the state:
 * before login it names the ways to log in (and STARTTLS, and
 * LOGINDISABLED when plaintextmincipher forbids a cleartext password
 * now); after login it names the extensions.  Used by the greeting,
 * CAPABILITY and the OK of a login.
 */
#include "imap_auth.h"
#include "imap_commands.h"

#include <stdio.h>
#include <string.h>

/* What every state announces. */
#define CAPS_BASE "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE"
/* What a logged-in client may use as well. */
#define CAPS_LOGGED "NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE" \
                    " LIST-EXTENDED CONDSTORE QRESYNC QUOTA QUOTA=RES-STORAGE"\
                    " QUOTA=RES-MESSAGE"                                   \
                    " LIST-STATUS STATUS=SIZE ESEARCH SEARCHRES OBJECTID" \
                    " UTF8=ACCEPT BINARY"

static void add(char *out, size_t outlen, const char *word)
{
	size_t len = strlen(out);
	snprintf(out + len, outlen - len, " %s", word);
}

void imap_capability(const struct imap_client *c, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", CAPS_BASE);
	if (c->state != IMAP_NOT_AUTH) {
		char limit[48];
		add(out, outlen, CAPS_LOGGED);
		snprintf(limit, sizeof limit, "APPENDLIMIT=%zu", c->srv->set.max_append);
		add(out, outlen, limit);
		return;
	}
	if (c->srv->tls != NULL && c->conn.tls_state == CLIENT_TLS_NONE)
		add(out, outlen, "STARTTLS");
	if (imap_client_plaintext_ok(c)) {
		add(out, outlen, "AUTH=PLAIN");
		add(out, outlen, "AUTH=LOGIN");
	} else {
		add(out, outlen, "LOGINDISABLED");
	}
	if (c->srv->set.cram_md5)
		add(out, outlen, "AUTH=CRAM-MD5");
	char cert_user[SASL_NAME_MAX];
	if (imap_auth_external(c, cert_user, sizeof cert_user))
		add(out, outlen, "AUTH=EXTERNAL");
}
