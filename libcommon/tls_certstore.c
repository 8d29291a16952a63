/*
 * tls_certstore.c - file names of the named certificates under
 * <state_dir>/tls and the password file of encrypted keys; see
 * tls_certstore.h.  Shared by oomgr (which installs) and the TLS
 * servers (which load).
 */
#include "tls_certstore.h"

#include "config.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#define PASSWORD_LINE_MAX (TLS_CERT_NAME_MAX + TLS_PASSWORD_MAX + 4)

static const char *const part_suffix[] = { ".crt", ".key", ".chain" };

bool tls_cert_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > TLS_CERT_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && strchr("._-", name[i]) == NULL)
			return false;
	return true;
}

static int fit(char *out, size_t size, int n, const char *what)
{
	if (n < 0 || (size_t)n >= size) {
		log_error("path_too_long", "what=%s", what);
		return -1;
	}
	(void)out;
	return 0;
}

int tls_certstore_dir(const struct ems_config *cfg, char *out, size_t size)
{
	return fit(out, size, snprintf(out, size, "%s/tls",
	                               config_path(cfg, "state_dir")),
	           "tls_directory");
}

int tls_certstore_file(const struct ems_config *cfg, const char *name,
                       enum tls_store_part part, char *out, size_t size)
{
	if (!tls_cert_name_valid(name)) {
		log_error("tls_cert_name", "name=%s error=\"not a certificate name\"",
		          log_quote(name));
		return -1;
	}
	return fit(out, size, snprintf(out, size, "%s/tls/%s%s",
	                               config_path(cfg, "state_dir"), name,
	                               part_suffix[part]),
	           "tls_certificate");
}

int tls_password_file(const struct ems_config *cfg, char *out, size_t size)
{
	const char *set = config_str(cfg, "tls.password_file");

	if (*set != '\0')
		return fit(out, size, snprintf(out, size, "%s", set),
		           "tls_password_file");
	return fit(out, size, snprintf(out, size, "%s/tls/sslpassword.conf",
	                               config_path(cfg, "state_dir")),
	           "tls_password_file");
}

int tls_password_file_check(const char *path, uid_t owner, char *err,
                            size_t errsz)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(err, errsz, "cannot use the password file %s: %s", path,
		         strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "the password file %s is not a regular file", path);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errsz, "the password file %s has mode %04o: it must be "
		         "readable by its owner only (chmod 600)", path,
		         (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_uid != owner) {
		snprintf(err, errsz, "the password file %s belongs to uid %u: it must "
		         "belong to the ems user (uid %u)", path, (unsigned)st.st_uid,
		         (unsigned)owner);
		return -1;
	}
	return 0;
}

/* Strips the line end of LINE; returns its length. */
static size_t chomp(char *line)
{
	size_t len = strlen(line);

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	return len;
}

int tls_password_lookup(const char *path, const char *name, char *out,
                        size_t size)
{
	char line[PASSWORD_LINE_MAX];
	size_t nlen = strlen(name);
	int found = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		log_error("tls_password_file", "file=%s error=%s", log_quote(path),
		          log_quote(strerror(errno)));
		return -1;
	}
	while (found == 0 && fgets(line, sizeof line, f) != NULL) {
		size_t len = chomp(line);
		if (len == 0 || line[0] == '#')
			continue;
		if (strncmp(line, name, nlen) != 0 || line[nlen] != ':')
			continue;
		if (len - nlen - 1 >= size || len - nlen - 1 >= TLS_PASSWORD_MAX) {
			log_error("tls_password_file", "file=%s name=%s "
			          "error=\"password too long\"", log_quote(path),
			          log_quote(name));
			found = -1;
		} else {
			memcpy(out, line + nlen + 1, len - nlen);
			found = 1;
		}
	}
	OPENSSL_cleanse(line, sizeof line);
	fclose(f);
	return found;
}
