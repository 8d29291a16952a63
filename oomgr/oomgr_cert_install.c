/*
 * oomgr_cert_install.c - `cert install NAME CERT [KEY [CHAIN]]`: checks a
 * certificate from a CA (or anyone) before the servers may use it, then
 * copies it under NAME.  Checked: the key matches the certificate, the
 * certificate is valid now, the chain leads to a trusted root, and an
 * encrypted key opens with its line in the password file.  See
 * oomgr_cert.h and oomgr(8), CERTIFICATES.
 */
#include "oomgr_cert.h"
#include "oomgr_admin.h"

#include "config.h"
#include "tls_certinfo.h"
#include "tls_certstore.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

static const char *const install_params[] = { "replace", NULL };

/* What is being installed. */
struct install {
	const char *name, *certfile, *chainfile;
	char keyfile[PATH_MAX];
	X509 *leaf;
	STACK_OF(X509) *extra;          /* intermediates and roots given */
	EVP_PKEY *key;
	bool encrypted;
	char pwfile[PATH_MAX];
};

static int take_words(struct oomgr *o, const struct oomgr_stmt *st,
                      struct install *in)
{
	const char *key = stmt_word(st, 4);

	in->name = stmt_word(st, 2);
	in->certfile = stmt_word(st, 3);
	in->chainfile = stmt_word(st, 5);
	if (in->name == NULL || in->certfile == NULL || stmt_word(st, 6) != NULL)
		return oomgr_fail("Usage: cert install NAME CERTFILE [KEYFILE "
		                  "[CHAINFILE]] [replace=yes].");
	if (key != NULL) {
		snprintf(in->keyfile, sizeof in->keyfile, "%s", key);
		return 0;
	}
	/* No KEYFILE: the key `cert request NAME` left. */
	if (cert_path(o, in->name, TLS_PART_KEY, in->keyfile, sizeof in->keyfile) < 0)
		return -1;
	if (access(in->keyfile, R_OK) < 0)
		return oomgr_fail("Give the key file: there is no key of a request "
		                  "for %s (%s).", in->name, in->keyfile);
	return 0;
}

static int read_certs(struct install *in)
{
	STACK_OF(X509) *chain;

	in->extra = tls_certs_read(in->certfile);
	if (in->extra == NULL)
		return oomgr_fail("Cannot read %s: %s.", in->certfile,
		                  "it is not a PEM certificate file (see above)");
	if (sk_X509_num(in->extra) == 0)
		return oomgr_fail("%s holds no certificate.", in->certfile);
	in->leaf = sk_X509_shift(in->extra);
	if (in->chainfile == NULL)
		return 0;
	chain = tls_certs_read(in->chainfile);
	if (chain == NULL)
		return oomgr_fail("Cannot read the chain %s (see above).", in->chainfile);
	while (sk_X509_num(chain) > 0)
		sk_X509_push(in->extra, sk_X509_shift(chain));
	sk_X509_free(chain);
	return 0;
}

static int check_dates(const struct install *in, const struct tls_cert_info *info)
{
	if (X509_cmp_current_time(X509_get0_notAfter(in->leaf)) <= 0)
		return oomgr_fail("The certificate %s expired on %s: it is not "
		                  "installed.", in->certfile, info->not_after);
	if (X509_cmp_current_time(X509_get0_notBefore(in->leaf)) > 0)
		return oomgr_fail("The certificate %s is not valid before %s: it is "
		                  "not installed.", in->certfile, info->not_before);
	return 0;
}

/* The password of an encrypted key from the password file, whose owner
 * and mode are checked first. */
static int open_encrypted(struct oomgr *o, struct install *in)
{
	char err[512], pw[TLS_PASSWORD_MAX];
	struct cert_owner own;
	int found;
	uid_t owner;

	if (cert_owner_of(o, &own) < 0 ||
	    tls_password_file(oomgr_config(o), in->pwfile, sizeof in->pwfile) < 0)
		return -1;
	owner = own.chown ? own.uid : geteuid();
	if (tls_password_file_check(in->pwfile, owner, err, sizeof err) < 0)
		return oomgr_fail("The key %s is encrypted and %s. Put the line "
		                  "%s:PASSWORD there.", in->keyfile, err, in->name);
	found = tls_password_lookup(in->pwfile, in->name, pw, sizeof pw);
	if (found <= 0)
		return oomgr_fail("The key %s is encrypted and %s has no line "
		                  "%s:PASSWORD for it.", in->keyfile, in->pwfile,
		                  in->name);
	in->key = tls_key_read(in->keyfile, pw, NULL, err, sizeof err);
	OPENSSL_cleanse(pw, sizeof pw);
	if (in->key == NULL)
		return oomgr_fail("The password of %s in %s does not open it: %s.",
		                  in->name, in->pwfile, err);
	return 0;
}

static int read_key(struct oomgr *o, struct install *in)
{
	char err[512];

	in->key = tls_key_read(in->keyfile, NULL, &in->encrypted, err, sizeof err);
	if (in->key != NULL)
		return 0;
	if (in->encrypted)
		return open_encrypted(o, in);
	return oomgr_fail("Cannot use the key: %s.", err);
}

