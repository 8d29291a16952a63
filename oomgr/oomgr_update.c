/*
 * oomgr_update.c - the `update` and `delete` statements of oomgr:
 *
 *   update person username=demo@example.test quota=50M services=imap,lmtp
 *          autoreply="Away until Monday" autoreplyuntil=2026-12-01
 *          forward=demo@elsewhere.org keepcopy=yes;
 *   update dlist name=staff@example.test add=c@example.test remove=a@x.org;
 *   delete domain qualifiedname=NAME | person username=NAME
 *          | alias name=NAME | dlist name=NAME;
 *
 * An update changes what it names and nothing else, all in one
 * transaction; see oomgr(8).
 */
#include "oomgr_admin.h"

#include "address.h"

#include <stdio.h>
#include <string.h>

/* Password, quotas, services and admin right, as far as ST gives them. */
static int update_account(struct store *s, const struct store_person *p,
                          const struct oomgr_stmt *st)
{
	const char *pw = stmt_param(st, "password"), *q = stmt_param(st, "quota");
	const char *qm = stmt_param(st, "quotamessages"), *svc = stmt_param(st, "services");
	const char *adm = stmt_param(st, "admin");
	int64_t bytes = p->quota_bytes, messages = p->quota_messages;
	unsigned services = p->services;
	bool admin = p->admin;

	if ((q != NULL && admin_parse_size("quota", q, &bytes) < 0) ||
	    (qm != NULL && admin_parse_count("quotamessages", qm, &messages) < 0) ||
	    (svc != NULL && admin_parse_services("services", svc, &services) < 0) ||
	    (adm != NULL && admin_parse_bool("admin", adm, &admin) < 0))
		return -1;
	if ((pw != NULL && store_person_set_password(s, p->id, pw) < 0) ||
	    ((q || qm) && store_person_set_quota(s, p->id, bytes, messages) < 0) ||
	    ((svc || adm) && store_person_set_services(s, p->id, services, admin) < 0))
		return admin_failed(s, "setting for", p->username);
	return 0;
}

/* Auto-reply text and period, forward address and keep-a-copy. */
static int update_delivery(struct store *s, const struct store_person *p,
                           const struct oomgr_stmt *st)
{
	const char *text = stmt_param(st, "autoreply"), *fwd = stmt_param(st, "forward");
	const char *from = stmt_param(st, "autoreplyfrom");
	const char *until = stmt_param(st, "autoreplyuntil");
	const char *keep = stmt_param(st, "keepcopy");
	char target[ADDR_MAX + 1] = "";
	struct store_delivery_prefs prefs = { 0 };
	bool keep_copy = true;
	int64_t t_from = 0, t_until = 0, r = 0;

	if ((fwd != NULL && *fwd != '\0' &&
	     admin_address(fwd, target, sizeof target, NULL, NULL) < 0) ||
	    (keep != NULL && admin_parse_bool("keepcopy", keep, &keep_copy) < 0) ||
	    store_person_delivery_prefs(s, p->id, &prefs) < 0)
		return -1;
	if (from != NULL || until != NULL) {
		t_from = prefs.autoreply_from;
		t_until = prefs.autoreply_until;
		if ((from != NULL && admin_parse_date("autoreplyfrom", from, &t_from) < 0) ||
		    (until != NULL && admin_parse_date("autoreplyuntil", until, &t_until) < 0))
			r = -1;
		else if (store_person_set_autoreply_period(s, p->id, t_from, t_until) < 0)
			r = store_last_error(s) == STORE_E_INVALID
			        ? oomgr_fail("autoreplyuntil is before autoreplyfrom.")
			        : admin_failed(s, "auto-reply of", p->username);
	}
	if (r == 0 && (text != NULL || fwd != NULL) &&
	    store_person_set_autoreply(s, p->id, text ? text : prefs.autoreply,
	                               fwd ? target : prefs.forward_to) < 0)
		r = admin_failed(s, "auto-reply of", p->username);
	if (r == 0 && keep != NULL && store_person_set_forward_keep(s, p->id, keep_copy) < 0)
		r = admin_failed(s, "forward of", p->username);
	store_delivery_prefs_clear(&prefs);
	return (int)r;
}

static int update_person(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = {
		"username", "password", "quota", "quotamessages", "services", "admin",
		"autoreply", "autoreplyfrom", "autoreplyuntil", "forward", "keepcopy",
		NULL };
	struct store_person p = { 0 };
	const char *name;
	struct store *s;

	if (admin_stmt_person(o, st, known, &name, &p) < 0)
		return -1;
	s = admin_store(o);
	if (store_begin(s) < 0) {
		store_person_clear(&p);
		return admin_failed(s, "person", name);
	}
	if (update_account(s, &p, st) < 0 || update_delivery(s, &p, st) < 0) {
		store_rollback(s);
		store_person_clear(&p);
		return -1;
	}
	printf("Updated successfully: person %s@%s.\n", p.username, p.domain);
	store_person_clear(&p);
	return store_commit(s) < 0 ? admin_failed(s, "person", name) : 0;
}

