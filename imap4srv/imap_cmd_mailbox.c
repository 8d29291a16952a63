/*
 * imap_cmd_mailbox.c - commands on mailboxes as a whole: CREATE, DELETE,
 * RENAME (INBOX's rename moves its messages into the new mailbox),
 * SUBSCRIBE, UNSUBSCRIBE, STATUS and NAMESPACE.  Every lookup is by the
 * logged-in person's id, so a session reaches only its own mailboxes.
 */
#include "imap_commands.h"
#include "imap_names.h"
#include "imap_objectid.h"
#include "imap_status.h"
#include "imap_view.h"
#include "log.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Mailboxes one person may have. */
#define IMAP_MAILBOXES_MAX 10000

/* Parses " mailbox" and answers for a bad one: 0, or the answer in *R. */
static int mailbox_arg(struct imap_client *c, char name[IMAP_NAME_MAX + 1],
                       enum cmd_result *r)
{
	const char *why = NULL;
	int e = imap_p_sp(&c->active.p) < 0 ? -1 : imap_p_mailbox(&c->active.p, name, &why);
	if (e == -1)
		*r = imap_bad_syntax(c);
	else if (e == -2)
		*r = imap_done(c, "NO", "[CANNOT] %s", why);
	return e;
}

/* Looks up NAME; the answer in *R when it fails. */
static int find(struct imap_client *c, const char *name, struct store_mailbox *mb,
                enum cmd_result *r)
{
	if (store_mailbox_find(c->srv->store, c->person_id, name, mb) == 0)
		return 0;
	if (store_last_error(c->srv->store) == STORE_E_NOTFOUND)
		*r = imap_done(c, "NO", "[NONEXISTENT] no such mailbox");
	else
		*r = imap_store_failed(c, "mailbox lookup");
	return -1;
}

static int count_each(const struct store_mailbox *m, void *arg)
{
	(void)m;
	(*(int *)arg)++;
	return 0;
}

/* Creates NAME and every missing level above it, in the caller's
 * transaction.  1 when NAME itself existed already. */
static int create_path(struct imap_client *c, const char *name)
{
	char part[IMAP_NAME_MAX + 1];
	struct store_mailbox mb;
	for (const char *p = name;; p++) {
		if (*p != IMAP_DELIMITER && *p != '\0')
			continue;
		snprintf(part, sizeof part, "%.*s", (int)(p - name), name);
		if (store_mailbox_find(c->srv->store, c->person_id, part, &mb) == 0) {
			store_mailbox_clear(&mb);
			if (*p == '\0')
				return 1;
		} else if (store_last_error(c->srv->store) != STORE_E_NOTFOUND ||
		           store_mailbox_create(c->srv->store, c->person_id, part, NULL, NULL) < 0) {
			return -1;
		}
		if (*p == '\0')
			return 0;
	}
}

/* The OK of CREATE names the new mailbox's MAILBOXID (RFC 8474). */
static enum cmd_result created(struct imap_client *c, const char *name)
{
	struct store_mailbox mb;
	char id[IMAP_OBJECTID_MAX];
	if (store_mailbox_find(c->srv->store, c->person_id, name, &mb) < 0)
		return imap_done(c, "OK", "CREATE completed");
	imap_mailboxid(&mb, id);
	store_mailbox_clear(&mb);
	return imap_done(c, "OK", "[MAILBOXID (%s)] CREATE completed", id);
}

enum cmd_result imap_cmd_create(struct imap_client *c)
{
	char name[IMAP_NAME_MAX + 1];
	enum cmd_result r;
	int n = 0;
	if (mailbox_arg(c, name, &r) < 0)
		return r;
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	if (strcmp(name, "INBOX") == 0)
		return imap_done(c, "NO", "[ALREADYEXISTS] INBOX always exists");
	if (store_mailbox_list(c->srv->store, c->person_id, count_each, &n) < 0)
		return imap_store_failed(c, "CREATE");
	if (n >= IMAP_MAILBOXES_MAX)
		return imap_done(c, "NO", "[LIMIT] too many mailboxes");
	if (store_begin(c->srv->store) < 0)
		return imap_store_failed(c, "CREATE");
	int e = create_path(c, name);
	if (e != 0) {
		store_rollback(c->srv->store);
		return e > 0 ? imap_done(c, "NO", "[ALREADYEXISTS] mailbox exists")
		             : imap_store_failed(c, "CREATE");
	}
	if (store_commit(c->srv->store) < 0)
		return imap_store_failed(c, "CREATE");
	log_info("imap_create", "session=%s mailbox=%s", c->session,
	         log_quote(name));
	return created(c, name);
}

