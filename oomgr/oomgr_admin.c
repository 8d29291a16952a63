/*
 * oomgr_admin.c - the session of oomgr's directory statements: the store
 * they open directly (no guardian needed), the domain `connect` chose,
 * `whoami`, and the parsers of parameter values every admin statement
 * uses.  The statements themselves are in oomgr_insert.c,
 * oomgr_update.c, oomgr_list.c and oomgr_import.c.
 */
#include "oomgr_admin.h"

#include "address.h"
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static struct store *session_store;
static char session_domain[ADDR_DOMAIN_MAX + 1];

static void close_store(void)
{
	store_close(session_store);
	session_store = NULL;
}

void admin_store_release(void)
{
	close_store();
}

struct store *admin_store(struct oomgr *o)
{
	const struct ems_config *cfg = oomgr_config(o);
	if (session_store != NULL || cfg == NULL)
		return session_store;
	session_store = store_open_config(cfg);
	if (session_store == NULL) {
		const char *backend = config_str(cfg, "store.backend");
		if (strcmp(backend, "sqlite") == 0)
			oomgr_fail("Cannot open the store %s (see the messages above).",
			           config_path(cfg, "store"));
		else   /* the connection string may hold a password */
			oomgr_fail("Cannot open the %s store (see the messages above).", backend);
		return NULL;
	}
	atexit(close_store);
	return session_store;
}

int admin_failed(struct store *st, const char *what, const char *name)
{
	switch (store_last_error(st)) {
	case STORE_E_EXISTS:
		return oomgr_fail("The name %s is taken already (by a person, alias "
		                  "or list of that domain).", name);
	case STORE_E_NOTFOUND:
		return oomgr_fail("No such %s: %s.", what, name);
	case STORE_E_INVALID:
		return oomgr_fail("Invalid %s: %s.", what, name);
	case STORE_E_TRANSIENT:
		return oomgr_fail("The store is busy or the disk is full; try again.");
	default:
		return oomgr_fail("The store failed on the %s %s (see the log).", what,
		                  name);
	}
}

int admin_check_params(const struct oomgr_stmt *st, const char *const *known)
{
	for (size_t i = 0; i < st->nparams; i++) {
		size_t k = 0;
		while (known[k] != NULL && strcasecmp(known[k], st->params[i].key) != 0)
			k++;
		if (known[k] == NULL) {
			char list[512] = "";
			for (k = 0; known[k] != NULL; k++)
				snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
				         k ? ", " : "", known[k]);
			return oomgr_fail("%s %s takes no parameter %s (it knows: %s).",
			                  stmt_word(st, 0), stmt_word(st, 1),
			                  st->params[i].key, list);
		}
	}
	return 0;
}

const char *admin_required(const struct oomgr_stmt *st, const char *key)
{
	const char *v = stmt_param(st, key);
	if (v == NULL || *v == '\0') {
		oomgr_fail("%s %s needs %s=...", stmt_word(st, 0), stmt_word(st, 1), key);
		return NULL;
	}
	return v;
}

const char *admin_domain(void)
{
	return session_domain[0] != '\0' ? session_domain : NULL;
}

int admin_address(const char *name, char *out, size_t outlen, char *local,
                  char *domain)
{
	char full[ADDR_MAX + 2], l[ADDR_LOCAL_MAX + 1], d[ADDR_DOMAIN_MAX + 1];

	if (strchr(name, '@') == NULL) {
		if (admin_domain() == NULL)
			return oomgr_fail("%s has no domain: write %s@DOMAIN, or connect "
			                  "to a domain first (connect DOMAIN;).", name, name);
		if (snprintf(full, sizeof full, "%s@%s", name, session_domain) >=
		    (int)sizeof full)
			return oomgr_fail("The address %s@%s is too long.", name,
			                  session_domain);
		name = full;
	}
	if (addr_normalize(name, out, outlen, false) < 0 ||
	    addr_split(out, l, sizeof l, d, sizeof d) < 0)
		return oomgr_fail("\"%s\" is not an address (user@domain, no blanks "
		                  "or quotes).", name);
	if (local != NULL)
		strcpy(local, l);
	if (domain != NULL)
		strcpy(domain, d);
	return 0;
}

int admin_each_address(const char *list, int (*each)(const char *addr, void *arg),
                       void *arg)
{
	char word[ADDR_MAX + 2], addr[ADDR_MAX + 1];

	for (const char *p = list + strspn(list, ", \t"); *p != '\0';
	     p += strspn(p, ", \t")) {
		size_t n = strcspn(p, ", \t");
		if (n >= sizeof word)
			return oomgr_fail("An address in \"%s\" is too long.", list);
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		if (admin_address(word, addr, sizeof addr, NULL, NULL) < 0 ||
		    each(addr, arg) < 0)
			return -1;
	}
	return 0;
}

int admin_find_person(struct oomgr *o, const char *name, struct store_person *p)
{
	char addr[ADDR_MAX + 1];
	struct store *s;

	if (admin_address(name, addr, sizeof addr, NULL, NULL) < 0 ||
	    (s = admin_store(o)) == NULL)
		return -1;
	if (store_person_find_address(s, addr, p) < 0)
		return admin_failed(s, "person", addr);
	return 0;
}

