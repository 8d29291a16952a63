/*
 * store_person.c - persons (mail users) in the store: creation with their
 * initial folders, lookup, settings, password checks with hash upgrade,
 * usage for quotas; see store_directory.h.
 */
#include "store_internal.h"
#include "auth_cache.h"
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
	{ "INBOX", "" },        { "Drafts", "\\Drafts" }, { "Sent", "\\Sent" },
	{ "Trash", "\\Trash" }, { "Junk", "\\Junk" },
};

#define PERSON_COLUMNS                                                         \
	"p.id, p.domain_id, p.username, d.name, p.quota_bytes, p.quota_messages," \
	" p.services, p.admin, p.created, p.autoreply, p.forward_to"
#define PERSON_FROM " FROM persons p JOIN domains d ON d.id = p.domain_id"

void store_person_clear(struct store_person *p)
{
	free(p->username);
	free(p->domain);
	free(p->autoreply);
	free(p->forward_to);
	memset(p, 0, sizeof *p);
}

static void person_from_row(struct store_stmt *s, struct store_person *p)
{
	p->id = store_col_int64(s, 0);
	p->domain_id = store_col_int64(s, 1);
	p->username = store_col_text(s, 2);
	p->domain = store_col_text(s, 3);
	p->quota_bytes = store_col_int64(s, 4);
	p->quota_messages = store_col_int64(s, 5);
	p->services = (unsigned)store_col_int(s, 6);
	p->admin = store_col_int(s, 7) != 0;
	p->created = store_col_int64(s, 8);
	p->autoreply = store_col_text(s, 9);
	p->forward_to = store_col_text(s, 10);
}

