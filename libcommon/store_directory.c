/*
 * store_directory.c - domains, persons, aliases and distribution lists in
 * the store; see store.h.
 */
#include "store_internal.h"
#include "log.h"
#include "password.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Folders every new person gets, with their RFC 6154 special use. */
static const struct {
	const char *name;
	const char *special_use;
} initial_folders[] = {
	{ "INBOX", "" },     { "Drafts", "\\Drafts" }, { "Sent", "\\Sent" },
	{ "Trash", "\\Trash" }, { "Junk", "\\Junk" },
};

static bool blank(const char *s)
{
	return s == NULL || *s == '\0';
}

/* ---- domains ---- */

void store_domain_clear(struct store_domain *d)
{
	free(d->name);
	free(d->description);
	memset(d, 0, sizeof *d);
}

int store_domain_add(struct store *st, const char *name, const char *description,
                     int64_t *id_out)
{
	if (blank(name) || strchr(name, '@') || strchr(name, ' '))
		return store_fail_kind(st, STORE_E_INVALID, "domain_add", "bad domain name");
	sqlite3_stmt *s = store_stmt(st,
	    "INSERT INTO domains (name, description) VALUES (?1, ?2)");
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, description ? description : "", -1, SQLITE_STATIC);
	if (store_exec_stmt(st, s, "domain_add") < 0)
		return -1;
	if (id_out != NULL)
		*id_out = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static void domain_from_row(sqlite3_stmt *s, struct store_domain *d)
{
	d->id = sqlite3_column_int64(s, 0);
	d->name = store_col_text(s, 1);
	d->description = store_col_text(s, 2);
}

int store_domain_find(struct store *st, const char *name, struct store_domain *out)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT id, name, description FROM domains WHERE name = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		domain_from_row(s, out);
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, "domain_find", rc);
	return store_fail_kind(st, STORE_E_NOTFOUND, "domain_find", name);
}

int store_domain_delete(struct store *st, const char *name)
{
	sqlite3_stmt *s = store_stmt(st, "DELETE FROM domains WHERE name = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (store_exec_stmt(st, s, "domain_delete") < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return store_fail_kind(st, STORE_E_NOTFOUND, "domain_delete", name);
	return 0;
}

int store_domain_list(struct store *st,
                      int (*cb)(const struct store_domain *d, void *arg), void *arg)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT id, name, description FROM domains ORDER BY name");
	if (s == NULL)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_domain d;
		domain_from_row(s, &d);
		int stop = cb(&d, arg);
		store_domain_clear(&d);
		if (stop)
			break;
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(st, "domain_list", rc);
}

/* ---- persons ---- */

void store_person_clear(struct store_person *p)
{
	free(p->username);
	free(p->domain);
	free(p->autoreply);
	free(p->forward_to);
	memset(p, 0, sizeof *p);
}

static int create_initial_folders(struct store *st, int64_t person_id)
{
	for (size_t i = 0; i < sizeof initial_folders / sizeof initial_folders[0]; i++)
		if (store_mailbox_create(st, person_id, initial_folders[i].name,
		                         initial_folders[i].special_use, NULL) < 0)
			return -1;
	return 0;
}

