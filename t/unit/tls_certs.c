/* Unit tests for the certificate side of libcommon's TLS: certificate
 * fields and expiry (tls_certinfo.c), the user name of a client
 * certificate (tls_certuser.c), named certificates and the password
 * file (tls_certstore.c), encrypted keys, SNI and per-service servers
 * (tls.c, tls_service.c). */
#include "tap.h"
#include "config.h"
#include "tls.h"
#include "tls_certinfo.h"
#include "tls_certstore.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

static char dir[512], tlsdir[600];

static int sh(const char *fmt, const char *a, const char *b)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, fmt, a, b);
	return system(cmd);
}

/* NAME.crt and NAME.key in the tls directory for host CN, valid DAYS. */
static int make_cert(const char *name, const char *cn, const char *days)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
	         "openssl req -x509 -newkey rsa:2048 -nodes -days %s -subj /CN=%s "
	         "-addext subjectAltName=DNS:%s -keyout %s/%s.key -out %s/%s.crt "
	         "2>/dev/null", days, cn, cn, tlsdir, name, tlsdir, name);
	return system(cmd);
}

/* What `openssl x509 -fingerprint -sha256` says, for comparison. */
static void openssl_fingerprint(const char *file, char *out, size_t size)
{
	char cmd[1024];
	FILE *p;
	out[0] = '\0';
	snprintf(cmd, sizeof cmd, "openssl x509 -in %s -noout -fingerprint -sha256", file);
	p = popen(cmd, "r");
	if (p == NULL)
		return;
	if (fgets(out, (int)size, p) != NULL) {
		char *eq = strchr(out, '=');
		if (eq != NULL)
			memmove(out, eq + 1, strlen(eq));
		out[strcspn(out, "\n")] = '\0';
	}
	pclose(p);
}

/* Handshakes a client asking for SNI HOST (NULL: none) with SRV; returns
 * the subject CN the client saw, or "" on failure. */
static const char *served_cn(struct tls_server *srv, const char *host)
{
	static char cn[128];
	int sv[2];
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL *cli = SSL_new(cctx);
	struct tls_conn *c;
	int done_s = 0, done_c = 0;

	cn[0] = '\0';
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	c = tls_conn_new(srv, sv[0]);
	SSL_set_fd(cli, sv[1]);
	SSL_set_connect_state(cli);
	if (host != NULL)
		SSL_set_tlsext_host_name(cli, host);
	for (int i = 0; i < 200 && !(done_s && done_c); i++) {
		if (!done_s) {
			int r = tls_handshake(c);
			if (r < 0)
				break;
			done_s = r == 0;
		}
		if (!done_c) {
			int r = SSL_do_handshake(cli);
			if (r == 1)
				done_c = 1;
			else if (SSL_get_error(cli, r) != SSL_ERROR_WANT_READ &&
			         SSL_get_error(cli, r) != SSL_ERROR_WANT_WRITE)
				break;
		}
	}
	X509 *peer = done_c ? SSL_get1_peer_certificate(cli) : NULL;
	if (peer != NULL) {
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName,
		                          cn, sizeof cn);
		X509_free(peer);
	}
	SSL_free(cli);
	SSL_CTX_free(cctx);
	tls_conn_free(c);
	close(sv[0]);
	close(sv[1]);
	return cn;
}

static struct ems_config *load_conf(const char *body)
{
	char path[700];
	FILE *f;
	snprintf(path, sizeof path, "%s/ems.conf", dir);
	f = fopen(path, "w");
	if (f == NULL)
		return NULL;
	fprintf(f, "paths = { state_dir = \"%s\"; };\n%s", dir, body);
	fclose(f);
	return config_load(path);
}

static void test_info(void)
{
	char file[700], want[200];
	struct tls_cert_info info;
	long days = -100;

	snprintf(file, sizeof file, "%s/one.crt", tlsdir);
	ok(tls_cert_info_read(file, &info) == 0, "certificate info reads");
	is_str(info.subject, "CN=one.test", "subject in RFC 2253 form");
	ok(info.self_signed, "a self-signed certificate is said to be");
	is_str(info.key_type, "RSA 2048", "key type and size");
	is_str(info.names, "one.test", "DNS names from subjectAltName");
	openssl_fingerprint(file, want, sizeof want);
	is_str(info.fingerprint, want, "SHA-256 fingerprint as openssl prints it");
	ok(tls_cert_days_left(file, &days) == 0 && days >= 28 && days <= 30,
	   "30-day certificate: %ld whole days left", days);
	snprintf(file, sizeof file, "%s/missing.crt", tlsdir);
	ok(tls_cert_days_left(file, &days) < 0, "a missing file fails");
}

