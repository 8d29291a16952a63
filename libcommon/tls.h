/*
 * tls.h - server-side TLS for every protocol program (OpenSSL,
 * non-blocking).
 *
 * One struct tls_server per process holds the certificate, key, chain and
 * policy (TLS 1.2 and 1.3 only, the configured cipher list, a session
 * cache so clients can resume), and optionally further certificates
 * chosen by the client's Server Name Indication.  Each connection gets a
 * struct tls_conn over its already non-blocking socket; the handshake and
 * every read and write may need the socket readable or writable, whatever
 * the direction of the call, so each call reports what it is waiting for.
 */
#ifndef EMS_TLS_H
#define EMS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tls_server;
struct tls_conn;

struct tls_server_config {
	const char *certificate;  /* PEM file; required */
	const char *key;          /* PEM file; required */
	const char *chain;        /* PEM file of intermediates, or NULL/"" */
	const char *ciphers;      /* TLS 1.2 cipher list, or NULL/"" for the default */
	const char *session_id;   /* session-cache context, e.g. "pop3" */
	const char *key_password; /* decrypts an encrypted key; NULL: the key
	                           * must be clear (never a terminal prompt) */
};

/*
 * Loads the certificate and key and checks that they match.  Returns NULL
 * after logging which file is wrong and why (a key that does not match,
 * an encrypted key without its password or with a wrong one).
 */
struct tls_server *tls_server_new(const struct tls_server_config *cfg);
void tls_server_free(struct tls_server *srv);

/* Most certificates one server holds for SNI besides its own. */
#define TLS_SNI_MAX 16

/*
 * Adds the certificate of CFG (all of it, policy too: give it SRV's
 * ciphers and session_id) as an alternative that SRV presents to a
 * client whose Server Name Indication matches one of its DNS
 * subjectAltNames (or its common name when it has none).  A name no
 * certificate matches, or no SNI at all, gets SRV's own certificate.
 * Returns 0, or -1 (logged) when the files do not load or SRV already
 * holds TLS_SNI_MAX alternatives.
 */
int tls_server_add_sni(struct tls_server *srv,
                       const struct tls_server_config *cfg);

/*
 * Whole days until the first of SRV's certificates (its own and the SNI
 * ones) expires, into *DAYS: negative once expired, 0 on the last day.
 * For the expiry warning of the monitor, which may also read a file
 * directly with tls_cert_days_left() (tls_certinfo.h).  Returns 0, or -1
 * when SRV holds no certificate.
 */
int tls_server_days_left(const struct tls_server *srv, long *days);

/*
 * Asks every client of SRV (its own certificate and the SNI ones) for a
 * certificate, without requiring one, and verifies what is presented
 * against the CA certificates of the PEM file CA_FILE (their names are
 * sent as the acceptable issuers).  A certificate that fails the check
 * does not end the handshake (the client may still log in otherwise):
 * it is logged (tls_client_cert) and never counts as verified.  Returns
 * 0, or -1 (logged) when CA_FILE does not load.
 */
int tls_server_verify_clients(struct tls_server *srv, const char *ca_file);

struct ems_config;

/*
 * The TLS server of SERVICE ("pop3", "imap" or "lmtp") as ems.conf
 * describes it: the installed certificate named by
 * tls.<SERVICE>_certificate (tls_certstore.h), or tls.certificate and
 * tls.key when that is empty; the chain, cipher list, and every
 * certificate of tls.sni for SNI; for "pop3" and "imap", client
 * certificates verified against tls.client_ca when it is set
 * (tls_server_verify_clients()).  An encrypted key's password comes from
 * the password file, on the line of the certificate's name ("default"
 * for tls.key).  Returns NULL when the service has no readable
 * certificate (logged at info: the service then runs without TLS) or
 * when it (or tls.client_ca) does not load (logged as an error).  An SNI certificate that
 * does not load is logged and left out.
 */
struct tls_server *tls_server_for_service(const struct ems_config *cfg,
                                          const char *service);

/* Starts server-side TLS on FD (which the connection does not own). */
struct tls_conn *tls_conn_new(struct tls_server *srv, int fd);
/* Frees the connection after a best-effort close_notify. */
void tls_conn_free(struct tls_conn *c);

/*
 * Advances the handshake.  Returns 0 when it is complete, 1 while it
 * still waits for the socket (tls_conn_wants_write() tells which way),
 * -1 when it failed (logged with the peer-visible reason, e.g. "no shared
 * cipher").
 */
int tls_handshake(struct tls_conn *c);

/*
 * Read and write with read(2)/write(2) conventions: the byte count, 0 for
 * end of stream (read only), or -1 with errno EAGAIN while waiting for the
 * socket, or -1 with errno EIO / EPIPE after a failure (logged).
 */
ssize_t tls_read(struct tls_conn *c, void *buf, size_t len);
ssize_t tls_write(struct tls_conn *c, const void *buf, size_t len);

/* True when the last call that returned "wait" needs the socket
 * writable rather than readable. */
bool tls_conn_wants_write(const struct tls_conn *c);

/* Bytes OpenSSL holds decrypted but not yet returned by tls_read(); an
 * event loop must not wait for the socket while this is non-zero. */
size_t tls_pending(const struct tls_conn *c);

/* Negotiated protocol and cipher ("TLSv1.3", "TLS_AES_256_GCM_SHA384"), and
 * the cipher's strength in bits (for plaintextmincipher checks). */
const char *tls_conn_version(const struct tls_conn *c);
const char *tls_conn_cipher(const struct tls_conn *c);
int tls_conn_bits(const struct tls_conn *c);
bool tls_conn_resumed(const struct tls_conn *c);

/*
 * The user name in FIELD (see tls_cert_user() in tls_certinfo.h) of the
 * client's certificate, into OUT (CAP bytes), when the client presented
 * one and it verified against tls_server_verify_clients()'s CAs (also
 * on a resumed session, which keeps the first handshake's result).
 * Returns 0, or -1 (OUT "") when there is no such certificate or field.
 */
int tls_conn_peer_user(const struct tls_conn *c, const char *field, char *out, size_t cap);

#endif
