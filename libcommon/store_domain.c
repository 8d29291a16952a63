/*
 * store_domain.c - domains in the store, and the one namespace of local
 * names (persons, aliases, lists) inside each; see store_directory.h.
 */
#include "store_internal.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

void store_domain_clear(struct store_domain *d)
{
	free(d->name);
	free(d->description);
	memset(d, 0, sizeof *d);
}

static bool domain_name_ok(const char *name)
{
	if (store_blank(name) || strchr(name, '@') != NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

int store_domain_add(struct store *st, const char *name, const char *description,
                     int64_t *id_out)
{
	if (!domain_name_ok(name))
		return store_fail_kind(st, STORE_E_INVALID, "domain_add", "bad domain name");
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO domains (name, description) VALUES (?1, ?2) RETURNING id");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, description ? description : "");
	int64_t id;
	if (store_exec_id(st, s, "domain_add", &id) < 0)
		return -1;
	if (id_out != NULL)
		*id_out = id;
	return 0;
}

static void domain_from_row(struct store_stmt *s, struct store_domain *d)
{
	d->id = store_col_int64(s, 0);
	d->name = store_col_text(s, 1);
	d->description = store_col_text(s, 2);
}

int store_domain_find(struct store *st, const char *name, struct store_domain *out)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT id, name, description FROM domains WHERE name = ?1");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, name);
	if (store_step_row(st, s, "domain_find", name) < 0)
		return -1;
	domain_from_row(s, out);
	store_reset(s);
	return 0;
}

int store_domain_id(struct store *st, const char *name, int64_t *id)
{
	struct store_stmt *s = store_stmt(st, "SELECT id FROM domains WHERE name = ?1");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, name);
	if (store_step_row(st, s, "domain_find", name) < 0)
		return -1;
	*id = store_col_int64(s, 0);
	store_reset(s);
	return 0;
}

int store_domain_delete(struct store *st, const char *name)
{
	/* Persons, mailboxes, entries, aliases and lists go by cascade; the
	 * reference-count triggers follow the deleted entries. */
	struct store_stmt *s = store_stmt(st, "DELETE FROM domains WHERE name = ?1");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, name);
	return store_exec_changed(st, s, "domain_delete", name);
}

struct domain_walk {
	int (*cb)(const struct store_domain *d, void *arg);
	void *arg;
};

static int domain_each(struct store_stmt *s, void *ctx)
{
	struct domain_walk *w = ctx;
	struct store_domain d;
	domain_from_row(s, &d);
	int stop = w->cb(&d, w->arg);
	store_domain_clear(&d);
	return stop;
}

int store_domain_list(struct store *st,
                      int (*cb)(const struct store_domain *d, void *arg), void *arg)
{
	struct domain_walk w = { cb, arg };
	struct store_stmt *s = store_stmt(st,
	    "SELECT id, name, description FROM domains ORDER BY name");
	if (s == NULL)
		return -1;
	return store_each_row(st, s, "domain_list", domain_each, &w);
}

int store_local_name_free(struct store *st, int64_t domain_id, const char *name,
                          const char *op)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT CASE WHEN"
	    " EXISTS (SELECT 1 FROM persons WHERE domain_id = ?1 AND username = ?2)"
	    " OR EXISTS (SELECT 1 FROM aliases WHERE domain_id = ?1 AND name = ?2)"
	    " OR EXISTS (SELECT 1 FROM dlists WHERE domain_id = ?1 AND name = ?2)"
	    " THEN 1 ELSE 0 END");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, domain_id);
	store_bind_text(s, 2, name);
	if (store_step_row(st, s, op, name) < 0)
		return -1;
	int taken = store_col_int(s, 0);
	store_reset(s);
	if (taken)
		return store_fail_kind(st, STORE_E_EXISTS, op, "name taken in this domain");
	return 0;
}