static int check_match(const struct install *in, const struct tls_cert_info *info)
{
	if (X509_check_private_key(in->leaf, in->key) == 1)
		return 0;
	ERR_clear_error();
	return oomgr_fail("The key %s does not match the certificate %s (%s, "
	                  "%s public key): it is not installed.", in->keyfile,
	                  in->certfile, info->subject, info->key_type);
}

/* The chain from the leaf to a root: the system's trusted roots and any
 * self-signed certificate given with it.  A self-signed leaf given alone
 * is its own root. */
static int check_chain(const struct install *in, const struct tls_cert_info *info)
{
	X509_STORE *store;
	X509_STORE_CTX *ctx;
	STACK_OF(X509) *untrusted;
	int ok = 0, err = 0, depth = 0;

	if (info->self_signed && sk_X509_num(in->extra) == 0)
		return 0;
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	untrusted = sk_X509_new_null();
	if (store == NULL || ctx == NULL || untrusted == NULL ||
	    X509_STORE_set_default_paths(store) != 1)
		goto done;
	for (int i = 0; i < sk_X509_num(in->extra); i++) {
		X509 *x = sk_X509_value(in->extra, i);
		if (X509_self_signed(x, 0) == 1)
			X509_STORE_add_cert(store, x);
		else
			sk_X509_push(untrusted, x);
	}
	if (info->self_signed)
		X509_STORE_add_cert(store, in->leaf);
	if (X509_STORE_CTX_init(ctx, store, in->leaf, untrusted) != 1)
		goto done;
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	ok = X509_verify_cert(ctx) == 1;
	err = X509_STORE_CTX_get_error(ctx);
	depth = X509_STORE_CTX_get_error_depth(ctx);
done:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_free(untrusted);
	if (!ok)
		return oomgr_fail("The chain of %s does not verify: %s (certificate "
		                  "%d of the chain). Give the CA certificates as "
		                  "CHAINFILE; it is not installed.", in->certfile,
		                  X509_verify_cert_error_string(err), depth);
	return 0;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Copies the key (encrypted or not, byte for byte) and the certificates;
 * the certificate last, so a half-done install is never a usable pair. */
static int write_files(struct oomgr *o, struct install *in)
{
	char key[PATH_MAX], crt[PATH_MAX], chain[PATH_MAX];
	struct cert_owner own;

	if (cert_owner_of(o, &own) < 0 ||
	    cert_path(o, in->name, TLS_PART_KEY, key, sizeof key) < 0 ||
	    cert_path(o, in->name, TLS_PART_CERT, crt, sizeof crt) < 0 ||
	    cert_path(o, in->name, TLS_PART_CHAIN, chain, sizeof chain) < 0)
		return -1;
	if (same_file(in->keyfile, key)) {
		if (chmod(key, 0600) < 0 ||
		    (own.chown && chown(key, own.uid, own.gid) < 0))
			return oomgr_fail("Cannot set the owner and mode of %s: %s.",
			                  key, strerror(errno));
	} else if (cert_write_file(key, 0600, &own, cert_write_bytes,
	                           in->keyfile) < 0) {
		return -1;
	}
	if (sk_X509_num(in->extra) > 0
	        ? cert_write_file(chain, 0644, &own, cert_write_x509s, in->extra) < 0
	        : (unlink(chain) < 0 && errno != ENOENT))
		return oomgr_fail("Cannot write the chain %s.", chain);
	return cert_write_file(crt, 0644, &own, cert_write_x509, in->leaf);
}

static int check_and_install(struct oomgr *o, struct install *in)
{
	struct tls_cert_info info;

	if (read_certs(in) < 0)
		return -1;
	if (tls_cert_info_of(in->leaf, &info) < 0)
		return oomgr_fail("Cannot read the dates of %s.", in->certfile);
	if (check_dates(in, &info) < 0 || read_key(o, in) < 0 ||
	    check_match(in, &info) < 0 || check_chain(in, &info) < 0 ||
	    write_files(o, in) < 0)
		return -1;
	printf("Certificate %s installed: %s, issued by %s, valid until %s%s%s.\n"
	       "SHA-256 fingerprint %s\n", in->name, info.subject,
	       info.self_signed ? "itself" : info.issuer, info.not_after,
	       in->encrypted ? "; encrypted key opened with " : "",
	       in->encrypted ? in->pwfile : "", info.fingerprint);
	return 0;
}

int cert_install(struct oomgr *o, const struct oomgr_stmt *st)
{
	struct install in;
	bool replace;
	char crt[PATH_MAX];
	int rc;

	memset(&in, 0, sizeof in);
	if (admin_check_params(st, install_params) < 0 ||
	    cert_replace_param(st, &replace) < 0 || take_words(o, st, &in) < 0 ||
	    cert_path(o, in.name, TLS_PART_CERT, crt, sizeof crt) < 0)
		return -1;
	if (access(crt, F_OK) == 0 && !replace)
		return oomgr_fail("Certificate %s exists already; add replace=yes "
		                  "to replace it.", in.name);
	rc = check_and_install(o, &in);
	X509_free(in.leaf);
	sk_X509_pop_free(in.extra, X509_free);
	EVP_PKEY_free(in.key);
	return rc;
}
