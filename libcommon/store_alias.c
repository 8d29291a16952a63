/*
 * store_alias.c - aliases in the store: NAME@DOMAIN stands for a target
 * address (a person, a list or an external address; postman resolves
 * it); see store_directory.h.
 */
#include "store_internal.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static bool local_name_ok(const char *name)
{
	return !store_blank(name) && strpbrk(name, "@ \t\r\n") == NULL;
}

int store_alias_add(struct store *st, const char *domain, const char *name,
                    const char *target)
{
	int64_t domain_id;
	if (!local_name_ok(name) || !store_address_ok(target))
		return store_fail_kind(st, STORE_E_INVALID, "alias_add",
		                       "alias needs a name and a target address");
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO aliases (domain_id, name, target) VALUES (?1, ?2, ?3)");
	if (s == NULL || store_tx_begin(st) < 0)
		return -1;
	if (store_domain_id(st, domain, &domain_id) < 0 ||
	    store_local_name_free(st, domain_id, name, "alias_add") < 0) {
		store_tx_rollback(st);
		return -1;
	}
	store_bind_int64(s, 1, domain_id);
	store_bind_text(s, 2, name);
	store_bind_text(s, 3, target);
	if (store_exec_stmt(st, s, "alias_add") < 0) {
		store_tx_rollback(st);
		return -1;
	}
	return store_tx_commit(st);
}

int store_alias_find(struct store *st, const char *name, const char *domain,
                     char **target)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT a.target FROM aliases a JOIN domains d ON d.id = a.domain_id"
	    " WHERE a.name = ?1 AND d.name = ?2");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, domain);
	if (store_step_row(st, s, "alias_find", name) < 0)
		return -1;
	*target = store_col_text(s, 0);
	store_reset(s);
	return 0;
}

int store_alias_delete(struct store *st, const char *domain, const char *name)
{
	struct store_stmt *s = store_stmt(st,
	    "DELETE FROM aliases WHERE name = ?2 AND domain_id ="
	    " (SELECT id FROM domains WHERE name = ?1)");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, domain);
	store_bind_text(s, 2, name);
	return store_exec_changed(st, s, "alias_delete", name);
}

struct alias_walk {
	int (*cb)(const char *name, const char *target, void *arg);
	void *arg;
};

static int alias_each(struct store_stmt *s, void *ctx)
{
	struct alias_walk *w = ctx;
	return w->cb(store_col_str(s, 0),
	             store_col_str(s, 1), w->arg);
}

int store_alias_list(struct store *st, const char *domain,
                     int (*cb)(const char *name, const char *target, void *arg),
                     void *arg)
{
	struct alias_walk w = { cb, arg };
	struct store_stmt *s = store_stmt(st,
	    "SELECT a.name, a.target FROM aliases a JOIN domains d ON d.id = a.domain_id"
	    " WHERE d.name = ?1 ORDER BY a.name");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, domain);
	return store_each_row(st, s, "alias_list", alias_each, &w);
}
