/*
 * tls_certstore.h - where named certificates live, and the password file
 * for encrypted keys.
 *
 * `oomgr cert` installs each certificate under a name (its alias) in the
 * directory <state_dir>/tls:
 *
 *   NAME.crt     the certificate (PEM), mode 0644
 *   NAME.key     its private key (PEM, possibly encrypted), mode 0600
 *   NAME.chain   intermediate CA certificates, when there are any
 *
 * ems.conf names them (tls.pop3_certificate, tls.sni ...; see ems.conf(5)).
 * An encrypted key is opened with the password on the line "NAME:password"
 * of the password file (tls.password_file, default
 * <state_dir>/tls/sslpassword.conf), which must be readable by the ems
 * user only.
 */
#ifndef EMS_TLS_CERTSTORE_H
#define EMS_TLS_CERTSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ems_config;

#define TLS_CERT_NAME_MAX  64     /* longest certificate name */
#define TLS_PASSWORD_MAX   1024   /* longest key password */

enum tls_store_part { TLS_PART_CERT, TLS_PART_KEY, TLS_PART_CHAIN };

/* True when NAME may name a certificate: 1 to TLS_CERT_NAME_MAX letters,
 * digits, '.', '_' or '-', not starting with '.' or '-'. */
bool tls_cert_name_valid(const char *name);

/*
 * The directory of named certificates (<state_dir>/tls) into OUT.
 * Returns 0, or -1 (logged) when the path does not fit in SIZE bytes.
 */
int tls_certstore_dir(const struct ems_config *cfg, char *out, size_t size);

/*
 * The file of PART of certificate NAME into OUT (see the table above).
 * Returns 0, or -1 (logged) for an invalid name or a path too long.
 */
int tls_certstore_file(const struct ems_config *cfg, const char *name,
                       enum tls_store_part part, char *out, size_t size);

/* The password file: tls.password_file, or <state_dir>/tls/sslpassword.conf.
 * Returns 0, or -1 (logged) when the path does not fit. */
int tls_password_file(const struct ems_config *cfg, char *out, size_t size);

/*
 * Checks that the password file PATH is a regular file that neither its
 * group nor others may read or write, owned by OWNER (the user the
 * servers run as, who must be able to read it).
 * Returns 0, or -1 with a sentence for the administrator in ERR.
 */
int tls_password_file_check(const char *path, uid_t owner, char *err,
                            size_t errsz);

/*
 * Looks up NAME in the password file PATH: lines "NAME:password", blank
 * lines and lines starting with '#' ignored; the password runs to the
 * end of the line.  Returns 1 with the password in OUT (SIZE bytes; the
 * caller wipes it with OPENSSL_cleanse() after use), 0 when the file has
 * no line for NAME or does not exist, -1 (logged, without the password)
 * when the file cannot be read or the password is too long.
 */
int tls_password_lookup(const char *path, const char *name, char *out,
                        size_t size);

#endif
