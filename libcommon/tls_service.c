/*
 * tls_service.c - the TLS server of one service (pop3, imap, lmtp) built
 * from ems.conf: its own certificate, the SNI alternatives and the
 * passwords of encrypted keys; see tls_server_for_service() in tls.h.
 */
#include "tls.h"

#include "config.h"
#include "log.h"
#include "tls_certstore.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* The files and password of one certificate. */
struct cert_files {
	char cert[PATH_MAX], key[PATH_MAX], chain[PATH_MAX];
	char password[TLS_PASSWORD_MAX];
	bool has_password;
};

/* Fills F for the installed certificate NAME, or for tls.certificate and
 * tls.key when NAME is NULL.  Returns 0 or -1 (logged). */
static int files_of(const struct ems_config *cfg, const char *name,
                    struct cert_files *f)
{
	char pwfile[PATH_MAX];
	int found;

	memset(f, 0, sizeof *f);
	if (name == NULL) {
		snprintf(f->cert, sizeof f->cert, "%s", config_path(cfg, "tls_certificate"));
		snprintf(f->key, sizeof f->key, "%s", config_path(cfg, "tls_key"));
		snprintf(f->chain, sizeof f->chain, "%s", config_str(cfg, "tls.chain"));
		name = "default";
	} else if (tls_certstore_file(cfg, name, TLS_PART_CERT, f->cert, sizeof f->cert) < 0 ||
	           tls_certstore_file(cfg, name, TLS_PART_KEY, f->key, sizeof f->key) < 0 ||
	           tls_certstore_file(cfg, name, TLS_PART_CHAIN, f->chain, sizeof f->chain) < 0) {
		return -1;
	} else if (access(f->chain, F_OK) < 0) {
		f->chain[0] = '\0';
	}
	if (tls_password_file(cfg, pwfile, sizeof pwfile) < 0)
		return -1;
	found = tls_password_lookup(pwfile, name, f->password, sizeof f->password);
	if (found < 0)
		return -1;
	f->has_password = found == 1;
	return 0;
}

static struct tls_server_config config_of(const struct ems_config *cfg,
                                          const char *service,
                                          const struct cert_files *f)
{
	return (struct tls_server_config){
		.certificate = f->cert, .key = f->key, .chain = f->chain,
		.ciphers = config_str(cfg, "tls.ciphers"), .session_id = service,
		.key_password = f->has_password ? f->password : NULL,
	};
}

static void add_sni_certificates(struct tls_server *srv,
                                 const struct ems_config *cfg,
                                 const char *service)
{
	struct cert_files f;
	int n = 0;
	const char **names = config_strlist(cfg, "tls.sni", &n);

	for (int i = 0; names != NULL && i < n; i++) {
		if (files_of(cfg, names[i], &f) < 0)
			continue;
		struct tls_server_config tc = config_of(cfg, service, &f);
		if (tls_server_add_sni(srv, &tc) < 0)
			log_error("tls_sni_skipped", "service=%s certificate=%s",
			          service, log_quote(names[i]));
		OPENSSL_cleanse(f.password, sizeof f.password);
	}
	free(names);
}

/* Client certificates for SASL EXTERNAL: asked for only when
 * tls.client_ca names the CAs that issue them.  False (logged) when that
 * file does not load: better no TLS than logins nobody expects. */
static bool verify_logins(struct tls_server *srv, const struct ems_config *cfg)
{
	const char *ca = config_str(cfg, "tls.client_ca");
	return *ca == '\0' || tls_server_verify_clients(srv, ca) == 0;
}

struct tls_server *tls_server_for_service(const struct ems_config *cfg,
                                          const char *service)
{
	char key[64];
	const char *name;
	struct cert_files f;
	struct tls_server *srv;

	snprintf(key, sizeof key, "tls.%s_certificate", service);
	name = config_str(cfg, key);
	if (files_of(cfg, *name != '\0' ? name : NULL, &f) < 0)
		return NULL;
	if (access(f.cert, R_OK) < 0) {
		log_info("tls_off", "service=%s certificate=%s error=\"not readable\"",
		         service, log_quote(f.cert));
		return NULL;
	}
	struct tls_server_config tc = config_of(cfg, service, &f);
	srv = tls_server_new(&tc);
	OPENSSL_cleanse(f.password, sizeof f.password);
	if (srv != NULL)
		add_sni_certificates(srv, cfg, service);
	if (srv != NULL && strcmp(service, "lmtp") != 0 && !verify_logins(srv, cfg)) {
		tls_server_free(srv);
		srv = NULL;
	}
	return srv;
}
