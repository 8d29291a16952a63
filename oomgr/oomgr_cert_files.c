/*
 * oomgr_cert_files.c - where oomgr's cert statements put their files and
 * how: the tls directory under the state directory, keys mode 0600 owned
 * by the ems user, every file written whole and renamed into place.
 * See oomgr_cert.h.
 */
#include "oomgr_cert.h"
#include "oomgr_admin.h"

#include "config.h"
#include "run_identity.h"
#include "tls_certstore.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* Largest file copied by cert_write_bytes(). */
#define COPY_MAX (1024 * 1024)

int cert_owner_of(struct oomgr *o, struct cert_owner *own)
{
	const struct ems_config *cfg = oomgr_config(o);
	struct run_identity id;

	if (cfg == NULL)
		return -1;
	if (identity_lookup(config_str(cfg, "user"), config_str(cfg, "group"),
	                    &id) < 0)
		return oomgr_fail("Cannot tell who the servers run as (see above): "
		                  "set user in %s.", config_file(cfg));
	own->chown = id.drop;
	own->uid = id.uid;
	own->gid = id.gid;
	return 0;
}

int cert_path(struct oomgr *o, const char *name, int part, char *out,
              size_t size)
{
	const struct ems_config *cfg = oomgr_config(o);
	char dir[PATH_MAX];

	if (cfg == NULL)
		return -1;
	if (!tls_cert_name_valid(name))
		return oomgr_fail("'%s' cannot name a certificate: use up to %d "
		                  "letters, digits, '.', '_' or '-'.", name,
		                  TLS_CERT_NAME_MAX);
	if (tls_certstore_dir(cfg, dir, sizeof dir) < 0 ||
	    tls_certstore_file(cfg, name, (enum tls_store_part)part, out, size) < 0)
		return oomgr_fail("The path of certificate %s is too long.", name);
	/* The state directory too, on a machine where nothing ran yet. */
	if ((mkdir(config_path(cfg, "state_dir"), 0755) < 0 && errno != EEXIST) ||
	    (mkdir(dir, 0755) < 0 && errno != EEXIST))
		return oomgr_fail("Cannot create %s: %s.", dir, strerror(errno));
	return 0;
}

bool cert_exists(struct oomgr *o, const char *name)
{
	char path[PATH_MAX];
	const struct ems_config *cfg = oomgr_config(o);

	if (cfg == NULL || !tls_cert_name_valid(name))
		return false;
	return (tls_certstore_file(cfg, name, TLS_PART_CERT, path, sizeof path) == 0 &&
	        access(path, F_OK) == 0) ||
	       (tls_certstore_file(cfg, name, TLS_PART_KEY, path, sizeof path) == 0 &&
	        access(path, F_OK) == 0);
}

int cert_write_file(const char *path, mode_t mode, const struct cert_owner *own,
                    int (*write)(BIO *bio, void *arg), void *arg)
{
	char tmp[PATH_MAX + 16];
	int fd, ok;
	BIO *bio;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.new", path) >= sizeof tmp)
		return oomgr_fail("The path %s is too long.", path);
	unlink(tmp);
	/* Created with its final mode: a key is never readable by others,
	 * not even for a moment. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return oomgr_fail("Cannot create %s: %s.", tmp, strerror(errno));
	if (own->chown && fchown(fd, own->uid, own->gid) < 0) {
		oomgr_fail("Cannot give %s to uid %u: %s.", tmp, (unsigned)own->uid,
		           strerror(errno));
		goto fail;
	}
	bio = BIO_new_fd(fd, BIO_NOCLOSE);
	ok = bio != NULL && write(bio, arg) == 1 && BIO_flush(bio) == 1;
	BIO_free(bio);
	if (!ok) {
		oomgr_fail("Cannot write %s.", tmp);
		goto fail;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		oomgr_fail("Cannot write %s: %s.", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		oomgr_fail("Cannot rename %s to %s: %s.", tmp, path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

int cert_write_key(BIO *bio, void *key)
{
	return PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
}

int cert_write_x509(BIO *bio, void *x509)
{
	return PEM_write_bio_X509(bio, x509);
}

int cert_write_x509s(BIO *bio, void *stack)
{
	STACK_OF(X509) *sk = stack;

	for (int i = 0; i < sk_X509_num(sk); i++)
		if (PEM_write_bio_X509(bio, sk_X509_value(sk, i)) != 1)
			return 0;
	return 1;
}

int cert_write_req(BIO *bio, void *req)
{
	return PEM_write_bio_X509_REQ(bio, req);
}

int cert_write_bytes(BIO *bio, void *file)
{
	char buf[4096];
	size_t n, total = 0;
	int ok = 1;
	FILE *f = fopen(file, "r");

	if (f == NULL)
		return 0;
	while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0) {
		total += n;
		ok = total <= COPY_MAX && BIO_write(bio, buf, (int)n) == (int)n;
	}
	ok = ok && !ferror(f);
	fclose(f);
	OPENSSL_cleanse(buf, sizeof buf);
	return ok;
}

int cert_replace_param(const struct oomgr_stmt *st, bool *replace)
{
	const char *v = stmt_param(st, "replace");

	*replace = false;
	return v == NULL ? 0 : admin_parse_bool("replace", v, replace);
}
