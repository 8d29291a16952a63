/*
 * oomgr_cert_make.c - `cert generate` (a key and a self-signed
 * certificate) and `cert request` (a key and a PKCS#10 request for a CA),
 * made with the OpenSSL API.  See oomgr_cert.h and oomgr(8), CERTIFICATES.
 */
#include "oomgr_cert.h"
#include "oomgr_admin.h"

#include "tls_certinfo.h"
#include "tls_certstore.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* The seeds' msgcert makes self-signed certificates for three months. */
#define DEFAULT_DAYS    90
#define MAX_DAYS        36500
#define RSA_BITS_MIN    2048
#define RSA_BITS_MAX    8192
#define RSA_BITS        2048
#define SERIAL_BITS     127     /* positive, below 2^127 */
#define SAN_MAX         2048    /* the subjectAltName text */

/* What the subject and the key are made of. */
struct cert_spec {
	const char *cn, *org, *orgunit, *city, *state, *country, *altnames;
	long days;
	bool ecdsa;
	long bits;
};

static const char *const make_params[] = {
	"cn", "org", "orgunit", "city", "state", "country", "days", "keytype",
	"bits", "altnames", "replace", "out", NULL
};

static int parse_keytype(const struct oomgr_stmt *st, struct cert_spec *s)
{
	const char *type = stmt_param(st, "keytype");
	const char *bits = stmt_param(st, "bits");
	int64_t n;

	s->ecdsa = false;
	if (type != NULL && strcasecmp(type, "ecdsa") == 0)
		s->ecdsa = true;
	else if (type != NULL && strcasecmp(type, "rsa") != 0)
		return oomgr_fail("keytype must be rsa or ecdsa, not '%s'.", type);
	s->bits = s->ecdsa ? 256 : RSA_BITS;
	if (bits == NULL)
		return 0;
	if (admin_parse_count("bits", bits, &n) < 0)
		return -1;
	s->bits = (long)n;
	if (s->ecdsa && s->bits != 256 && s->bits != 384)
		return oomgr_fail("bits must be 256 or 384 for an ECDSA key.");
	if (!s->ecdsa && (s->bits < RSA_BITS_MIN || s->bits > RSA_BITS_MAX))
		return oomgr_fail("bits must be from %d to %d for an RSA key.",
		                  RSA_BITS_MIN, RSA_BITS_MAX);
	return 0;
}

/* A DNS name or wildcard we are willing to put into subjectAltName. */
static bool host_like(const char *h, size_t len)
{
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)h[i]) && strchr(".-*", h[i]) == NULL)
			return false;
	return true;
}

static int parse_spec(const struct oomgr_stmt *st, struct cert_spec *s)
{
	const char *days = stmt_param(st, "days");
	int64_t n;

	memset(s, 0, sizeof *s);
	if (admin_check_params(st, make_params) < 0)
		return -1;
	s->cn = admin_required(st, "cn");
	if (s->cn == NULL)
		return -1;
	s->org = stmt_param(st, "org");
	s->orgunit = stmt_param(st, "orgunit");
	s->city = stmt_param(st, "city");
	s->state = stmt_param(st, "state");
	s->country = stmt_param(st, "country");
	s->altnames = stmt_param(st, "altnames");
	if (s->country != NULL && (strlen(s->country) != 2 ||
	                           !isalpha((unsigned char)s->country[0]) ||
	                           !isalpha((unsigned char)s->country[1])))
		return oomgr_fail("country must be a two-letter code such as US.");
	s->days = DEFAULT_DAYS;
	if (days != NULL) {
		if (admin_parse_range("days", days, 1, MAX_DAYS, &n) < 0)
			return -1;
		s->days = (long)n;
	}
	return parse_keytype(st, s);
}

static EVP_PKEY *make_key(const struct cert_spec *s)
{
	EVP_PKEY *k = s->ecdsa ? EVP_EC_gen(s->bits == 384 ? "P-384" : "P-256")
	                       : EVP_RSA_gen((unsigned)s->bits);

	if (k == NULL)
		oomgr_fail("Cannot generate the key: %s.", tls_error_text());
	return k;
}

static int add_entry(X509_NAME *name, const char *field, const char *value)
{
	if (value == NULL || *value == '\0')
		return 0;
	if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
	                               (const unsigned char *)value, -1, -1, 0) != 1)
		return oomgr_fail("Cannot use '%s' as %s: %s.", value, field,
		                  tls_error_text());
	return 0;
}