static int insert_person(struct store *st, int64_t domain_id, const char *username,
                         const char *hash, int64_t quota_bytes, int64_t *id)
{
	sqlite3_stmt *s = store_stmt(st,
	    "INSERT INTO persons (domain_id, username, password_hash, quota_bytes, created)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, domain_id);
	sqlite3_bind_text(s, 2, username, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, quota_bytes);
	sqlite3_bind_int64(s, 5, (int64_t)time(NULL));
	if (store_exec_stmt(st, s, "person_add") < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_person_add(struct store *st, const char *domain, const char *username,
                     const char *password, int64_t quota_bytes, int64_t *id_out)
{
	char hash[PASSWORD_HASH_MAX];
	struct store_domain d;
	int64_t id;

	if (blank(username) || strpbrk(username, "@ \t\r\n") || blank(password))
		return store_fail_kind(st, STORE_E_INVALID, "person_add",
		                       "user name and password must be non-empty, no '@' or space");
	if (password_hash(password, hash, sizeof hash) < 0)
		return store_fail_kind(st, STORE_E_FAILED, "person_add", "cannot hash password");
	if (store_domain_find(st, domain, &d) < 0)
		return -1;
	int64_t domain_id = d.id;
	store_domain_clear(&d);
	if (store_tx_begin(st) < 0)
		return -1;
	if (insert_person(st, domain_id, username, hash, quota_bytes, &id) < 0 ||
	    create_initial_folders(st, id) < 0) {
		store_tx_rollback(st);
		return -1;
	}
	if (store_tx_commit(st) < 0)
		return -1;
	if (id_out != NULL)
		*id_out = id;
	return 0;
}

#define PERSON_COLUMNS \
	"p.id, p.domain_id, p.username, d.name, p.quota_bytes, p.quota_messages," \
	" p.services, p.admin, p.autoreply, p.forward_to"

static void person_from_row(sqlite3_stmt *s, struct store_person *p)
{
	p->id = sqlite3_column_int64(s, 0);
	p->domain_id = sqlite3_column_int64(s, 1);
	p->username = store_col_text(s, 2);
	p->domain = store_col_text(s, 3);
	p->quota_bytes = sqlite3_column_int64(s, 4);
	p->quota_messages = sqlite3_column_int64(s, 5);
	p->services = (unsigned)sqlite3_column_int(s, 6);
	p->admin = sqlite3_column_int(s, 7) != 0;
	p->autoreply = store_col_text(s, 8);
	p->forward_to = store_col_text(s, 9);
}

static int person_one(struct store *st, sqlite3_stmt *s, struct store_person *out,
                      const char *what)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		person_from_row(s, out);
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, "person_find", rc);
	return store_fail_kind(st, STORE_E_NOTFOUND, "person_find", what);
}

int store_person_find(struct store *st, const char *username, const char *domain,
                      struct store_person *out)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT " PERSON_COLUMNS " FROM persons p JOIN domains d ON d.id = p.domain_id"
	    " WHERE p.username = ?1 AND d.name = ?2");
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, username, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, domain, -1, SQLITE_STATIC);
	return person_one(st, s, out, username);
}

int store_person_get(struct store *st, int64_t id, struct store_person *out)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT " PERSON_COLUMNS " FROM persons p JOIN domains d ON d.id = p.domain_id"
	    " WHERE p.id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return person_one(st, s, out, "id");
}

int store_person_set_password(struct store *st, int64_t person_id,
                              const char *password)
{
	char hash[PASSWORD_HASH_MAX];
	if (blank(password))
		return store_fail_kind(st, STORE_E_INVALID, "person_password", "empty password");
	if (password_hash(password, hash, sizeof hash) < 0)
		return store_fail_kind(st, STORE_E_FAILED, "person_password", "cannot hash");
	sqlite3_stmt *s = store_stmt(st,
	    "UPDATE persons SET password_hash = ?2 WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, person_id);
	sqlite3_bind_text(s, 2, hash, -1, SQLITE_STATIC);
	return store_exec_stmt(st, s, "person_password");
}

int store_person_check_password(struct store *st, int64_t person_id,
                                const char *password)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT password_hash FROM persons WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, person_id);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE
		           ? store_fail_kind(st, STORE_E_NOTFOUND, "person_check", "id")
		           : store_fail(st, "person_check", rc);
	}
	char *hash = store_col_text(s, 0);
	sqlite3_reset(s);
	enum password_result r = password_verify(password, hash);
	free(hash);
	if (r == PASSWORD_BAD) {
		st->last_error = STORE_E_INVALID;
		return -1;
	}
	if (r == PASSWORD_OK_REHASH && store_person_set_password(st, person_id, password) == 0)
		log_info("password_upgraded", "person=%lld", (long long)person_id);
	return 0;
}

