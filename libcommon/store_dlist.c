/*
 * store_dlist.c - distribution lists in the store: a list address and
 * its member addresses (persons, other lists, external addresses;
 * postman expands them); see store_directory.h.
 */
#include "store_internal.h"
#include "log.h"

#include <string.h>

int store_dlist_add(struct store *st, const char *domain, const char *name,
                    const char *description, int64_t *id_out)
{
	int64_t domain_id;
	if (store_blank(name) || strpbrk(name, "@ \t\r\n") != NULL)
		return store_fail_kind(st, STORE_E_INVALID, "dlist_add", "bad list name");
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO dlists (domain_id, name, description) VALUES (?1, ?2, ?3)"
	    " RETURNING id");
	if (s == NULL || store_tx_begin(st) < 0)
		return -1;
	if (store_domain_id(st, domain, &domain_id) < 0 ||
	    store_local_name_free(st, domain_id, name, "dlist_add") < 0)
		goto fail;
	store_bind_int64(s, 1, domain_id);
	store_bind_text(s, 2, name);
	store_bind_text(s, 3, description ? description : "");
	int64_t id;
	if (store_exec_id(st, s, "dlist_add", &id) < 0)
		goto fail;
	if (store_tx_commit(st) < 0)
		return -1;
	if (id_out != NULL)
		*id_out = id;
	return 0;
fail:
	store_tx_rollback(st);
	return -1;
}

int store_dlist_find(struct store *st, const char *name, const char *domain,
                     int64_t *id_out)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT l.id FROM dlists l JOIN domains d ON d.id = l.domain_id"
	    " WHERE l.name = ?1 AND d.name = ?2");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, domain);
	if (store_step_row(st, s, "dlist_find", name) < 0)
		return -1;
	*id_out = store_col_int64(s, 0);
	store_reset(s);
	return 0;
}

int store_dlist_add_member(struct store *st, int64_t dlist_id, const char *address)
{
	if (!store_address_ok(address))
		return store_fail_kind(st, STORE_E_INVALID, "dlist_member", "bad address");
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO dlist_members (dlist_id, address) VALUES (?1, ?2)");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, dlist_id);
	store_bind_text(s, 2, address);
	return store_exec_stmt(st, s, "dlist_member");
}

int store_dlist_remove_member(struct store *st, int64_t dlist_id, const char *address)
{
	struct store_stmt *s = store_stmt(st,
	    "DELETE FROM dlist_members WHERE dlist_id = ?1 AND address = ?2");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, dlist_id);
	store_bind_text(s, 2, address);
	return store_exec_changed(st, s, "dlist_unmember", address);
}

struct member_walk {
	int (*cb)(const char *address, void *arg);
	void *arg;
};

static int member_each(struct store_stmt *s, void *ctx)
{
	struct member_walk *w = ctx;
	return w->cb(store_col_str(s, 0), w->arg);
}

int store_dlist_members(struct store *st, int64_t dlist_id,
                        int (*cb)(const char *address, void *arg), void *arg)
{
	struct member_walk w = { cb, arg };
	struct store_stmt *s = store_stmt(st,
	    "SELECT address FROM dlist_members WHERE dlist_id = ?1 ORDER BY address");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, dlist_id);
	return store_each_row(st, s, "dlist_members", member_each, &w);
}

struct dlist_walk {
	int (*cb)(int64_t id, const char *name, const char *description, void *arg);
	void *arg;
};

static int dlist_each(struct store_stmt *s, void *ctx)
{
	struct dlist_walk *w = ctx;
	return w->cb(store_col_int64(s, 0), store_col_str(s, 1),
	             store_col_str(s, 2), w->arg);
}

int store_dlist_list(struct store *st, const char *domain,
                     int (*cb)(int64_t id, const char *name,
                               const char *description, void *arg),
                     void *arg)
{
	struct dlist_walk w = { cb, arg };
	struct store_stmt *s = store_stmt(st,
	    "SELECT l.id, l.name, l.description FROM dlists l"
	    " JOIN domains d ON d.id = l.domain_id WHERE d.name = ?1 ORDER BY l.name");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, domain);
	return store_each_row(st, s, "dlist_list", dlist_each, &w);
}

int store_dlist_delete(struct store *st, int64_t dlist_id)
{
	struct store_stmt *s = store_stmt(st, "DELETE FROM dlists WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, dlist_id);
	return store_exec_changed(st, s, "dlist_delete", "no such list");
}