static X509_NAME *make_subject(const struct cert_spec *s)
{
	X509_NAME *name = X509_NAME_new();

	if (name == NULL || add_entry(name, "C", s->country) < 0 ||
	    add_entry(name, "ST", s->state) < 0 || add_entry(name, "L", s->city) < 0 ||
	    add_entry(name, "O", s->org) < 0 || add_entry(name, "OU", s->orgunit) < 0 ||
	    add_entry(name, "CN", s->cn) < 0) {
		X509_NAME_free(name);
		return NULL;
	}
	return name;
}

/* Appends "DNS:H" or "IP:H" for the LEN bytes of H to SAN. */
static int san_add(char *san, size_t size, const char *h, size_t len)
{
	char host[256];
	unsigned char addr[16];
	size_t used = strlen(san);

	if (len >= sizeof host)
		return oomgr_fail("The name %.*s is too long.", (int)len, h);
	memcpy(host, h, len);
	host[len] = '\0';
	bool ip = inet_pton(AF_INET, host, addr) == 1 ||
	          inet_pton(AF_INET6, host, addr) == 1;
	if (!ip && !host_like(host, len))
		return oomgr_fail("'%s' is not a host name for altnames.", host);
	int n = snprintf(san + used, size - used, "%s%s:%s", used ? "," : "",
	                 ip ? "IP" : "DNS", host);
	if (n < 0 || (size_t)n >= size - used)
		return oomgr_fail("Too many altnames.");
	return 0;
}

/* The subjectAltName text: the common name when it is a host name, then
 * every name of altnames (comma- or blank-separated).  "" for none. */
static int make_san(const struct cert_spec *s, char *san, size_t size)
{
	const char *p = s->altnames;

	san[0] = '\0';
	if (host_like(s->cn, strlen(s->cn)) && san_add(san, size, s->cn, strlen(s->cn)) < 0)
		return -1;
	while (p != NULL && *p != '\0') {
		size_t skip = strspn(p, ", "), len;
		p += skip;
		len = strcspn(p, ", ");
		if (len > 0 && san_add(san, size, p, len) < 0)
			return -1;
		p += len;
	}
	return 0;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;

	X509_EXTENSION_free(ext);
	if (!ok)
		return oomgr_fail("Cannot add the extension %s: %s.", OBJ_nid2sn(nid),
		                  tls_error_text());
	return 0;
}

static int add_server_extensions(X509 *x, const struct cert_spec *s,
                                 const char *san)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(x, &ctx, NID_key_usage, s->ecdsa
	                ? "critical,digitalSignature"
	                : "critical,digitalSignature,keyEncipherment") < 0 ||
	    add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") < 0 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0)
		return -1;
	return *san != '\0' ? add_ext(x, &ctx, NID_subject_alt_name, san) : 0;
}

static int set_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	int ok = bn != NULL && BN_rand(bn, SERIAL_BITS, BN_RAND_TOP_ANY,
	                               BN_RAND_BOTTOM_ANY) == 1 &&
	         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;

	BN_free(bn);
	return ok ? 0 : oomgr_fail("Cannot make a serial number: %s.",
	                           tls_error_text());
}

static X509 *make_certificate(const struct cert_spec *s, EVP_PKEY *key)
{
	char san[SAN_MAX];
	X509 *x = X509_new();
	X509_NAME *subject = make_subject(s);

	if (x == NULL || subject == NULL || make_san(s, san, sizeof san) < 0 ||
	    X509_set_version(x, X509_VERSION_3) != 1 || set_serial(x) < 0)
		goto fail;
	if (X509_set_subject_name(x, subject) != 1 ||
	    X509_set_issuer_name(x, subject) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), (int)s->days, 0, NULL) == NULL ||
	    X509_set_pubkey(x, key) != 1) {
		oomgr_fail("Cannot fill the certificate: %s.", tls_error_text());
		goto fail;
	}
	if (add_server_extensions(x, s, san) < 0)
		goto fail;
	if (X509_sign(x, key, EVP_sha256()) == 0) {
		oomgr_fail("Cannot sign the certificate: %s.", tls_error_text());
		goto fail;
	}
	X509_NAME_free(subject);
	return x;
fail:
	X509_NAME_free(subject);
	X509_free(x);
	return NULL;
}

