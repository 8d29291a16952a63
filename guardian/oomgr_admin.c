/*
 * oomgr_admin.c - oomgr's directory statements, which work on the store
 * directly (no guardian needed):
 *
 *   insert domain qualifiedname=example.test description="demo domain";
 *   insert person username=demo@example.test password=demo [quota=BYTES];
 *   list domain;   list person [domain=example.test];
 *   delete domain qualifiedname=example.test;
 *   delete person username=demo@example.test;
 *
 * The store is opened on first use from the configuration's store path.
 */
#include "oomgr.h"

#include "config.h"
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct store *admin_store;

static void close_store(void)
{
	store_close(admin_store);
	admin_store = NULL;
}

/* The store of the configuration, opened once.  NULL after saying why. */
static struct store *open_store(struct oomgr *o)
{
	const struct ems_config *cfg = oomgr_config(o);
	if (admin_store != NULL || cfg == NULL)
		return admin_store;
	admin_store = store_open(config_path(cfg, "store"),
	                         (int)config_int(cfg, "store.busy_timeout_ms"));
	if (admin_store == NULL) {
		oomgr_fail("Cannot open the store %s (see the messages above).",
		           config_path(cfg, "store"));
		return NULL;
	}
	atexit(close_store);
	return admin_store;
}

/* A sentence for the administrator about a failed store call. */
static int store_failed(struct store *st, const char *what, const char *name)
{
	switch (store_last_error(st)) {
	case STORE_E_EXISTS:
		return oomgr_fail("The %s %s already exists.", what, name);
	case STORE_E_NOTFOUND:
		return oomgr_fail("No such %s: %s.", what, name);
	case STORE_E_INVALID:
		return oomgr_fail("Invalid %s: %s.", what, name);
	case STORE_E_TRANSIENT:
		return oomgr_fail("The store is busy or the disk is full; try again.");
	default:
		return oomgr_fail("The store could not change %s %s.", what, name);
	}
}

static const char *required(const struct oomgr_stmt *st, const char *key)
{
	const char *v = stmt_param(st, key);
	if (v == NULL || *v == '\0')
		oomgr_fail("%s %s needs %s=...", stmt_word(st, 0), stmt_word(st, 1), key);
	return v;
}

/* Splits "user@domain" into its two parts; -1 after saying why. */
static int split_address(const char *address, char *user, size_t ulen,
                         char *domain, size_t dlen)
{
	const char *at = strrchr(address, '@');
	if (at == NULL || at == address || at[1] == '\0' ||
	    (size_t)(at - address) >= ulen || strlen(at + 1) >= dlen)
		return oomgr_fail("A person is named user@domain, not \"%s\".", address);
	memcpy(user, address, (size_t)(at - address));
	user[at - address] = '\0';
	strcpy(domain, at + 1);
	return 0;
}

static int parse_quota(const char *text, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (*text == '\0' || *end != '\0' || errno != 0 || v < 0)
		return oomgr_fail("quota must be a number of bytes (0 = none), not \"%s\".", text);
	*out = v;
	return 0;
}

static int insert_domain(struct oomgr *o, const struct oomgr_stmt *st)
{
	const char *name = required(st, "qualifiedname");
	struct store *s = name ? open_store(o) : NULL;
	if (s == NULL)
		return -1;
	if (store_domain_add(s, name, stmt_param(st, "description"), NULL) < 0)
		return store_failed(s, "domain", name);
	printf("Domain %s inserted.\n", name);
	return 0;
}

static int insert_person(struct oomgr *o, const struct oomgr_stmt *st)
{
	char user[256], domain[256];
	int64_t id, quota = 0;
	const char *address = required(st, "username");
	const char *password = address ? required(st, "password") : NULL;
	const char *q = stmt_param(st, "quota");
	if (password == NULL || split_address(address, user, sizeof user, domain,
	                                      sizeof domain) < 0 ||
	    (q != NULL && parse_quota(q, &quota) < 0))
		return -1;
	struct store *s = open_store(o);
	if (s == NULL)
		return -1;
	if (store_begin(s) < 0)
		return store_failed(s, "person", address);
	if (store_person_add(s, domain, user, password, &id) < 0 ||
	    (quota > 0 && store_person_set_quota(s, id, quota, 0) < 0)) {
		store_rollback(s);
		return store_last_error(s) == STORE_E_NOTFOUND
		           ? oomgr_fail("No such domain: %s (insert domain first).", domain)
		           : store_failed(s, "person", address);
	}
	if (store_commit(s) < 0)
		return store_failed(s, "person", address);
	printf("Person %s inserted.\n", address);
	return 0;
}

static int print_domain(const struct store_domain *d, void *arg)
{
	(void)arg;
	printf("%-30s %s\n", d->name, d->description);
	return 0;
}

static int print_person(const struct store_person *p, void *arg)
{
	(void)arg;
	printf("%s@%s quota=%lld\n", p->username, p->domain, (long long)p->quota_bytes);
	return 0;
}

static int list_things(struct oomgr *o, const struct oomgr_stmt *st)
{
	struct store *s = open_store(o);
	if (s == NULL)
		return -1;
	if (stmt_word_is(st, 1, "domain"))
		return store_domain_list(s, print_domain, NULL) < 0
		           ? store_failed(s, "domain", "list") : 0;
	return store_person_list(s, stmt_param(st, "domain"), print_person, NULL) < 0
	           ? store_failed(s, "person", "list") : 0;
}

static int delete_domain(struct oomgr *o, const struct oomgr_stmt *st)
{
	const char *name = required(st, "qualifiedname");
	struct store *s = name ? open_store(o) : NULL;
	if (s == NULL)
		return -1;
	if (store_domain_delete(s, name) < 0)
		return store_failed(s, "domain", name);
	printf("Domain %s deleted.\n", name);
	return 0;
}

static int delete_person(struct oomgr *o, const struct oomgr_stmt *st)
{
	struct store_person p;
	const char *address = required(st, "username");
	struct store *s = address ? open_store(o) : NULL;
	if (s == NULL)
		return -1;
	if (store_person_find_address(s, address, &p) < 0)
		return store_failed(s, "person", address);
	int r = store_person_delete(s, p.id);
	store_person_clear(&p);
	if (r < 0)
		return store_failed(s, "person", address);
	printf("Person %s deleted.\n", address);
	return 0;
}

int oomgr_insert(struct oomgr *o, const struct oomgr_stmt *st)
{
	if (stmt_word_is(st, 1, "domain"))
		return insert_domain(o, st);
	if (stmt_word_is(st, 1, "person"))
		return insert_person(o, st);
	return oomgr_fail("insert what? insert domain ...; or insert person ...;");
}

int oomgr_list(struct oomgr *o, const struct oomgr_stmt *st)
{
	if (stmt_word_is(st, 1, "domain") || stmt_word_is(st, 1, "person"))
		return list_things(o, st);
	return oomgr_fail("list what? list domain; or list person [domain=NAME];");
}

int oomgr_delete(struct oomgr *o, const struct oomgr_stmt *st)
{
	if (stmt_word_is(st, 1, "domain"))
		return delete_domain(o, st);
	if (stmt_word_is(st, 1, "person"))
		return delete_person(o, st);
	return oomgr_fail("delete what? delete domain ...; or delete person ...;");
}
