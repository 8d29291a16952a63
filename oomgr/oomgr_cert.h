/*
 * oomgr_cert.h - the certificate statements of oomgr, as the seeds'
 * wallet manager and msgcert gave them:
 *
 *   cert generate NAME cn=HOST [org=O] [orgunit=OU] [city=L] [state=ST]
 *                 [country=CC] [days=N] [keytype=rsa|ecdsa] [bits=N]
 *                 [altnames=H1,H2] [replace=yes];
 *   cert request NAME cn=HOST ... [out=FILE];
 *   cert install NAME CERT [KEY [CHAIN]] [replace=yes];
 *   cert list;    cert show NAME;    cert remove NAME;
 *
 * Certificates live under <state_dir>/tls by NAME (tls_certstore.h);
 * everything is done with the OpenSSL API.  The split: oomgr_cert.c
 * dispatches and reads (list, show, remove), oomgr_cert_make.c makes keys,
 * certificates and requests, oomgr_cert_install.c checks and installs,
 * oomgr_cert_files.c writes files with the right owner and mode.
 */
#ifndef EMS_OOMGR_CERT_H
#define EMS_OOMGR_CERT_H

#include "oomgr.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/types.h>

/* The `cert` statement: dispatches on its second word.  Returns 0, or -1
 * after saying why on stderr. */
int oomgr_cert(struct oomgr *o, const struct oomgr_stmt *st);

/* Sub-statements (ST's words start "cert generate ..."). */
int cert_generate(struct oomgr *o, const struct oomgr_stmt *st);
int cert_request(struct oomgr *o, const struct oomgr_stmt *st);
int cert_install(struct oomgr *o, const struct oomgr_stmt *st);

/* Who owns the installed files: the ems user when oomgr runs as root,
 * else oomgr's own user (CHOWN false). */
struct cert_owner {
	bool chown;
	uid_t uid;
	gid_t gid;
};

/* Fills OWN from the configuration's user and group.  Returns 0, or -1
 * (said) when root was asked for a user that does not exist. */
int cert_owner_of(struct oomgr *o, struct cert_owner *own);

/*
 * The file of PART (enum tls_store_part) of certificate NAME into OUT,
 * creating <state_dir>/tls (mode 0755) when missing.  Returns 0, or -1
 * (said) for a bad name or a directory that cannot be made.
 */
int cert_path(struct oomgr *o, const char *name, int part, char *out,
              size_t size);

/* True when the files of certificate NAME exist (its .crt or .key). */
bool cert_exists(struct oomgr *o, const char *name);

/*
 * Writes PEM data to PATH through a temporary file renamed into place
 * (so a reader never sees half a key): WRITE is called with a BIO on the
 * new file and returns 1 on success, as the PEM_write_bio_* calls do.
 * The file gets MODE and, when OWN->chown, OWN's user and group.  Returns
 * 0, or -1 (said).
 */
int cert_write_file(const char *path, mode_t mode, const struct cert_owner *own,
                    int (*write)(BIO *bio, void *arg), void *arg);

/* PEM writers for cert_write_file(). */
int cert_write_key(BIO *bio, void *key);            /* EVP_PKEY, clear */
int cert_write_x509(BIO *bio, void *x509);          /* X509 */
int cert_write_x509s(BIO *bio, void *stack);        /* STACK_OF(X509) */
int cert_write_req(BIO *bio, void *req);            /* X509_REQ */
int cert_write_bytes(BIO *bio, void *file);         /* a file's bytes as is */

/* The value of parameter "replace" as a boolean: -1 (said) when it is
 * not yes/no. */
int cert_replace_param(const struct oomgr_stmt *st, bool *replace);

#endif
