/*
 * sasl.c - the server side of SASL PLAIN, LOGIN, CRAM-MD5 and EXTERNAL; see
 * sasl.h.  Shared by pop3srv and imap4srv, which only wrap the exchange
 * in their protocol's syntax.
 */
#include "sasl.h"
#include "base64.h"
#include "log.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

/* A decoded response: the longest PLAIN message with room for the NUL. */
#define DECODED_MAX (2 * SASL_NAME_MAX + SASL_SECRET_MAX)

struct sasl_session {
	struct sasl_creds creds;
	int step;
	const char *error;
	char hostname[128];
};

static const char *const mech_names[] = { "PLAIN", "LOGIN", "CRAM-MD5", "EXTERNAL" };

int sasl_mech_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof mech_names / sizeof mech_names[0]; i++)
		if (strcasecmp(name, mech_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *sasl_mech_name(enum sasl_mech mech)
{
	return mech_names[mech];
}

bool sasl_mech_plaintext(enum sasl_mech mech)
{
	return mech == SASL_MECH_PLAIN || mech == SASL_MECH_LOGIN;
}

static int take(char *to, size_t cap, const char *from, size_t len);

struct sasl_session *sasl_new(enum sasl_mech mech, const char *hostname)
{
	struct sasl_session *s = calloc(1, sizeof *s);
	if (s == NULL) {
		log_error("sasl", "error=\"out of memory\"");
		return NULL;
	}
	s->creds.mech = mech;
	snprintf(s->hostname, sizeof s->hostname, "%s", hostname ? hostname : "localhost");
	return s;
}

int sasl_set_external(struct sasl_session *s, const char *name)
{
	if (s->creds.mech != SASL_MECH_EXTERNAL || name == NULL || *name == '\0')
		return -1;
	return take(s->creds.authcid, SASL_NAME_MAX, name, strlen(name));
}

void sasl_free(struct sasl_session *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

const struct sasl_creds *sasl_creds(const struct sasl_session *s)
{
	return &s->creds;
}

const char *sasl_error(const struct sasl_session *s)
{
	return s->error ? s->error : "authentication exchange failed";
}

static enum sasl_status bad(struct sasl_session *s, const char *why)
{
	s->error = why;
	return SASL_BAD;
}

/* Copies LEN bytes of FROM into TO (CAP bytes) as a string; -1 when it
 * does not fit or holds a NUL. */
static int take(char *to, size_t cap, const char *from, size_t len)
{
	if (len >= cap || memchr(from, '\0', len) != NULL)
		return -1;
	memcpy(to, from, len);
	to[len] = '\0';
	return 0;
}

/* PLAIN: authzid NUL authcid NUL passwd. */
static enum sasl_status plain(struct sasl_session *s, const char *d, size_t n)
{
	const char *a = memchr(d, '\0', n);
	const char *p = a ? memchr(a + 1, '\0', n - (size_t)(a + 1 - d)) : NULL;
	if (p == NULL)
		return bad(s, "malformed PLAIN response");
	const char *end = d + n;
	if (take(s->creds.authzid, SASL_NAME_MAX, d, (size_t)(a - d)) < 0 ||
	    take(s->creds.authcid, SASL_NAME_MAX, a + 1, (size_t)(p - a - 1)) < 0 ||
	    take(s->creds.password, SASL_SECRET_MAX, p + 1, (size_t)(end - p - 1)) < 0)
		return bad(s, "malformed PLAIN response");
	if (s->creds.authcid[0] == '\0')
		return bad(s, "empty user name");
	return SASL_DONE;
}

static enum sasl_status challenge(char *out, size_t cap, const char *text)
{
	if (base64_encode(text, strlen(text), out, cap) < 0)
		out[0] = '\0';
	return SASL_CHALLENGE;
}

/* LOGIN: the name, then the password, each after its prompt. */
static enum sasl_status login(struct sasl_session *s, const char *d, size_t n,
                              char *out, size_t cap)
{
	if (s->step == 1) {
		if (n == 0 || take(s->creds.authcid, SASL_NAME_MAX, d, n) < 0)
			return bad(s, "malformed user name");
		s->step = 2;
		return challenge(out, cap, "Password:");
	}
	if (take(s->creds.password, SASL_SECRET_MAX, d, n) < 0)
		return bad(s, "malformed password");
	return SASL_DONE;
}

/* CRAM-MD5: "name SP 32 lowercase hex digits"; the name may hold spaces. */
static enum sasl_status cram(struct sasl_session *s, const char *d, size_t n)
{
	const char *sp = n > 33 ? d + n - 33 : NULL;
	if (sp == NULL || *sp != ' ')
		return bad(s, "malformed CRAM-MD5 response");
	for (const char *h = sp + 1; h < d + n; h++)
		if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f') ||
		      (*h >= 'A' && *h <= 'F')))
			return bad(s, "malformed CRAM-MD5 response");
	if (take(s->creds.authcid, SASL_NAME_MAX, d, (size_t)(sp - d)) < 0 ||
	    take(s->creds.digest, SASL_NAME_MAX, sp + 1, 32) < 0)
		return bad(s, "malformed CRAM-MD5 response");
	for (char *h = s->creds.digest; *h; h++)
		if (*h >= 'A' && *h <= 'F')
			*h = (char)(*h - 'A' + 'a');
	return SASL_DONE;
}

static enum sasl_status respond(struct sasl_session *s, const char *in, size_t len,
                                char *out, size_t cap)
{
	char d[DECODED_MAX];
	ssize_t n = base64_decode(in, len, d, sizeof d);
	enum sasl_status r;
	if (n < 0)
		return bad(s, "invalid base64");
	switch (s->creds.mech) {
	case SASL_MECH_PLAIN:
		r = plain(s, d, (size_t)n);
		break;
	case SASL_MECH_LOGIN:
		r = login(s, d, (size_t)n, out, cap);
		break;
	case SASL_MECH_EXTERNAL:
		/* the one response: whom to act as, "" for the certificate's name */
		r = take(s->creds.authzid, SASL_NAME_MAX, d, (size_t)n) < 0
		        ? bad(s, "malformed authorization identity")
		        : SASL_DONE;
		break;
	default:
		r = cram(s, d, (size_t)n);
		break;
	}
	OPENSSL_cleanse(d, sizeof d);
	return r;
}

enum sasl_status sasl_start(struct sasl_session *s, const char *ir, size_t irlen,
                            char *out, size_t cap)
{
	out[0] = '\0';
	if (s->step != 0)
		return bad(s, "exchange already started");
	s->step = 1;
	if (ir != NULL && s->creds.mech == SASL_MECH_CRAM_MD5)
		return bad(s, "CRAM-MD5 takes no initial response");
	if (s->creds.mech == SASL_MECH_EXTERNAL && s->creds.authcid[0] == '\0')
		return bad(s, "no verified client certificate");
	if (ir != NULL)
		return respond(s, ir, irlen == 1 && ir[0] == '=' ? 0 : irlen, out, cap);
	switch (s->creds.mech) {
	case SASL_MECH_PLAIN:
		return SASL_CHALLENGE;
	case SASL_MECH_LOGIN:
		return challenge(out, cap, "Username:");
	case SASL_MECH_EXTERNAL:
		return SASL_CHALLENGE;   /* empty: the client may name an authzid */
	default:
		sasl_make_timestamp(s->hostname, s->creds.challenge, sizeof s->creds.challenge);
		return challenge(out, cap, s->creds.challenge);
	}
}

enum sasl_status sasl_step(struct sasl_session *s, const char *in, size_t len,
                           char *out, size_t cap)
{
	out[0] = '\0';
	if (s->step == 0)
		return bad(s, "exchange not started");
	return respond(s, in, len, out, cap);
}

void sasl_make_timestamp(const char *hostname, char *out, size_t cap)
{
	uint64_t r = 0;
	if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
		r = (uint64_t)clock() ^ ((uint64_t)time(NULL) << 20);
	snprintf(out, cap, "<%llu.%lld@%s>", (unsigned long long)r, (long long)time(NULL),
	         hostname && *hostname ? hostname : "localhost");
}

static void hex(const unsigned char *md, unsigned len, char out[33])
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < len && i < 16; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[32] = '\0';
}

int sasl_cram_md5_digest(const char *secret, const char *challenge, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	if (HMAC(EVP_md5(), secret, (int)strlen(secret), (const unsigned char *)challenge,
	         strlen(challenge), md, &len) == NULL || len != 16) {
		log_error("sasl", "error=\"HMAC-MD5 failed\"");
		return -1;
	}
	hex(md, len, out);
	OPENSSL_cleanse(md, sizeof md);
	return 0;
}

int sasl_apop_digest(const char *timestamp, const char *secret, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	         EVP_DigestUpdate(ctx, timestamp, strlen(timestamp)) == 1 &&
	         EVP_DigestUpdate(ctx, secret, strlen(secret)) == 1 &&
	         EVP_DigestFinal_ex(ctx, md, &len) == 1 && len == 16;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		log_error("sasl", "error=\"MD5 failed\"");
		return -1;
	}
	hex(md, len, out);
	OPENSSL_cleanse(md, sizeof md);
	return 0;
}
