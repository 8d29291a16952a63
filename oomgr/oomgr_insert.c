/*
 * oomgr_insert.c - the `insert` statements of oomgr, as in the seeds:
 *
 *   insert domain qualifiedname=example.test description="demo domain";
 *   insert person username=demo@example.test password=demo [quota=50M];
 *   insert alias name=postmaster@example.test target=demo@example.test;
 *   insert dlist name=staff@example.test members="a@example.test,b@x.org";
 *   insert folder username=demo@example.test name=Work;
 *
 * Each works on the store directly; see oomgr(8).
 */
#include "oomgr_admin.h"

#include "address.h"

#include <stdio.h>
#include <string.h>

/* Parameters the seeds' statements carry that mean nothing on one node. */
#define SEED_NODE_PARAMS "confignode", "uanode"

static int insert_domain(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { "qualifiedname", "description",
		                                 SEED_NODE_PARAMS, NULL };
	const char *name;
	struct store *s;

	if (admin_check_params(st, known) < 0 ||
	    (name = admin_required(st, "qualifiedname")) == NULL ||
	    (s = admin_store(o)) == NULL)
		return -1;
	if (store_domain_add(s, name, stmt_param(st, "description"), NULL) < 0)
		return store_last_error(s) == STORE_E_EXISTS
		           ? oomgr_fail("The domain %s exists already.", name)
		           : admin_failed(s, "domain name", name);
	printf("Inserted successfully: domain %s.\n", name);
	return 0;
}

/* The quota parameters of ST into *BYTES and *MESSAGES (left alone when
 * absent).  Returns 1 when either was given, 0 when none, -1 when bad. */
static int quota_params(const struct oomgr_stmt *st, int64_t *bytes,
                        int64_t *messages)
{
	const char *q = stmt_param(st, "quota"), *m = stmt_param(st, "quotamessages");
	if ((q != NULL && admin_parse_size("quota", q, bytes) < 0) ||
	    (m != NULL && admin_parse_count("quotamessages", m, messages) < 0))
		return -1;
	return q != NULL || m != NULL;
}

/* Fails with the sentence for a person that could not be added. */
static int person_add_failed(struct store *s, const char *addr, const char *domain)
{
	switch (store_last_error(s)) {
	case STORE_E_NOTFOUND:
		return oomgr_fail("No such domain: %s (insert domain first).", domain);
	case STORE_E_EXISTS:
		return oomgr_fail("%s exists already (as a person, alias or list).", addr);
	default:
		return admin_failed(s, "person", addr);
	}
}

static int insert_person(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { "username", "password", "quota",
		                                 "quotamessages", SEED_NODE_PARAMS, NULL };
	char addr[ADDR_MAX + 1], local[ADDR_LOCAL_MAX + 1], domain[ADDR_DOMAIN_MAX + 1];
	int64_t id, bytes = 0, messages = 0;
	const char *name, *password;
	struct store *s;
	int quota;

	if (admin_check_params(st, known) < 0 ||
	    (name = admin_required(st, "username")) == NULL ||
	    (password = admin_required(st, "password")) == NULL ||
	    admin_address(name, addr, sizeof addr, local, domain) < 0 ||
	    (quota = quota_params(st, &bytes, &messages)) < 0 ||
	    (s = admin_store(o)) == NULL)
		return -1;
	if (store_begin(s) < 0)
		return admin_failed(s, "person", addr);
	if (store_person_add(s, domain, local, password, &id) < 0 ||
	    (quota && store_person_set_quota(s, id, bytes, messages) < 0)) {
		store_rollback(s);
		return person_add_failed(s, addr, domain);
	}
	if (store_commit(s) < 0)
		return admin_failed(s, "person", addr);
	printf("Inserted successfully: person %s.\n", addr);
	return 0;
}

