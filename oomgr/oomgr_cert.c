/*
 * oomgr_cert.c - the `cert` statement of oomgr: dispatch to its
 * sub-statements, and those that only read or remove what is installed
 * (list, show, remove).  See oomgr_cert.h and oomgr(8), CERTIFICATES.
 */
#include "oomgr_cert.h"

#include "config.h"
#include "tls_certinfo.h"
#include "tls_certstore.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Most certificates `cert list` shows. */
#define LIST_MAX 1000

static void json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_json(const char *name, const char *file,
                       const struct tls_cert_info *i)
{
	const char *keys[] = { "name", "file", "subject", "issuer", "not_before",
	                       "not_after", "fingerprint_sha256", "key_type",
	                       "serial", "names" };
	const char *vals[] = { name, file, i->subject, i->issuer, i->not_before,
	                       i->not_after, i->fingerprint, i->key_type,
	                       i->serial, i->names };

	putchar('{');
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		json_string(keys[k]);
		putchar(':');
		json_string(vals[k]);
		putchar(',');
	}
	printf("\"self_signed\":%s,\"days_left\":%ld}", i->self_signed ? "true" : "false",
	       i->days_left);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the installed certificates (NAME.crt), sorted, into NAMES
 * (each malloc'd).  Returns how many, or -1 (said). */
static int installed(struct oomgr *o, char **names, int max)
{
	char dir[PATH_MAX];
	const struct ems_config *cfg = oomgr_config(o);
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (cfg == NULL || tls_certstore_dir(cfg, dir, sizeof dir) < 0)
		return -1;
	d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : oomgr_fail("Cannot read %s: %s.", dir,
		                                        strerror(errno));
	while ((de = readdir(d)) != NULL && n < max) {
		size_t len = strlen(de->d_name);
		if (len <= 4 || strcmp(de->d_name + len - 4, ".crt") != 0)
			continue;
		names[n] = strndup(de->d_name, len - 4);
		if (names[n] != NULL && tls_cert_name_valid(names[n]))
			n++;
		else
			free(names[n]);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof *names, name_cmp);
	return n;
}

/* "2026-12-01 08:05" out of "2026-12-01 08:05:36 UTC". */
static const char *short_date(const char *d)
{
	static char buf[2][17];
	static int which;

	which ^= 1;
	snprintf(buf[which], sizeof buf[which], "%.16s", d);
	return buf[which];
}

static int cert_list(struct oomgr *o, const struct oomgr_stmt *st)
{
	static char *names[LIST_MAX];
	char file[PATH_MAX];
	struct tls_cert_info info;
	int n = installed(o, names, LIST_MAX), shown = 0;

	if (stmt_word(st, 2) != NULL)
		return oomgr_fail("Usage: cert list.");
	if (n < 0)
		return -1;
	if (o->json)
		putchar('[');
	else
		printf("%-16s %-16s  %-16s  %-5s %-16s %-26s %s\n", "Alias",
		       "Valid from (UTC)", "Expires on (UTC)", "Self", "Key type",
		       "Issued to", "Issued by");
	for (int i = 0; i < n; i++) {
		if (cert_path(o, names[i], TLS_PART_CERT, file, sizeof file) == 0 &&
		    tls_cert_info_read(file, &info) == 0) {
			if (o->json) {
				printf("%s", shown ? ",\n" : "");
				print_json(names[i], file, &info);
			} else {
				printf("%-16s %-16s  %-16s  %-5s %-16s %-26s %s\n", names[i],
				       short_date(info.not_before), short_date(info.not_after),
				       info.self_signed ? "y" : "n", info.key_type, info.subject,
				       info.self_signed ? "Same as issuer" : info.issuer);
			}
			shown++;
		}
		free(names[i]);
	}
	if (o->json)
		printf("]\n");
	else
		printf("%d certificate%s found\n", shown, shown == 1 ? "" : "s");
	return 0;
}

static void print_details(const char *name, const char *file,
                          const struct tls_cert_info *i)
{
	printf("Alias:              %s\n", name);
	printf("File:               %s\n", file);
	printf("Subject:            %s\n", i->subject);
	printf("Issuer:             %s\n", i->self_signed ? "Same as subject (self-signed)"
	                                                  : i->issuer);
	printf("Serial:             %s\n", i->serial);
	printf("Not before:         %s\n", i->not_before);
	printf("Not after:          %s\n", i->not_after);
	if (i->days_left < 0)
		printf("Days left:          expired %ld days ago\n", -i->days_left);
	else
		printf("Days left:          %ld\n", i->days_left);
	printf("Self-signed:        %s\n", i->self_signed ? "yes" : "no");
	printf("Host names:         %s\n", *i->names ? i->names : "(none; common name only)");
	printf("Key type:           %s\n", i->key_type);
	printf("SHA-256 fingerprint: %s\n", i->fingerprint);
}

static int cert_show(struct oomgr *o, const struct oomgr_stmt *st)
{
	char file[PATH_MAX];
	struct tls_cert_info info;
	const char *name = stmt_word(st, 2);

	if (name == NULL || stmt_word(st, 3) != NULL)
		return oomgr_fail("Usage: cert show NAME.");
	if (cert_path(o, name, TLS_PART_CERT, file, sizeof file) < 0)
		return -1;
	if (access(file, F_OK) < 0)
		return oomgr_fail("No certificate %s is installed (cert list shows "
		                  "them).", name);
	if (tls_cert_info_read(file, &info) < 0)
		return oomgr_fail("Cannot read %s (see above).", file);
	if (o->json) {
		print_json(name, file, &info);
		putchar('\n');
	} else {
		print_details(name, file, &info);
	}
	return 0;
}

static int cert_remove(struct oomgr *o, const struct oomgr_stmt *st)
{
	char file[PATH_MAX];
	const char *name = stmt_word(st, 2);
	int removed = 0;

	if (name == NULL || stmt_word(st, 3) != NULL)
		return oomgr_fail("Usage: cert remove NAME.");
	for (int part = TLS_PART_CERT; part <= TLS_PART_CHAIN; part++) {
		if (cert_path(o, name, part, file, sizeof file) < 0)
			return -1;
		if (unlink(file) == 0)
			removed++;
		else if (errno != ENOENT)
			return oomgr_fail("Cannot remove %s: %s.", file, strerror(errno));
	}
	if (removed == 0)
		return oomgr_fail("No certificate %s is installed.", name);
	printf("Certificate %s removed.\n", name);
	return 0;
}

int oomgr_cert(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const struct {
		const char *word;
		int (*run)(struct oomgr *, const struct oomgr_stmt *);
	} subs[] = {
		{ "generate", cert_generate }, { "request", cert_request },
		{ "install", cert_install }, { "list", cert_list },
		{ "show", cert_show }, { "remove", cert_remove },
	};

	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		if (!stmt_word_is(st, 1, subs[i].word))
			continue;
		if (i >= 3 && st->nparams > 0)
			return oomgr_fail("cert %s takes no parameter %s=.",
			                  subs[i].word, st->params[0].key);
		return subs[i].run(o, st);
	}
	return oomgr_fail("Usage: cert generate | request | install | list | "
	                  "show | remove ... (see oomgr(8)).");
}