static void test_store(struct ems_config *cfg)
{
	char path[700], pw[64], err[300];

	ok(tls_cert_name_valid("imap-2026.example_1"), "a plain name is valid");
	ok(!tls_cert_name_valid("../x") && !tls_cert_name_valid("") &&
	   !tls_cert_name_valid(".hidden") && !tls_cert_name_valid("a/b"),
	   "names with slashes, dots first or empty are not");
	ok(tls_certstore_file(cfg, "one", TLS_PART_KEY, path, sizeof path) == 0,
	   "key path of a named certificate");
	ok(strcmp(path + strlen(path) - 12, "/tls/one.key") == 0, "is tls/NAME.key");
	snprintf(path, sizeof path, "%s/sslpassword.conf", tlsdir);
	sh("printf '# passwords\\nother:x\\nenc:s3cret word\\n' > %s%s", path, "");
	chmod(path, 0644);
	ok(tls_password_file_check(path, getuid(), err, sizeof err) < 0 &&
	   strstr(err, "0644") != NULL, "a password file others can read is "
	   "refused: %s", err);
	chmod(path, 0600);
	ok(tls_password_file_check(path, getuid(), err, sizeof err) == 0,
	   "mode 0600 of the right owner is accepted");
	ok(tls_password_file_check(path, getuid() + 1, err, sizeof err) < 0,
	   "another owner is refused");
	is_int(tls_password_lookup(path, "enc", pw, sizeof pw), 1, "password found");
	is_str(pw, "s3cret word", "the whole rest of the line");
	is_int(tls_password_lookup(path, "en", pw, sizeof pw), 0,
	       "a prefix of a name is not the name");
}

static void test_encrypted(void)
{
	char key[700], crt[700];
	struct tls_server_config tc = { .certificate = crt, .key = key };
	struct tls_server *srv;

	snprintf(key, sizeof key, "%s/enc.key", tlsdir);
	snprintf(crt, sizeof crt, "%s/enc.crt", tlsdir);
	sh("openssl req -x509 -newkey rsa:2048 -days 5 -subj /CN=enc.test "
	   "-passout 'pass:s3cret word' -keyout %s -out %s 2>/dev/null", key, crt);
	ok(tls_server_new(&tc) == NULL, "an encrypted key without password fails "
	   "(and does not prompt)");
	tc.key_password = "wrong";
	ok(tls_server_new(&tc) == NULL, "with a wrong password it fails");
	tc.key_password = "s3cret word";
	srv = tls_server_new(&tc);
	ok(srv != NULL, "with its password it loads");
	is_str(srv ? served_cn(srv, NULL) : "", "enc.test", "and serves");
	tls_server_free(srv);
}

static void test_sni(void)
{
	char c1[700], k1[700], c2[700], k2[700], c3[700], k3[700];
	long days = 0;
	snprintf(c1, sizeof c1, "%s/one.crt", tlsdir);
	snprintf(k1, sizeof k1, "%s/one.key", tlsdir);
	snprintf(c2, sizeof c2, "%s/two.crt", tlsdir);
	snprintf(k2, sizeof k2, "%s/two.key", tlsdir);
	snprintf(c3, sizeof c3, "%s/three.crt", tlsdir);
	snprintf(k3, sizeof k3, "%s/three.key", tlsdir);
	struct tls_server_config one = { .certificate = c1, .key = k1, .session_id = "t" };
	struct tls_server_config two = { .certificate = c2, .key = k2, .session_id = "t" };
	struct tls_server_config bad = { .certificate = c3, .key = k1, .session_id = "t" };
	struct tls_server *srv = tls_server_new(&one);

	ok(srv != NULL && tls_server_add_sni(srv, &two) == 0, "an SNI certificate adds");
	ok(srv != NULL && tls_server_add_sni(srv, &bad) < 0,
	   "an SNI certificate with the wrong key is refused");
	if (srv == NULL)
		return;
	is_str(served_cn(srv, "two.test"), "two.test", "SNI two.test gets its certificate");
	is_str(served_cn(srv, "TWO.test"), "two.test", "names compare case-insensitively");
	is_str(served_cn(srv, "one.test"), "one.test", "SNI one.test gets the server's own");
	is_str(served_cn(srv, "other.test"), "one.test", "an unknown name gets the own");
	is_str(served_cn(srv, NULL), "one.test", "no SNI gets the own");
	ok(tls_server_days_left(srv, &days) == 0 && days >= 1 && days <= 2,
	   "days left is the soonest expiry of all (%ld)", days);
	tls_server_free(srv);
}

