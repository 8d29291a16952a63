/*
 * tls_certinfo.c - certificate fields, expiry and private keys read from
 * PEM files with the OpenSSL API; see tls_certinfo.h.  Used by oomgr's
 * cert statements, by tls.c and by the monitor.
 */
#include "tls_certinfo.h"

#include "log.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Largest private-key file read whole (a 16384-bit RSA key is ~13 KB). */
#define KEY_FILE_MAX (64 * 1024)

const char *tls_error_text(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return "unknown";
	ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return buf;
}

static void name_text(const X509_NAME *name, char *out, size_t size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int n = 0;

	out[0] = '\0';
	if (bio == NULL)
		return;
	/* RFC 2253 without escaping UTF-8: "CN=x,OU=y,O=z,C=US". */
	if (X509_NAME_print_ex(bio, name, 0,
	                       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0)
		n = BIO_read(bio, out, (int)size - 1);
	out[n > 0 ? n : 0] = '\0';
	BIO_free(bio);
}

static int time_text(const ASN1_TIME *t, char *out, size_t size, time_t *when)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
	*when = timegm(&tm);
	return 0;
}

static void key_text(X509 *x, char *out, size_t size)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	char group[48];

	if (k == NULL) {
		snprintf(out, size, "unknown");
		return;
	}
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		snprintf(out, size, "RSA %d", EVP_PKEY_get_bits(k));
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(k, group, sizeof group, NULL) != 1)
			snprintf(group, sizeof group, "%d bits", EVP_PKEY_get_bits(k));
		snprintf(out, size, "EC %s", group);
		break;
	case EVP_PKEY_ED25519:
		snprintf(out, size, "Ed25519");
		break;
	default:
		snprintf(out, size, "%s %d", OBJ_nid2sn(EVP_PKEY_get_base_id(k)),
		         EVP_PKEY_get_bits(k));
	}
}

static void fingerprint_text(X509 *x, char *out, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	size_t n = 0;

	out[0] = '\0';
	if (X509_digest(x, EVP_sha256(), md, &len) != 1)
		return;
	for (unsigned i = 0; i < len && n + 3 < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%02X", i ? ":" : "", md[i]);
}

static void serial_text(X509 *x, char *out, size_t size)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	snprintf(out, size, "%s", hex != NULL ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

static void names_text(X509 *x, char *out, size_t size)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_DNS)
			continue;
		const unsigned char *s = ASN1_STRING_get0_data(g->d.dNSName);
		int len = ASN1_STRING_length(g->d.dNSName);
		int w = snprintf(out + n, size - n, "%s%.*s", n ? ", " : "", len,
		                 (const char *)s);
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
	GENERAL_NAMES_free(gens);
}

static bool is_self_signed(X509 *x)
{
	/* Names and key identifiers match and its own key verifies it. */
	bool self = X509_self_signed(x, 1) == 1;

	ERR_clear_error();
	return self;
}

int tls_cert_info_of(X509 *x, struct tls_cert_info *info)
{
	int day = 0, sec = 0;

	memset(info, 0, sizeof *info);
	name_text(X509_get_subject_name(x), info->subject, sizeof info->subject);
	name_text(X509_get_issuer_name(x), info->issuer, sizeof info->issuer);
	if (time_text(X509_get0_notBefore(x), info->not_before,
	              sizeof info->not_before, &info->not_before_t) < 0 ||
	    time_text(X509_get0_notAfter(x), info->not_after,
	              sizeof info->not_after, &info->not_after_t) < 0 ||
	    ASN1_TIME_diff(&day, &sec, NULL, X509_get0_notAfter(x)) != 1) {
		log_warn("tls_cert_info", "subject=%s error=\"bad validity dates\"",
		         log_quote(info->subject));
		ERR_clear_error();
		return -1;
	}
	/* ASN1_TIME_diff gives day and sec of the same sign. */
	info->days_left = day - ((day == 0 && sec < 0) ? 1 : 0);
	info->self_signed = is_self_signed(x);
	fingerprint_text(x, info->fingerprint, sizeof info->fingerprint);
	key_text(x, info->key_type, sizeof info->key_type);
	serial_text(x, info->serial, sizeof info->serial);
	names_text(x, info->names, sizeof info->names);
	return 0;
}