static bool username_ok(const char *name)
{
	if (store_blank(name) || strchr(name, '@') != NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static int create_initial_folders(struct store *st, int64_t person_id)
{
	for (size_t i = 0; i < sizeof initial_folders / sizeof initial_folders[0]; i++)
		if (store_mailbox_create(st, person_id, initial_folders[i].name,
		                         initial_folders[i].special_use, NULL) < 0 ||
		    store_subscription_add(st, person_id, initial_folders[i].name) < 0)
			return -1;
	return 0;
}

static int insert_person(struct store *st, int64_t domain_id, const char *username,
                         const char *hash, int64_t *id)
{
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO persons (domain_id, username, password_hash, created)"
	    " VALUES (?1, ?2, ?3, ?4) RETURNING id");
	if (s == NULL || store_local_name_free(st, domain_id, username, "person_add") < 0)
		return -1;
	store_bind_int64(s, 1, domain_id);
	store_bind_text(s, 2, username);
	store_bind_text(s, 3, hash);
	store_bind_int64(s, 4, (int64_t)time(NULL));
	return store_exec_id(st, s, "person_add", id);
}

int store_person_add(struct store *st, const char *domain, const char *username,
                     const char *password, int64_t *id_out)
{
	char hash[PASSWORD_HASH_MAX];
	int64_t domain_id, id = 0;

	if (!username_ok(username) || store_blank(password))
		return store_fail_kind(st, STORE_E_INVALID, "person_add",
		                       "user name and password must be non-empty, no '@' or blanks");
	if (password_hash(password, hash, sizeof hash) < 0)
		return store_fail_kind(st, STORE_E_FAILED, "person_add", "cannot hash password");
	if (store_tx_begin(st) < 0)
		return -1;
	if (store_domain_id(st, domain, &domain_id) < 0 ||
	    insert_person(st, domain_id, username, hash, &id) < 0 ||
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

int store_person_find(struct store *st, const char *username, const char *domain,
                      struct store_person *out)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT " PERSON_COLUMNS PERSON_FROM " WHERE p.username = ?1 AND d.name = ?2");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, username);
	store_bind_text(s, 2, domain);
	if (store_step_row(st, s, "person_find", username) < 0)
		return -1;
	person_from_row(s, out);
	store_reset(s);
	return 0;
}

int store_person_find_address(struct store *st, const char *address,
                              struct store_person *out)
{
	const char *at = address ? strrchr(address, '@') : NULL;
	if (at == NULL || at == address)
		return store_fail_kind(st, STORE_E_INVALID, "person_find", "not user@domain");
	char *user = strndup(address, (size_t)(at - address));
	if (user == NULL)
		return store_fail_kind(st, STORE_E_TRANSIENT, "person_find", "out of memory");
	int r = store_person_find(st, user, at + 1, out);
	free(user);
	return r;
}

int store_person_get(struct store *st, int64_t id, struct store_person *out)
{
	struct store_stmt *s = store_stmt(st, "SELECT " PERSON_COLUMNS PERSON_FROM " WHERE p.id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, id);
	if (store_step_row(st, s, "person_get", "no such person") < 0)
		return -1;
	person_from_row(s, out);
	store_reset(s);
	return 0;
}

int store_person_set_password(struct store *st, int64_t person_id,
                              const char *password)
{
	char hash[PASSWORD_HASH_MAX];
	if (store_blank(password))
		return store_fail_kind(st, STORE_E_INVALID, "person_password", "empty password");
	if (password_hash(password, hash, sizeof hash) < 0)
		return store_fail_kind(st, STORE_E_FAILED, "person_password", "cannot hash");
	struct store_stmt *s = store_stmt(st, "UPDATE persons SET password_hash = ?2 WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_text(s, 2, hash);
	return store_exec_changed(st, s, "person_password", "no such person");
}

/* *HASH gets a malloc'ed copy of the person's stored password hash. */
static int stored_hash(struct store *st, int64_t person_id, char **hash)
{
	struct store_stmt *s = store_stmt(st, "SELECT password_hash FROM persons WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	if (store_step_row(st, s, "person_check", "no such person") < 0)
		return -1;
	*hash = store_col_text(s, 0);
	store_reset(s);
	return 0;
}

int store_person_check_password(struct store *st, int64_t person_id,
                                const char *password, struct auth_cache *cache)
{
	char *hash;
	if (stored_hash(st, person_id, &hash) < 0)
		return -1;
	int64_t now = time(NULL);
	if (auth_cache_hit(cache, person_id, hash, password, now)) {
		free(hash);
		return 1;
	}
	enum password_result r = password_verify(password, hash);
	if (r == PASSWORD_OK)
		auth_cache_add(cache, person_id, hash, password, now);
	free(hash);
	if (r == PASSWORD_BAD) {
		st->last_error = STORE_E_INVALID;
		return -1;
	}
	/* a rehashed password is cached at its next login, under the new hash */
	if (r == PASSWORD_OK_REHASH && store_person_set_password(st, person_id, password) == 0)
		log_info("password_upgraded", "person=%lld", (long long)person_id);
	return 0;
}

int store_person_set_quota(struct store *st, int64_t person_id,
                           int64_t quota_bytes, int64_t quota_messages)
{
	if (quota_bytes < 0 || quota_messages < 0)
		return store_fail_kind(st, STORE_E_INVALID, "person_quota", "negative quota");
	struct store_stmt *s = store_stmt(st,
	    "UPDATE persons SET quota_bytes = ?2, quota_messages = ?3 WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_int64(s, 2, quota_bytes);
	store_bind_int64(s, 3, quota_messages);
	return store_exec_changed(st, s, "person_quota", "no such person");
}

int store_person_set_services(struct store *st, int64_t person_id,
                              unsigned services, bool admin)
{
	if ((services & ~STORE_SVC_ALL) != 0)
		return store_fail_kind(st, STORE_E_INVALID, "person_services", "unknown service bit");
	struct store_stmt *s = store_stmt(st,
	    "UPDATE persons SET services = ?2, admin = ?3 WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_int64(s, 2, (int)services);
	store_bind_int64(s, 3, admin ? 1 : 0);
	return store_exec_changed(st, s, "person_services", "no such person");
}

int store_person_set_autoreply(struct store *st, int64_t person_id,
                               const char *text, const char *forward_to)
{
	if (!store_blank(forward_to) && !store_address_ok(forward_to))
		return store_fail_kind(st, STORE_E_INVALID, "person_autoreply",
		                       "bad forward address");
	struct store_stmt *s = store_stmt(st,
	    "UPDATE persons SET autoreply = ?2, forward_to = ?3 WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_text(s, 2, text ? text : "");
	store_bind_text(s, 3, forward_to ? forward_to : "");
	return store_exec_changed(st, s, "person_autoreply", "no such person");
}

int store_person_delete(struct store *st, int64_t person_id)
{
	/* Mailboxes and entries go by cascade; the reference-count
	 * triggers follow the deleted entries. */
	struct store_stmt *s = store_stmt(st, "DELETE FROM persons WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	return store_exec_changed(st, s, "person_delete", "no such person");
}

struct person_walk {
	int (*cb)(const struct store_person *p, void *arg);
	void *arg;
};

static int person_each(struct store_stmt *s, void *ctx)
{
	struct person_walk *w = ctx;
	struct store_person p;
	person_from_row(s, &p);
	int stop = w->cb(&p, w->arg);
	store_person_clear(&p);
	return stop;
}

int store_person_list(struct store *st, const char *domain,
                      int (*cb)(const struct store_person *p, void *arg), void *arg)
{
	struct person_walk w = { cb, arg };
	struct store_stmt *s = store_stmt(st,
	    "SELECT " PERSON_COLUMNS PERSON_FROM
	    " WHERE ?1 IS NULL OR d.name = ?1 ORDER BY d.name, p.username");
	if (s == NULL)
		return -1;
	if (domain != NULL)
		store_bind_text(s, 1, domain);
	return store_each_row(st, s, "person_list", person_each, &w);
}

int store_person_usage(struct store *st, int64_t person_id, int64_t *bytes,
                       int64_t *messages)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT coalesce(sum(g.size + coalesce(length(e.prefix), 0)), 0), count(*)"
	    " FROM entries e"
	    " JOIN mailboxes m ON m.id = e.mailbox_id JOIN messages g ON g.id = e.message_id"
	    " WHERE m.person_id = ?1 AND e.expunged IS NULL");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	if (store_step_row(st, s, "person_usage", "no result") < 0)
		return -1;
	*bytes = store_col_int64(s, 0);
	*messages = store_col_int64(s, 1);
	store_reset(s);
	return 0;
}