enum cmd_result imap_cmd_delete(struct imap_client *c)
{
	char name[IMAP_NAME_MAX + 1];
	struct store_mailbox mb;
	enum cmd_result r;
	if (mailbox_arg(c, name, &r) < 0)
		return r;
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	if (strcmp(name, "INBOX") == 0)
		return imap_done(c, "NO", "[CANNOT] INBOX cannot be deleted");
	if (find(c, name, &mb, &r) < 0)
		return r;
	int64_t id = mb.id;
	store_mailbox_clear(&mb);
	if (store_mailbox_delete(c->srv->store, id) < 0)
		return imap_store_failed(c, "DELETE");
	if (c->view != NULL && c->view->mb.id == id) {
		imap_view_free(c->view);
		c->view = NULL;
		c->state = IMAP_AUTH;
		imap_untagged(c, "OK [CLOSED] the selected mailbox was deleted");
	}
	imap_server_notify(c->srv, id);
	log_info("imap_delete", "session=%s mailbox=%s", c->session,
	         log_quote(name));
	return imap_done(c, "OK", "DELETE completed");
}

/* ---- RENAME ---- */

struct rename_walk {
	const char *from;
	int64_t *ids;
	char **names;
	size_t n, cap;
};

static int collect_below(const struct store_mailbox *m, void *arg)
{
	struct rename_walk *w = arg;
	if (!imap_name_is_below(m->name, w->from))
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		int64_t *ids = realloc(w->ids, cap * sizeof *ids);
		if (ids != NULL)
			w->ids = ids;
		char **names = realloc(w->names, cap * sizeof *names);
		if (names != NULL)
			w->names = names;
		if (ids == NULL || names == NULL)
			return 1;
		w->cap = cap;
	}
	w->ids[w->n] = m->id;
	w->names[w->n] = strdup(m->name);
	if (w->names[w->n] == NULL)
		return 1;
	w->n++;
	return 0;
}

static void walk_free(struct rename_walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->names[i]);
	free(w->names);
	free(w->ids);
}

/* Renames the children of FROM to live below TO (in the transaction). */
static int rename_children(struct imap_client *c, const char *from, const char *to)
{
	struct rename_walk w = { from, NULL, NULL, 0, 0 };
	char name[2 * IMAP_NAME_MAX + 2];
	int r = store_mailbox_list(c->srv->store, c->person_id, collect_below, &w);
	for (size_t i = 0; r == 0 && i < w.n; i++) {
		snprintf(name, sizeof name, "%s%s", to, w.names[i] + strlen(from));
		if (strlen(name) > IMAP_NAME_MAX)
			r = -1;
		else
			r = store_mailbox_rename(c->srv->store, w.ids[i], name);
	}
	walk_free(&w);
	return r;
}

struct uid_list {
	uint32_t *uids;
	size_t n, cap;
};

static int collect_uid(const struct store_entry *e, void *arg)
{
	struct uid_list *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		uint32_t *u = realloc(l->uids, cap * sizeof *u);
		if (u == NULL)
			return 1;
		l->uids = u;
		l->cap = cap;
	}
	l->uids[l->n++] = e->uid;
	return 0;
}

/* INBOX cannot be renamed: its messages move to a new mailbox TO. */
static int rename_inbox(struct imap_client *c, int64_t inbox, const char *to)
{
	struct uid_list l = { NULL, 0, 0 };
	struct store_mailbox mb = { 0 };
	int r = create_path(c, to);
	if (r == 0)
		r = store_mailbox_find(c->srv->store, c->person_id, to, &mb);
	if (r == 0)
		r = store_entry_list(c->srv->store, inbox, 0, collect_uid, &l);
	for (size_t i = 0; r == 0 && i < l.n; i++) {
		r = store_entry_copy(c->srv->store, inbox, l.uids[i], mb.id, NULL);
		if (r == 0)
			r = store_entry_expunge(c->srv->store, inbox, l.uids[i]);
	}
	if (r == 0)
		imap_server_notify(c->srv, mb.id);
	store_mailbox_clear(&mb);
	free(l.uids);
	return r == 0 ? 0 : -1;
}