static int insert_alias(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { "name", "target", NULL };
	char addr[ADDR_MAX + 1], local[ADDR_LOCAL_MAX + 1], domain[ADDR_DOMAIN_MAX + 1];
	char target[ADDR_MAX + 1];
	const char *name, *t;
	struct store *s;

	if (admin_check_params(st, known) < 0 ||
	    (name = admin_required(st, "name")) == NULL ||
	    (t = admin_required(st, "target")) == NULL ||
	    admin_address(name, addr, sizeof addr, local, domain) < 0 ||
	    admin_address(t, target, sizeof target, NULL, NULL) < 0 ||
	    (s = admin_store(o)) == NULL)
		return -1;
	if (store_alias_add(s, domain, local, target) < 0)
		return person_add_failed(s, addr, domain);
	printf("Inserted successfully: alias %s for %s.\n", addr, target);
	return 0;
}

struct member_add {
	struct store *store;
	int64_t dlist_id;
};

static int add_member(const char *addr, void *arg)
{
	const struct member_add *m = arg;
	if (store_dlist_add_member(m->store, m->dlist_id, addr) < 0)
		return store_last_error(m->store) == STORE_E_EXISTS
		           ? oomgr_fail("%s is a member already.", addr)
		           : admin_failed(m->store, "member", addr);
	return 0;
}

static int insert_dlist(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { "name", "description", "members", NULL };
	char addr[ADDR_MAX + 1], local[ADDR_LOCAL_MAX + 1], domain[ADDR_DOMAIN_MAX + 1];
	const char *name, *members = stmt_param(st, "members");
	struct member_add m;

	if (admin_check_params(st, known) < 0 ||
	    (name = admin_required(st, "name")) == NULL ||
	    admin_address(name, addr, sizeof addr, local, domain) < 0 ||
	    (m.store = admin_store(o)) == NULL)
		return -1;
	if (store_begin(m.store) < 0)
		return admin_failed(m.store, "list", addr);
	if (store_dlist_add(m.store, domain, local, stmt_param(st, "description"),
	                    &m.dlist_id) < 0) {
		store_rollback(m.store);
		return person_add_failed(m.store, addr, domain);
	}
	if (members != NULL && admin_each_address(members, add_member, &m) < 0) {
		store_rollback(m.store);
		return -1;
	}
	if (store_commit(m.store) < 0)
		return admin_failed(m.store, "list", addr);
	printf("Inserted successfully: list %s.\n", addr);
	return 0;
}

static int insert_folder(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { "username", "name", NULL };
	struct store_person p = { 0 };
	const char *user, *name;

	if (admin_check_params(st, known) < 0 ||
	    (user = admin_required(st, "username")) == NULL ||
	    (name = admin_required(st, "name")) == NULL ||
	    admin_find_person(o, user, &p) < 0)
		return -1;
	/* a folder the administrator makes is meant to be seen: subscribed */
	int r = store_mailbox_create(admin_store(o), p.id, name, NULL, NULL);
	if (r == 0)
		r = store_subscription_add(admin_store(o), p.id, name);
	if (r == 0)
		printf("Inserted successfully: folder %s of %s@%s.\n", name, p.username,
		       p.domain);
	store_person_clear(&p);
	if (r < 0)
		return store_last_error(admin_store(o)) == STORE_E_EXISTS
		           ? oomgr_fail("The folder %s exists already.", name)
		           : admin_failed(admin_store(o), "folder name", name);
	return 0;
}

int oomgr_insert(struct oomgr *o, const struct oomgr_stmt *st)
{
	if (stmt_word_is(st, 1, "domain"))
		return insert_domain(o, st);
	if (stmt_word_is(st, 1, "person"))
		return insert_person(o, st);
	if (stmt_word_is(st, 1, "alias"))
		return insert_alias(o, st);
	if (stmt_word_is(st, 1, "dlist") || stmt_word_is(st, 1, "list"))
		return insert_dlist(o, st);
	if (stmt_word_is(st, 1, "folder"))
		return insert_folder(o, st);
	return oomgr_fail("insert what? insert domain | person | alias | dlist | folder ...;");
}