static X509_REQ *make_request(const struct cert_spec *s, EVP_PKEY *key)
{
	char san[SAN_MAX];
	X509_REQ *req = X509_REQ_new();
	X509_NAME *subject = make_subject(s);
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext = NULL;

	if (req == NULL || subject == NULL || exts == NULL ||
	    make_san(s, san, sizeof san) < 0)
		goto fail;
	if (*san != '\0') {
		ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
		if (ext == NULL || sk_X509_EXTENSION_push(exts, ext) == 0 ||
		    X509_REQ_add_extensions(req, exts) != 1) {
			oomgr_fail("Cannot add the names %s: %s.", san, tls_error_text());
			goto fail;
		}
		ext = NULL;
	}
	if (X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    X509_REQ_set_subject_name(req, subject) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1 ||
	    X509_REQ_sign(req, key, EVP_sha256()) == 0) {
		oomgr_fail("Cannot make the request: %s.", tls_error_text());
		goto fail;
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(subject);
	return req;
fail:
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(subject);
	X509_REQ_free(req);
	return NULL;
}

/* The certificate name of ST (word 2), checked to be free unless
 * replace=yes.  NULL (said) otherwise. */
static const char *new_name(struct oomgr *o, const struct oomgr_stmt *st)
{
	const char *name = stmt_word(st, 2);
	bool replace;

	if (name == NULL || stmt_word(st, 3) != NULL) {
		oomgr_fail("Usage: cert %s NAME cn=HOST [param=value ...].",
		           stmt_word(st, 1));
		return NULL;
	}
	if (cert_replace_param(st, &replace) < 0)
		return NULL;
	if (cert_exists(o, name) && !replace) {
		oomgr_fail("Certificate %s exists already; add replace=yes to "
		           "replace it.", name);
		return NULL;
	}
	return name;
}

int cert_generate(struct oomgr *o, const struct oomgr_stmt *st)
{
	char keyfile[PATH_MAX], crtfile[PATH_MAX], chainfile[PATH_MAX];
	struct cert_spec spec;
	struct cert_owner own;
	struct tls_cert_info info;
	const char *name = new_name(o, st);
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int rc = -1;

	if (name == NULL || parse_spec(st, &spec) < 0)
		return -1;
	if (stmt_param(st, "out") != NULL)
		return oomgr_fail("out= belongs to cert request; cert generate "
		                  "installs under the name %s.", name);
	if (cert_owner_of(o, &own) < 0 ||
	    cert_path(o, name, TLS_PART_KEY, keyfile, sizeof keyfile) < 0 ||
	    cert_path(o, name, TLS_PART_CERT, crtfile, sizeof crtfile) < 0 ||
	    cert_path(o, name, TLS_PART_CHAIN, chainfile, sizeof chainfile) < 0)
		return -1;
	key = make_key(&spec);
	x = key != NULL ? make_certificate(&spec, key) : NULL;
	if (x == NULL || tls_cert_info_of(x, &info) < 0 ||
	    cert_write_file(keyfile, 0600, &own, cert_write_key, key) < 0 ||
	    cert_write_file(crtfile, 0644, &own, cert_write_x509, x) < 0)
		goto out;
	/* A replaced CA-signed certificate's intermediates are not this one's. */
	if (unlink(chainfile) < 0 && errno != ENOENT) {
		oomgr_fail("Cannot remove the old chain %s: %s.", chainfile,
		           strerror(errno));
		goto out;
	}
	printf("Certificate %s generated: %s, %s, valid until %s.\n"
	       "SHA-256 fingerprint %s\n", name, info.subject, info.key_type,
	       info.not_after, info.fingerprint);
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

int cert_request(struct oomgr *o, const struct oomgr_stmt *st)
{
	char keyfile[PATH_MAX], csrfile[PATH_MAX];
	struct cert_spec spec;
	struct cert_owner own;
	const char *name = new_name(o, st);
	const char *out = stmt_param(st, "out");
	EVP_PKEY *key = NULL;
	X509_REQ *req = NULL;
	int rc = -1;

	if (name == NULL || parse_spec(st, &spec) < 0 || cert_owner_of(o, &own) < 0 ||
	    cert_path(o, name, TLS_PART_KEY, keyfile, sizeof keyfile) < 0)
		return -1;
	if (out != NULL)
		snprintf(csrfile, sizeof csrfile, "%s", out);
	else if ((size_t)snprintf(csrfile, sizeof csrfile, "%.*s.csr",
	                          (int)(strlen(keyfile) - 4), keyfile) >= sizeof csrfile)
		return oomgr_fail("The path %s is too long.", keyfile);
	key = make_key(&spec);
	req = key != NULL ? make_request(&spec, key) : NULL;
	if (req == NULL ||
	    cert_write_file(keyfile, 0600, &own, cert_write_key, key) < 0 ||
	    cert_write_file(csrfile, 0644, &own, cert_write_req, req) < 0)
		goto done;
	if (out == NULL)
		PEM_write_X509_REQ(stdout, req);
	printf("Request for %s written to %s; its key is %s.\n"
	       "Send the request to your CA, then: cert install %s CERTFILE;\n",
	       spec.cn, csrfile, keyfile, name);
	rc = 0;
done:
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return rc;
}