static enum cmd_result do_rename(struct imap_client *c, const struct store_mailbox *old,
                                 const char *to)
{
	struct store *st = c->srv->store;
	if (store_begin(st) < 0)
		return imap_store_failed(c, "RENAME");
	int r;
	if (strcmp(old->name, "INBOX") == 0) {
		r = rename_inbox(c, old->id, to);
	} else {
		/* the levels above the new name, then the mailbox, then its children */
		char parent[IMAP_NAME_MAX + 1];
		const char *slash = strrchr(to, IMAP_DELIMITER);
		snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - to) : 0, to);
		r = slash ? create_path(c, parent) : 0;
		if (r >= 0)
			r = store_mailbox_rename(st, old->id, to);
		if (r == 0)
			r = rename_children(c, old->name, to);
	}
	if (r < 0) {
		bool exists = store_last_error(st) == STORE_E_EXISTS;
		store_rollback(st);
		return exists ? imap_done(c, "NO", "[ALREADYEXISTS] target exists")
		              : imap_store_failed(c, "RENAME");
	}
	if (store_commit(st) < 0)
		return imap_store_failed(c, "RENAME");
	imap_server_notify(c->srv, old->id);
	return imap_done(c, "OK", "RENAME completed");
}

enum cmd_result imap_cmd_rename(struct imap_client *c)
{
	char from[IMAP_NAME_MAX + 1], to[IMAP_NAME_MAX + 1];
	struct store_mailbox old, probe;
	enum cmd_result r;
	if (mailbox_arg(c, from, &r) < 0 || mailbox_arg(c, to, &r) < 0)
		return r;
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	if (strcmp(to, "INBOX") == 0)
		return imap_done(c, "NO", "[ALREADYEXISTS] INBOX always exists");
	if (imap_name_is_below(to, from) || strcmp(to, from) == 0)
		return imap_done(c, "NO", "[CANNOT] cannot rename a mailbox into itself");
	if (find(c, from, &old, &r) < 0)
		return r;
	if (store_mailbox_find(c->srv->store, c->person_id, to, &probe) == 0) {
		store_mailbox_clear(&probe);
		store_mailbox_clear(&old);
		return imap_done(c, "NO", "[ALREADYEXISTS] target exists");
	}
	r = do_rename(c, &old, to);
	log_info("imap_rename", "session=%s from=%s to=%s status=%s",
	         c->session, log_quote(from), log_quote(to), c->active.status);
	store_mailbox_clear(&old);
	return r;
}

/* ---- subscriptions ---- */

/* SUBSCRIBE wants an existing mailbox (RFC 3501 lets a server check);
 * UNSUBSCRIBE takes any subscribed name, so that one whose mailbox was
 * deleted can still be dropped. */
static enum cmd_result subscribe(struct imap_client *c, bool on)
{
	char name[IMAP_NAME_MAX + 1];
	struct store_mailbox mb;
	struct store *st = c->srv->store;
	enum cmd_result r;
	const char *cmd = on ? "SUBSCRIBE" : "UNSUBSCRIBE";
	if (mailbox_arg(c, name, &r) < 0)
		return r;
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	if (on) {
		if (find(c, name, &mb, &r) < 0)
			return r;
		store_mailbox_clear(&mb);
		if (store_subscription_add(st, c->person_id, name) < 0)
			return imap_store_failed(c, cmd);
	} else if (store_subscription_remove(st, c->person_id, name) < 0) {
		if (store_last_error(st) != STORE_E_NOTFOUND)
			return imap_store_failed(c, cmd);
		/* not subscribed: fine for a mailbox, an error for no name at all */
		if (find(c, name, &mb, &r) < 0)
			return r;
		store_mailbox_clear(&mb);
	}
	return imap_done(c, "OK", "%s completed", cmd);
}

enum cmd_result imap_cmd_subscribe(struct imap_client *c)
{
	return subscribe(c, true);
}

enum cmd_result imap_cmd_unsubscribe(struct imap_client *c)
{
	return subscribe(c, false);
}

/* ---- STATUS ---- */

enum cmd_result imap_cmd_status(struct imap_client *c)
{
	char name[IMAP_NAME_MAX + 1];
	struct imap_status_ask ask;
	struct store_mailbox mb;
	enum cmd_result r;
	if (mailbox_arg(c, name, &r) < 0)
		return r;
	if (imap_p_sp(&c->active.p) < 0 || imap_status_parse(&c->active.p, &ask) < 0 ||
	    imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	if (find(c, name, &mb, &r) < 0)
		return r;
	if (imap_status_asks_modseq(&ask))
		imap_view_condstore_enable(c);
	int e = imap_status_write(c, &mb, &ask);
	store_mailbox_clear(&mb);
	return e < 0 ? imap_store_failed(c, "STATUS") : imap_done(c, "OK", "STATUS completed");
}

enum cmd_result imap_cmd_namespace(struct imap_client *c)
{
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	/* personal mailboxes only: no other users', no shared ones */
	imap_untagged(c, "NAMESPACE ((\"\" \"/\")) NIL NIL");
	return imap_done(c, "OK", "NAMESPACE completed");
}
