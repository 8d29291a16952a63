/*
 * tls_certinfo.h - what a certificate says about itself, for people
 * (oomgr cert list / show) and for the monitor (days until expiry).
 *
 * Everything is read with the OpenSSL API from PEM files; nothing here
 * touches a private key except tls_key_read(), which decrypts one with a
 * password given by the caller (never from a terminal).
 */
#ifndef EMS_TLS_CERTINFO_H
#define EMS_TLS_CERTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/types.h>

/* Room for the longest subject or issuer we print (RFC 2253 form). */
#define TLS_DN_MAX          512
/* "YYYY-MM-DD HH:MM:SS UTC" */
#define TLS_DATE_MAX        32
/* 32 bytes as "AB:CD:..." */
#define TLS_FINGERPRINT_MAX (32 * 3)
#define TLS_NAMES_MAX       512

struct tls_cert_info {
	char subject[TLS_DN_MAX];        /* "CN=mail.example.test,O=Acme,C=US" */
	char issuer[TLS_DN_MAX];
	char not_before[TLS_DATE_MAX];   /* UTC */
	char not_after[TLS_DATE_MAX];
	time_t not_before_t, not_after_t;
	long days_left;                  /* whole days to not_after; < 0 expired */
	bool self_signed;                /* issued by itself and signed by its own key */
	char fingerprint[TLS_FINGERPRINT_MAX]; /* SHA-256, upper-case hex with ':' */
	char key_type[80];               /* "RSA 2048", "EC prime256v1" */
	char serial[80];                 /* hexadecimal */
	char names[TLS_NAMES_MAX];       /* DNS subjectAltNames, ", "-separated */
};

/*
 * Fills INFO from certificate X.  Returns 0, or -1 (logged) when a field
 * cannot be decoded.
 */
int tls_cert_info_of(X509 *x, struct tls_cert_info *info);

/*
 * Reads the first certificate of the PEM file PATH into INFO.  Returns 0,
 * or -1 (logged with the file and OpenSSL's reason) when the file cannot
 * be read or holds no certificate.
 */
int tls_cert_info_read(const char *path, struct tls_cert_info *info);

/*
 * Whole days from now until the certificate in PATH expires, into *DAYS
 * (negative once it has expired; 0 on its last day).  This is the check
 * the monitor runs.  Returns 0, or -1 (logged) when the file cannot be
 * read.
 */
int tls_cert_days_left(const char *path, long *days);

/*
 * Reads every certificate of the PEM file PATH.  Returns a new stack (the
 * caller frees it with sk_X509_pop_free(sk, X509_free)), empty for an
 * empty file; NULL (logged) when the file cannot be read or holds
 * something that is not a certificate.
 */
STACK_OF(X509) *tls_certs_read(const char *path);

/*
 * Reads the private key in the PEM file PATH.  An encrypted key is
 * decrypted with PASSWORD; PASSWORD NULL makes an encrypted key fail
 * rather than prompt.  Returns the key (EVP_PKEY_free() it), or NULL
 * with a sentence for the administrator in ERR (ERRSZ bytes); nothing is
 * logged, the password never appears.  *ENCRYPTED (may be NULL) tells
 * whether the file held an encrypted key.
 */
EVP_PKEY *tls_key_read(const char *path, const char *password,
                       bool *encrypted, char *err, size_t errsz);

/*
 * The user name client certificate X carries in FIELD, into OUT (CAP
 * bytes): "cn" the subject's commonName, "uid" its userId
 * (0.9.2342.19200300.100.1.1), "email" the first rfc822Name
 * subjectAltName or else the subject's emailAddress.  Where the subject
 * has several entries of the type, the last (most specific) one.
 * Returns 0, or -1 when the field is absent, empty, holds a control
 * character or does not fit (OUT is then "").  Says nothing about
 * whether X is trusted: see tls_conn_peer_user() in tls.h.
 */
int tls_cert_user(X509 *x, const char *field, char *out, size_t cap);

/* The last OpenSSL error as text (a static buffer), clearing the queue;
 * "unknown" when there is none. */
const char *tls_error_text(void);

#endif
