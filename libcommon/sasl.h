/*
 * sasl.h - the server side of the SASL mechanisms ems offers over POP3
 * (RFC 5034 AUTH) and IMAP (RFC 3501 AUTHENTICATE): PLAIN (RFC 4616),
 * LOGIN (draft-murchison-sasl-login), CRAM-MD5 (RFC 2195) and EXTERNAL
 * (RFC 4422 appendix A: the identity a verified TLS client certificate
 * established, given with sasl_set_external() before sasl_start()).
 *
 * The module only runs the exchange: it decodes the client's base64
 * responses, produces the base64 challenges, and at the end hands over
 * the credentials; auth.h decides whether they are right.  The protocol
 * around it (the "+ " prefix, "*" to cancel, the initial response's
 * place on the command line) stays in the protocol programs:
 *
 *     s = sasl_new(mech, hostname);
 *     st = sasl_start(s, initial_response_or_NULL, len, out, sizeof out);
 *     while (st == SASL_CHALLENGE) {
 *             send "+ " out; read a line; if "*": cancel;
 *             st = sasl_step(s, line, len, out, sizeof out);
 *     }
 *     SASL_DONE: auth_sasl(..., sasl_creds(s), ...);  SASL_BAD: sasl_error(s)
 *     sasl_free(s);
 *
 * Every buffer that held a secret is wiped before it is freed.
 */
#ifndef EMS_SASL_H
#define EMS_SASL_H

#include <stdbool.h>
#include <stddef.h>

enum sasl_mech {
	SASL_MECH_PLAIN,
	SASL_MECH_LOGIN,
	SASL_MECH_CRAM_MD5,
	SASL_MECH_EXTERNAL,
};

/* Longest name, password and challenge an exchange carries. */
#define SASL_NAME_MAX 512
#define SASL_SECRET_MAX 1024
#define SASL_CHALLENGE_MAX 256
/* Room for any base64 challenge sasl_start()/sasl_step() write. */
#define SASL_OUT_MAX 512

/* What the client proved, once the exchange is done. */
struct sasl_creds {
	enum sasl_mech mech;
	char authzid[SASL_NAME_MAX];    /* PLAIN, EXTERNAL; "" when not given */
	char authcid[SASL_NAME_MAX];    /* the login name; EXTERNAL: the
	                                   certificate's, not the client's */
	char password[SASL_SECRET_MAX]; /* PLAIN, LOGIN */
	char challenge[SASL_CHALLENGE_MAX]; /* CRAM-MD5: what was sent */
	char digest[SASL_NAME_MAX];     /* CRAM-MD5: the client's hex HMAC */
};

enum sasl_status {
	SASL_CHALLENGE,   /* send the challenge in OUT and read a response */
	SASL_DONE,        /* sasl_creds() holds the credentials */
	SASL_BAD,         /* malformed exchange; sasl_error() says why */
};

struct sasl_session;

/* The mechanism named NAME (case-insensitive), or -1 when ems has none
 * by that name. */
int sasl_mech_from_name(const char *name);
/* "PLAIN", "LOGIN", "CRAM-MD5", "EXTERNAL". */
const char *sasl_mech_name(enum sasl_mech mech);
/* True when the mechanism carries the password in clear (PLAIN, LOGIN):
 * plaintextmincipher applies to it. */
bool sasl_mech_plaintext(enum sasl_mech mech);

/* A new exchange; HOSTNAME goes into CRAM-MD5's challenge.  NULL when
 * out of memory (logged). */
struct sasl_session *sasl_new(enum sasl_mech mech, const char *hostname);

/*
 * EXTERNAL only: NAME is who the channel proved the client to be (the
 * user name read from its verified certificate).  Without it the
 * exchange ends SASL_BAD.  Returns 0, or -1 when NAME is empty or
 * longer than SASL_NAME_MAX - 1.
 */
int sasl_set_external(struct sasl_session *s, const char *name);

/*
 * Begins the exchange.  IR is the client's initial response (base64, or
 * "=" for an empty one) or NULL when it sent none.  Returns
 * SASL_CHALLENGE with the base64 challenge in OUT (CAP >= SASL_OUT_MAX;
 * "" for PLAIN's empty challenge), SASL_DONE when the initial response
 * completed the exchange, or SASL_BAD (CRAM-MD5 takes no initial
 * response; EXTERNAL without sasl_set_external()).  EXTERNAL's only
 * response is the authorization identity, empty for "the one the
 * certificate gives".
 */
enum sasl_status sasl_start(struct sasl_session *s, const char *ir, size_t irlen,
                            char *out, size_t cap);

/* Takes the client's base64 response IN (LEN characters) to the last
 * challenge.  Returns as sasl_start(). */
enum sasl_status sasl_step(struct sasl_session *s, const char *in, size_t len,
                           char *out, size_t cap);

/* The credentials, valid after SASL_DONE until sasl_free(). */
const struct sasl_creds *sasl_creds(const struct sasl_session *s);

/* Why the exchange went SASL_BAD, a short sentence for the client. */
const char *sasl_error(const struct sasl_session *s);

/* Wipes and frees S; NULL is ignored. */
void sasl_free(struct sasl_session *s);

/*
 * Hex digests the mechanisms compare, lowercase, in OUT (33 bytes):
 * CRAM-MD5's HMAC-MD5(SECRET, CHALLENGE) and APOP's MD5(TIMESTAMP
 * SECRET).  Return 0, or -1 when the digest could not be computed
 * (logged).
 */
int sasl_cram_md5_digest(const char *secret, const char *challenge, char out[33]);
int sasl_apop_digest(const char *timestamp, const char *secret, char out[33]);

/* A fresh "<random.time@HOSTNAME>" message id, the challenge of
 * CRAM-MD5 and the timestamp of APOP's banner, into OUT (CAP bytes). */
void sasl_make_timestamp(const char *hostname, char *out, size_t cap);

#endif