static int update_person(struct store *st, sqlite3_stmt *s, const char *op)
{
	if (s == NULL || store_exec_stmt(st, s, op) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return store_fail_kind(st, STORE_E_NOTFOUND, op, "no such person");
	return 0;
}

int store_person_set_quota(struct store *st, int64_t person_id,
                           int64_t quota_bytes, int64_t quota_messages)
{
	sqlite3_stmt *s = store_stmt(st,
	    "UPDATE persons SET quota_bytes = ?2, quota_messages = ?3 WHERE id = ?1");
	if (s != NULL) {
		sqlite3_bind_int64(s, 1, person_id);
		sqlite3_bind_int64(s, 2, quota_bytes);
		sqlite3_bind_int64(s, 3, quota_messages);
	}
	return update_person(st, s, "person_quota");
}

int store_person_set_services(struct store *st, int64_t person_id,
                              unsigned services, bool admin)
{
	sqlite3_stmt *s = store_stmt(st,
	    "UPDATE persons SET services = ?2, admin = ?3 WHERE id = ?1");
	if (s != NULL) {
		sqlite3_bind_int64(s, 1, person_id);
		sqlite3_bind_int(s, 2, (int)services);
		sqlite3_bind_int(s, 3, admin ? 1 : 0);
	}
	return update_person(st, s, "person_services");
}

int store_person_set_autoreply(struct store *st, int64_t person_id,
                               const char *text, const char *forward_to)
{
	sqlite3_stmt *s = store_stmt(st,
	    "UPDATE persons SET autoreply = ?2, forward_to = ?3 WHERE id = ?1");
	if (s != NULL) {
		sqlite3_bind_int64(s, 1, person_id);
		sqlite3_bind_text(s, 2, text ? text : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, forward_to ? forward_to : "", -1, SQLITE_STATIC);
	}
	return update_person(st, s, "person_autoreply");
}

int store_person_delete(struct store *st, int64_t person_id)
{
	/* Entries go with their mailboxes (cascade); drop their references first. */
	sqlite3_stmt *refs = store_stmt(st,
	    "UPDATE messages SET refcount = refcount - (SELECT count(*) FROM entries e"
	    " JOIN mailboxes m ON m.id = e.mailbox_id"
	    " WHERE m.person_id = ?1 AND e.message_id = messages.id)"
	    " WHERE id IN (SELECT e.message_id FROM entries e JOIN mailboxes m"
	    " ON m.id = e.mailbox_id WHERE m.person_id = ?1)");
	sqlite3_stmt *del = store_stmt(st, "DELETE FROM persons WHERE id = ?1");
	if (refs == NULL || del == NULL || store_tx_begin(st) < 0)
		return -1;
	sqlite3_bind_int64(refs, 1, person_id);
	sqlite3_bind_int64(del, 1, person_id);
	if (store_exec_stmt(st, refs, "person_delete") < 0 ||
	    update_person(st, del, "person_delete") < 0) {
		store_tx_rollback(st);
		return -1;
	}
	return store_tx_commit(st);
}

int store_person_list(struct store *st, const char *domain,
                      int (*cb)(const struct store_person *p, void *arg), void *arg)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT " PERSON_COLUMNS " FROM persons p JOIN domains d ON d.id = p.domain_id"
	    " WHERE ?1 IS NULL OR d.name = ?1 ORDER BY d.name, p.username");
	if (s == NULL)
		return -1;
	if (domain != NULL)
		sqlite3_bind_text(s, 1, domain, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_person p;
		person_from_row(s, &p);
		int stop = cb(&p, arg);
		store_person_clear(&p);
		if (stop)
			break;
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(st, "person_list", rc);
}

int store_person_usage(struct store *st, int64_t person_id, int64_t *bytes,
                       int64_t *messages)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT coalesce(sum(g.size), 0), count(*) FROM entries e"
	    " JOIN mailboxes m ON m.id = e.mailbox_id JOIN messages g ON g.id = e.message_id"
	    " WHERE m.person_id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, person_id);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_fail(st, "person_usage", rc);
	}
	*bytes = sqlite3_column_int64(s, 0);
	*messages = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	return 0;
}

/* ---- aliases ---- */

static int domain_id_of(struct store *st, const char *domain, int64_t *id)
{
	struct store_domain d;
	if (store_domain_find(st, domain, &d) < 0)
		return -1;
	*id = d.id;
	store_domain_clear(&d);
	return 0;
}

int store_alias_add(struct store *st, const char *domain, const char *name,
                    const char *target)
{
	int64_t did;
	if (blank(name) || blank(target) || strpbrk(name, "@ "))
		return store_fail_kind(st, STORE_E_INVALID, "alias_add", "bad alias");
	if (domain_id_of(st, domain, &did) < 0)
		return -1;
	sqlite3_stmt *s = store_stmt(st,
	    "INSERT INTO aliases (domain_id, name, target) VALUES (?1, ?2, ?3)");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, did);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, target, -1, SQLITE_STATIC);
	return store_exec_stmt(st, s, "alias_add");
}