struct member_change {
	struct store *store;
	int64_t dlist_id;
	bool add;
};

static int change_member(const char *addr, void *arg)
{
	const struct member_change *m = arg;
	int r = m->add ? store_dlist_add_member(m->store, m->dlist_id, addr)
	               : store_dlist_remove_member(m->store, m->dlist_id, addr);
	if (r == 0)
		return 0;
	if (store_last_error(m->store) == STORE_E_EXISTS)
		return oomgr_fail("%s is a member already.", addr);
	if (store_last_error(m->store) == STORE_E_NOTFOUND && !m->add)
		return oomgr_fail("%s is no member.", addr);
	return admin_failed(m->store, "member", addr);
}

static int update_dlist(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { "name", "add", "remove", NULL };
	char addr[ADDR_MAX + 1], local[ADDR_LOCAL_MAX + 1], domain[ADDR_DOMAIN_MAX + 1];
	const char *name, *add = stmt_param(st, "add"), *rm = stmt_param(st, "remove");
	struct member_change m = { 0 };

	if (admin_check_params(st, known) < 0 ||
	    (name = admin_required(st, "name")) == NULL ||
	    admin_address(name, addr, sizeof addr, local, domain) < 0 ||
	    (m.store = admin_store(o)) == NULL)
		return -1;
	if (store_dlist_find(m.store, local, domain, &m.dlist_id) < 0)
		return admin_failed(m.store, "list", addr);
	if (store_begin(m.store) < 0)
		return admin_failed(m.store, "list", addr);
	m.add = true;
	if (add != NULL && admin_each_address(add, change_member, &m) < 0)
		goto fail;
	m.add = false;
	if (rm != NULL && admin_each_address(rm, change_member, &m) < 0)
		goto fail;
	if (store_commit(m.store) < 0)
		return admin_failed(m.store, "list", addr);
	printf("Updated successfully: list %s.\n", addr);
	return 0;
fail:
	store_rollback(m.store);
	return -1;
}

int oomgr_update(struct oomgr *o, const struct oomgr_stmt *st)
{
	if (stmt_word_is(st, 1, "person"))
		return update_person(o, st);
	if (stmt_word_is(st, 1, "dlist") || stmt_word_is(st, 1, "list"))
		return update_dlist(o, st);
	return oomgr_fail("update what? update person ...; or update dlist ...;");
}

static int delete_domain(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { "qualifiedname", NULL };
	const char *name;
	struct store *s;

	if (admin_check_params(st, known) < 0 ||
	    (name = admin_required(st, "qualifiedname")) == NULL ||
	    (s = admin_store(o)) == NULL)
		return -1;
	if (store_domain_delete(s, name) < 0)
		return admin_failed(s, "domain", name);
	printf("Deleted successfully: domain %s with its persons, aliases and "
	       "lists.\n", name);
	return 0;
}

static int delete_person(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { "username", NULL };
	struct store_person p = { 0 };
	const char *name;

	if (admin_stmt_person(o, st, known, &name, &p) < 0)
		return -1;
	int r = store_person_delete(admin_store(o), p.id);
	if (r == 0)
		printf("Deleted successfully: person %s@%s with all mailboxes.\n",
		       p.username, p.domain);
	store_person_clear(&p);
	return r < 0 ? admin_failed(admin_store(o), "person", name) : 0;
}

/* delete alias / dlist name=NAME */
static int delete_named(struct oomgr *o, const struct oomgr_stmt *st, bool alias)
{
	static const char *const known[] = { "name", NULL };
	char addr[ADDR_MAX + 1], local[ADDR_LOCAL_MAX + 1], domain[ADDR_DOMAIN_MAX + 1];
	const char *name;
	struct store *s;
	int64_t id;

	if (admin_check_params(st, known) < 0 ||
	    (name = admin_required(st, "name")) == NULL ||
	    admin_address(name, addr, sizeof addr, local, domain) < 0 ||
	    (s = admin_store(o)) == NULL)
		return -1;
	if (alias ? store_alias_delete(s, domain, local) < 0
	          : (store_dlist_find(s, local, domain, &id) < 0 ||
	             store_dlist_delete(s, id) < 0))
		return admin_failed(s, alias ? "alias" : "list", addr);
	printf("Deleted successfully: %s %s.\n", alias ? "alias" : "list", addr);
	return 0;
}

int oomgr_delete(struct oomgr *o, const struct oomgr_stmt *st)
{
	if (stmt_word_is(st, 1, "domain"))
		return delete_domain(o, st);
	if (stmt_word_is(st, 1, "person"))
		return delete_person(o, st);
	if (stmt_word_is(st, 1, "alias"))
		return delete_named(o, st, true);
	if (stmt_word_is(st, 1, "dlist") || stmt_word_is(st, 1, "list"))
		return delete_named(o, st, false);
	return oomgr_fail("delete what? delete domain | person | alias | dlist ...;");
}