static void test_service(void)
{
	struct ems_config *cfg = load_conf(
	    "tls = { imap_certificate = \"two\"; sni = [ \"one\", \"nosuch\" ]; };\n");
	struct tls_server *srv;

	ok(cfg != NULL, "configuration with tls.imap_certificate and tls.sni loads");
	if (cfg == NULL)
		return;
	srv = tls_server_for_service(cfg, "imap");
	ok(srv != NULL, "the imap server builds (a missing SNI name is skipped)");
	is_str(srv ? served_cn(srv, NULL) : "", "two.test",
	       "imap presents its own certificate");
	is_str(srv ? served_cn(srv, "one.test") : "", "one.test",
	       "and the SNI one when asked");
	tls_server_free(srv);
	ok(tls_server_for_service(cfg, "pop3") == NULL,
	   "pop3 without tls/cert.pem has no TLS");
	config_free(cfg);

	cfg = load_conf("tls = { lmtp_certificate = \"enc\"; };\n");
	srv = cfg != NULL ? tls_server_for_service(cfg, "lmtp") : NULL;
	ok(srv != NULL, "an encrypted named key opens with its line of sslpassword.conf");
	tls_server_free(srv);
	config_free(cfg);
}

/* The first certificate of NAME.crt, or NULL. */
static X509 *first_cert(const char *name)
{
	char path[700];
	snprintf(path, sizeof path, "%s/%s.crt", tlsdir, name);
	STACK_OF(X509) *sk = tls_certs_read(path);
	X509 *x = sk != NULL && sk_X509_num(sk) > 0 ? X509_dup(sk_X509_value(sk, 0)) : NULL;
	sk_X509_pop_free(sk, X509_free);
	return x;
}

static void test_cert_user(void)
{
	char out[128];
	ok(sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "
	      "'/CN=outer/CN=Tim/UID=tim/emailAddress=dn@x.test' "
	      "-addext subjectAltName=email:tim@x.test,email:other@x.test "
	      "-keyout %s/user.key -out %s/user.crt 2>/dev/null", tlsdir, tlsdir) == 0 &&
	   sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "
	      "'/CN=bare/emailAddress=dn@x.test' "
	      "-keyout %s/bare.key -out %s/bare.crt 2>/dev/null", tlsdir, tlsdir) == 0,
	   "client certificates made");
	X509 *x = first_cert("user"), *b = first_cert("bare");
	ok(tls_cert_user(x, "cn", out, sizeof out) == 0 && strcmp(out, "Tim") == 0,
	   "cn: the last (most specific) commonName");
	ok(tls_cert_user(x, "uid", out, sizeof out) == 0 && strcmp(out, "tim") == 0,
	   "uid: the userId");
	ok(tls_cert_user(x, "email", out, sizeof out) == 0 && strcmp(out, "tim@x.test") == 0,
	   "email: the first rfc822Name subjectAltName before the subject's");
	ok(tls_cert_user(b, "email", out, sizeof out) == 0 && strcmp(out, "dn@x.test") == 0,
	   "email: the subject's emailAddress when there is no subjectAltName");
	ok(tls_cert_user(b, "uid", out, sizeof out) < 0 && out[0] == '\0',
	   "a field the certificate lacks is -1 and an empty name");
	ok(tls_cert_user(x, "cn", out, 3) < 0, "a name that does not fit is -1");
	ok(tls_cert_user(x, "dn", out, sizeof out) < 0 && tls_cert_user(NULL, "cn", out, 8) < 0,
	   "an unknown field or no certificate is -1");
	X509_free(x);
	X509_free(b);
}

int main(void)
{
	snprintf(dir, sizeof dir, "%s", tap_tmpdir());
	snprintf(tlsdir, sizeof tlsdir, "%s/tls", dir);
	mkdir(tlsdir, 0700);
	if (make_cert("one", "one.test", "30") != 0 ||
	    make_cert("two", "two.test", "2") != 0 ||
	    make_cert("three", "three.test", "2") != 0)
		skip_all("openssl command not available");

	test_info();
	struct ems_config *cfg = load_conf("");
	test_store(cfg);
	config_free(cfg);
	test_encrypted();
	test_sni();
	test_service();
	test_cert_user();
	done_testing();
	return exit_status();
}
