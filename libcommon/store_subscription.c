/*
 * store_subscription.c - the names a person is subscribed to (IMAP
 * SUBSCRIBE, LSUB, LIST (SUBSCRIBED)); see store_mail.h.  They are names,
 * not mailbox rows, so they outlive a DELETE and can name a mailbox that
 * does not exist; store_mailbox_rename() moves one with its mailbox.
 */
#include "store_internal.h"

int store_subscription_add(struct store *st, int64_t person_id, const char *name)
{
	if (store_blank(name))
		return store_fail_kind(st, STORE_E_INVALID, "subscription_add", "empty name");
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO subscriptions (person_id, name) VALUES (?1, ?2)"
	    " ON CONFLICT (person_id, name) DO NOTHING");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_text(s, 2, store_mailbox_canon(name));
	return store_exec_stmt(st, s, "subscription_add");
}

int store_subscription_remove(struct store *st, int64_t person_id, const char *name)
{
	struct store_stmt *s = store_stmt(st,
	    "DELETE FROM subscriptions WHERE person_id = ?1 AND name = ?2");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_text(s, 2, store_mailbox_canon(name));
	return store_exec_changed(st, s, "subscription_remove", "not subscribed");
}

struct name_walk {
	int (*cb)(const char *name, void *arg);
	void *arg;
};

static int name_each(struct store_stmt *s, void *ctx)
{
	struct name_walk *w = ctx;
	return w->cb(store_col_str(s, 0), w->arg);
}

int store_subscription_list(struct store *st, int64_t person_id,
                            int (*cb)(const char *name, void *arg), void *arg)
{
	struct name_walk w = { cb, arg };
	struct store_stmt *s = store_stmt(st,
	    "SELECT name FROM subscriptions WHERE person_id = ?1 ORDER BY name");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	return store_each_row(st, s, "subscription_list", name_each, &w);
}