static X509 *read_first(const char *path)
{
	BIO *bio = BIO_new_file(path, "r");
	X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	if (x == NULL)
		log_warn("tls_cert_read", "file=%s error=%s", log_quote(path),
		         log_quote(tls_error_text()));
	BIO_free(bio);
	return x;
}

int tls_cert_info_read(const char *path, struct tls_cert_info *info)
{
	X509 *x = read_first(path);
	int rc;

	if (x == NULL)
		return -1;
	rc = tls_cert_info_of(x, info);
	X509_free(x);
	return rc;
}

int tls_cert_days_left(const char *path, long *days)
{
	struct tls_cert_info info;

	if (tls_cert_info_read(path, &info) < 0)
		return -1;
	*days = info.days_left;
	return 0;
}

STACK_OF(X509) *tls_certs_read(const char *path)
{
	BIO *bio = BIO_new_file(path, "r");
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x;

	if (bio == NULL || sk == NULL)
		goto fail;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(sk, x) == 0) {
			X509_free(x);
			goto fail;
		}
	/* The loop ends at end of file (PEM_R_NO_START_LINE) or at garbage. */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE)
		goto fail;
	ERR_clear_error();
	BIO_free(bio);
	return sk;
fail:
	log_warn("tls_cert_read", "file=%s error=%s", log_quote(path),
	         log_quote(tls_error_text()));
	BIO_free(bio);
	sk_X509_pop_free(sk, X509_free);
	return NULL;
}

/* OpenSSL's password callback: the caller's password, never a prompt. */
static int give_password(char *buf, int size, int rwflag, void *arg)
{
	const char *pw = arg;
	size_t len = pw != NULL ? strlen(pw) : 0;

	(void)rwflag;
	if (pw == NULL || len >= (size_t)size)
		return -1;
	memcpy(buf, pw, len);
	return (int)len;
}

static char *slurp(const char *path, size_t *len, char *err, size_t errsz)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;

	if (f == NULL) {
		snprintf(err, errsz, "cannot read %s: %m", path);
		return NULL;
	}
	buf = OPENSSL_malloc(KEY_FILE_MAX + 1);
	if (buf != NULL) {
		*len = fread(buf, 1, KEY_FILE_MAX + 1, f);
		buf[*len <= KEY_FILE_MAX ? *len : KEY_FILE_MAX] = '\0';
		if (*len > KEY_FILE_MAX) {
			snprintf(err, errsz, "%s is larger than any key file", path);
			OPENSSL_free(buf);
			buf = NULL;
		}
	} else {
		snprintf(err, errsz, "out of memory");
	}
	fclose(f);
	return buf;
}

EVP_PKEY *tls_key_read(const char *path, const char *password,
                       bool *encrypted, char *err, size_t errsz)
{
	size_t len = 0;
	char *text = slurp(path, &len, err, errsz);
	BIO *bio;
	EVP_PKEY *k = NULL;
	bool enc;

	if (text == NULL)
		return NULL;
	enc = strstr(text, "ENCRYPTED") != NULL;
	if (encrypted != NULL)
		*encrypted = enc;
	bio = BIO_new_mem_buf(text, (int)len);
	if (bio != NULL)
		k = PEM_read_bio_PrivateKey(bio, NULL, give_password,
		                            (void *)password);
	if (k == NULL) {
		if (enc && password == NULL)
			snprintf(err, errsz, "%s is an encrypted key and no password "
			         "is set for it", path);
		else if (enc)
			snprintf(err, errsz, "%s cannot be decrypted with the password "
			         "given (wrong password?)", path);
		else
			snprintf(err, errsz, "%s holds no private key in PEM form (%s)",
			         path, tls_error_text());
	}
	ERR_clear_error();
	BIO_free(bio);
	OPENSSL_cleanse(text, len);
	OPENSSL_free(text);
	return k;
}