int admin_stmt_person(struct oomgr *o, const struct oomgr_stmt *st,
                      const char *const *known, const char **name,
                      struct store_person *p)
{
	if (admin_check_params(st, known) < 0 ||
	    (*name = admin_required(st, "username")) == NULL)
		return -1;
	return admin_find_person(o, *name, p);
}

int admin_parse_size(const char *key, const char *text, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	long long unit = 1;

	switch (*end) {
	case 'k': case 'K': unit = 1024; end++; break;
	case 'm': case 'M': unit = 1024 * 1024; end++; break;
	case 'g': case 'G': unit = 1024LL * 1024 * 1024; end++; break;
	default: break;
	}
	if (end == text || *end != '\0' || errno != 0 || v < 0 ||
	    v > INT64_MAX / unit)
		return oomgr_fail("%s must be a size in bytes, or with K, M or G "
		                  "(0 = no limit), not \"%s\".", key, text);
	*out = v * unit;
	return 0;
}

int admin_parse_count(const char *key, const char *text, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (end == text || *end != '\0' || errno != 0 || v < 0)
		return oomgr_fail("%s must be a number (0 = no limit), not \"%s\".", key,
		                  text);
	*out = v;
	return 0;
}

int admin_parse_range(const char *key, const char *text, int64_t lo, int64_t hi,
                      int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (end == text || *end != '\0' || errno != 0 || v < lo || v > hi)
		return oomgr_fail("%s must be a number from %lld to %lld, not \"%s\".", key,
		                  (long long)lo, (long long)hi, text);
	*out = v;
	return 0;
}

int admin_parse_bool(const char *key, const char *text, bool *out)
{
	static const char *const yes[] = { "yes", "y", "true", "on", "1" };
	static const char *const no[] = { "no", "n", "false", "off", "0" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return oomgr_fail("%s must be yes or no, not \"%s\".", key, text);
}

int admin_parse_services(const char *key, const char *text, unsigned *out)
{
	static const struct { const char *name; unsigned bit; } svc[] = {
		{ "pop", STORE_SVC_POP }, { "pop3", STORE_SVC_POP },
		{ "imap", STORE_SVC_IMAP }, { "imap4", STORE_SVC_IMAP },
		{ "lmtp", STORE_SVC_LMTP }, { "all", STORE_SVC_ALL }, { "none", 0 },
	};
	const char *p = text;

	*out = 0;
	while (*p != '\0') {
		size_t n = strcspn(p, ",+ "), i;
		for (i = 0; i < sizeof svc / sizeof svc[0]; i++)
			if (strlen(svc[i].name) == n && strncasecmp(p, svc[i].name, n) == 0)
				break;
		if (i == sizeof svc / sizeof svc[0])
			return oomgr_fail("%s is a list of pop, imap, lmtp (or all, none), "
			                  "not \"%s\".", key, text);
		*out |= svc[i].bit;
		p += n;
		p += strspn(p, ",+ ");
	}
	return 0;
}

int admin_parse_date(const char *key, const char *text, int64_t *out)
{
	struct tm tm = { 0 };
	const char *end;

	*out = 0;
	if (*text == '\0')
		return 0;
	end = strptime(text, "%Y-%m-%d", &tm);
	if (end != NULL && *end != '\0')
		end = strptime(end, " %H:%M", &tm);
	if (end == NULL || *end != '\0')
		return oomgr_fail("%s must be a date YYYY-MM-DD [HH:MM], not \"%s\".", key,
		                  text);
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1)
		return oomgr_fail("%s: \"%s\" is out of range.", key, text);
	*out = (int64_t)t;
	return 0;
}

int oomgr_whoami(struct oomgr *o, const struct oomgr_stmt *st)
{
	const struct ems_config *cfg = oomgr_config(o);
	const struct passwd *pw = getpwuid(geteuid());
	(void)st;

	if (cfg == NULL)
		return -1;
	printf("Login: %s Node: %s Domain: %s\n", pw != NULL ? pw->pw_name : "?",
	       config_path(cfg, "node"), admin_domain() ? admin_domain() : "(none)");
	return 0;
}

/* The domain named by `connect`: "DOMAIN", "domain=DOMAIN" or the seeds'
 * "admin/<password>/<service>/<domain>" (only the domain counts: oomgr
 * works on the local store with the rights of its user). */
static const char *connect_target(const struct oomgr_stmt *st)
{
	const char *d = stmt_param(st, "domain");
	if (d == NULL)
		d = stmt_word(st, 1);
	if (d == NULL)
		return NULL;
	const char *slash = strrchr(d, '/');
	return slash != NULL ? slash + 1 : d;
}

int oomgr_connect(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { "domain", NULL };
	struct store_domain d = { 0 };
	const char *name = connect_target(st);
	struct store *s;

	if (admin_check_params(st, known) < 0)
		return -1;
	if (name == NULL || *name == '\0')
		return oomgr_fail("connect needs a domain: connect example.test;");
	if ((s = admin_store(o)) == NULL)
		return -1;
	if (store_domain_find(s, name, &d) < 0)
		return admin_failed(s, "domain", name);
	snprintf(session_domain, sizeof session_domain, "%s", d.name);
	store_domain_clear(&d);
	printf("Connected to %s.\n", session_domain);
	return 0;
}