int store_alias_find(struct store *st, const char *name, const char *domain,
                     char **target)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT a.target FROM aliases a JOIN domains d ON d.id = a.domain_id"
	    " WHERE a.name = ?1 AND d.name = ?2");
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, domain, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*target = store_col_text(s, 0);
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? store_fail_kind(st, STORE_E_NOTFOUND, "alias_find", name)
	                         : store_fail(st, "alias_find", rc);
}

int store_alias_delete(struct store *st, const char *domain, const char *name)
{
	sqlite3_stmt *s = store_stmt(st,
	    "DELETE FROM aliases WHERE name = ?2 AND domain_id ="
	    " (SELECT id FROM domains WHERE name = ?1)");
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	if (store_exec_stmt(st, s, "alias_delete") < 0)
		return -1;
	return sqlite3_changes(st->db) ? 0
	                               : store_fail_kind(st, STORE_E_NOTFOUND, "alias_delete", name);
}

/* ---- distribution lists ---- */

int store_dlist_add(struct store *st, const char *domain, const char *name,
                    const char *description, int64_t *id_out)
{
	int64_t did;
	if (blank(name) || strpbrk(name, "@ "))
		return store_fail_kind(st, STORE_E_INVALID, "dlist_add", "bad list name");
	if (domain_id_of(st, domain, &did) < 0)
		return -1;
	sqlite3_stmt *s = store_stmt(st,
	    "INSERT INTO dlists (domain_id, name, description) VALUES (?1, ?2, ?3)");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, did);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, description ? description : "", -1, SQLITE_STATIC);
	if (store_exec_stmt(st, s, "dlist_add") < 0)
		return -1;
	if (id_out != NULL)
		*id_out = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_dlist_find(struct store *st, const char *name, const char *domain,
                     int64_t *id_out)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT l.id FROM dlists l JOIN domains d ON d.id = l.domain_id"
	    " WHERE l.name = ?1 AND d.name = ?2");
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, domain, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id_out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? store_fail_kind(st, STORE_E_NOTFOUND, "dlist_find", name)
	                         : store_fail(st, "dlist_find", rc);
}

int store_dlist_add_member(struct store *st, int64_t dlist_id, const char *address)
{
	if (blank(address))
		return store_fail_kind(st, STORE_E_INVALID, "dlist_member", "empty address");
	sqlite3_stmt *s = store_stmt(st,
	    "INSERT INTO dlist_members (dlist_id, address) VALUES (?1, ?2)");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, dlist_id);
	sqlite3_bind_text(s, 2, address, -1, SQLITE_STATIC);
	return store_exec_stmt(st, s, "dlist_member");
}

int store_dlist_remove_member(struct store *st, int64_t dlist_id, const char *address)
{
	sqlite3_stmt *s = store_stmt(st,
	    "DELETE FROM dlist_members WHERE dlist_id = ?1 AND address = ?2");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, dlist_id);
	sqlite3_bind_text(s, 2, address, -1, SQLITE_STATIC);
	if (store_exec_stmt(st, s, "dlist_unmember") < 0)
		return -1;
	return sqlite3_changes(st->db) ? 0
	                               : store_fail_kind(st, STORE_E_NOTFOUND, "dlist_unmember", address);
}

int store_dlist_members(struct store *st, int64_t dlist_id,
                        int (*cb)(const char *address, void *arg), void *arg)
{
	sqlite3_stmt *s = store_stmt(st,
	    "SELECT address FROM dlist_members WHERE dlist_id = ?1 ORDER BY address");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, dlist_id);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char *a = store_col_text(s, 0);
		int stop = cb(a, arg);
		free(a);
		if (stop)
			break;
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(st, "dlist_members", rc);
}

int store_dlist_delete(struct store *st, int64_t dlist_id)
{
	sqlite3_stmt *s = store_stmt(st, "DELETE FROM dlists WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, dlist_id);
	if (store_exec_stmt(st, s, "dlist_delete") < 0)
		return -1;
	return sqlite3_changes(st->db) ? 0
	                               : store_fail_kind(st, STORE_E_NOTFOUND, "dlist_delete", "id");
}
