/*
 * imap_cmd_mailbox.c - commands on mailboxes as a whole: CREATE, DELETE,
 * RENAME (INBOX's rename moves its messages into the new mailbox),
 * SUBSCRIBE, UNSUBSCRIBE, STATUS and NAMESPACE.  Every lookup is by the
 * logged-in person's id, so a session reaches only its own mailboxes.
 * Every change runs on a store thread (imap_job.h), with the lookups
 * that decide its answer inside its transaction; STATUS is a read job.
 */
#include "imap_commands.h"
#include "imap_job.h"
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

static int count_each(const struct store_mailbox *m, void *arg)
{
	(void)m;
	(*(int *)arg)++;
	return 0;
}

/* Creates NAME and every missing level above it, in the caller's
 * transaction (on a store thread).  1 when NAME itself existed already. */
static int create_path(struct store *st, int64_t person, const char *name)
{
	char part[IMAP_NAME_MAX + 1];
	struct store_mailbox mb;
	for (const char *p = name;; p++) {
		if (*p != IMAP_DELIMITER && *p != '\0')
			continue;
		snprintf(part, sizeof part, "%.*s", (int)(p - name), name);
		if (store_mailbox_find(st, person, part, &mb) == 0) {
			store_mailbox_clear(&mb);
			if (*p == '\0')
				return 1;
		} else if (store_last_error(st) != STORE_E_NOTFOUND ||
		           store_mailbox_create(st, person, part, NULL, NULL) < 0) {
			return -1;
		}
		if (*p == '\0')
			return 0;
	}
}

/* ---- the store work of CREATE, DELETE, SUBSCRIBE, UNSUBSCRIBE, RENAME,
 * on a store thread (imap_job.h) ---- */

struct mbox_job {
	int64_t person;
	int64_t id;                     /* the mailbox DELETE and RENAME change */
	char name[IMAP_NAME_MAX + 1];   /* CREATE's, (UN)SUBSCRIBE's, RENAME's source */
	char to[IMAP_NAME_MAX + 1];     /* RENAME's target */
	bool existed;                   /* CREATE: the mailbox was there already */
	struct store_mailbox mb;        /* CREATE: the new one; RENAME of INBOX: the target */
	const char *refused;            /* the job's own NO, from its checks */
};

/* In a job: J's mailbox NAME (its id into J->id, its name as stored
 * into J->name); NOTFOUND refuses the command. */
static int job_find(struct store *st, struct mbox_job *j)
{
	struct store_mailbox mb;
	if (store_mailbox_find(st, j->person, j->name, &mb) < 0) {
		if (store_last_error(st) == STORE_E_NOTFOUND)
			j->refused = "[NONEXISTENT] no such mailbox";
		return -1;
	}
	j->id = mb.id;
	snprintf(j->name, sizeof j->name, "%s", mb.name);
	store_mailbox_clear(&mb);
	return 0;
}

/* A job that failed: its own NO, or the store's failure. */
static enum cmd_result job_refused(struct imap_client *c, const struct mbox_job *j,
                                   enum store_error err)
{
	return j->refused != NULL ? imap_done(c, "NO", "%s", j->refused) : imap_job_failed(c, err);
}

static struct mbox_job *mbox_job_new(struct imap_client *c, const char *name)
{
	struct mbox_job *j = calloc(1, sizeof *j);
	if (j != NULL) {
		j->person = c->person_id;
		snprintf(j->name, sizeof j->name, "%s", name);
	}
	return j;
}

static void mbox_job_free(void *arg)
{
	struct mbox_job *j = arg;
	store_mailbox_clear(&j->mb);
	free(j);
}

/* Starts the job of the active command, or answers that it cannot. */
static enum cmd_result mbox_job_start(struct imap_client *c, const struct imap_job_ops *ops,
                                      struct mbox_job *j)
{
	if (j == NULL)
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	return imap_job_start(c, ops, j);
}

/* ---- CREATE ---- */

static int create_run(struct store *st, void *arg)
{
	struct mbox_job *j = arg;
	int n = 0;
	if (store_mailbox_list(st, j->person, count_each, &n) < 0)
		return -1;
	if (n >= IMAP_MAILBOXES_MAX) {
		j->refused = "[LIMIT] too many mailboxes";
		return -1;
	}
	int e = create_path(st, j->person, j->name);
	if (e < 0)
		return -1;
	j->existed = e > 0;
	/* for the OK's MAILBOXID (RFC 8474); without it the OK is plain */
	if (!j->existed && store_mailbox_find(st, j->person, j->name, &j->mb) < 0)
		j->mb.id = 0;
	return 0;
}

static enum cmd_result create_apply(struct imap_client *c, void *arg, int rc,
                                    enum store_error err)
{
	struct mbox_job *j = arg;
	char id[IMAP_OBJECTID_MAX];
	if (rc < 0)
		return job_refused(c, j, err);
	if (j->existed)
		return imap_done(c, "NO", "[ALREADYEXISTS] mailbox exists");
	log_info("imap_create", "session=%s mailbox=%s", c->session,
	         log_quote(j->name));
	if (j->mb.id == 0)
		return imap_done(c, "OK", "CREATE completed");
	imap_mailboxid(&j->mb, id);
	return imap_done(c, "OK", "[MAILBOXID (%s)] CREATE completed", id);
}

static const struct imap_job_ops create_ops = { STORE_JOB_WRITE, create_run, create_apply,
	                                        mbox_job_free };

enum cmd_result imap_cmd_create(struct imap_client *c)
{
	char name[IMAP_NAME_MAX + 1];
	enum cmd_result r;
	if (mailbox_arg(c, name, &r) < 0)
		return r;
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	if (strcmp(name, "INBOX") == 0)
		return imap_done(c, "NO", "[ALREADYEXISTS] INBOX always exists");
	/* the count of mailboxes is checked in the job's transaction */
	return mbox_job_start(c, &create_ops, mbox_job_new(c, name));
}

/* ---- DELETE ---- */

static int delete_run(struct store *st, void *arg)
{
	struct mbox_job *j = arg;
	if (job_find(st, j) < 0)
		return -1;
	return store_mailbox_delete(st, j->id);
}

static enum cmd_result delete_apply(struct imap_client *c, void *arg, int rc,
                                    enum store_error err)
{
	const struct mbox_job *j = arg;
	if (rc < 0 && j->refused == NULL && err == STORE_E_NOTFOUND)
		return imap_done(c, "NO", "[NONEXISTENT] no such mailbox");
	if (rc < 0)
		return job_refused(c, j, err);
	if (c->view != NULL && c->view->mb.id == j->id) {
		imap_view_free(c->view);
		c->view = NULL;
		c->state = IMAP_AUTH;
		imap_untagged(c, "OK [CLOSED] the selected mailbox was deleted");
	}
	imap_server_notify(c->srv, j->id);
	log_info("imap_delete", "session=%s mailbox=%s", c->session,
	         log_quote(j->name));
	return imap_done(c, "OK", "DELETE completed");
}

static const struct imap_job_ops delete_ops = { STORE_JOB_WRITE, delete_run, delete_apply,
	                                        mbox_job_free };

enum cmd_result imap_cmd_delete(struct imap_client *c)
{
	char name[IMAP_NAME_MAX + 1];
	enum cmd_result r;
	if (mailbox_arg(c, name, &r) < 0)
		return r;
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	if (strcmp(name, "INBOX") == 0)
		return imap_done(c, "NO", "[CANNOT] INBOX cannot be deleted");
	return mbox_job_start(c, &delete_ops, mbox_job_new(c, name));
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
static int rename_children(struct store *st, int64_t person, const char *from,
                           const char *to)
{
	struct rename_walk w = { from, NULL, NULL, 0, 0 };
	char name[2 * IMAP_NAME_MAX + 2];
	int r = store_mailbox_list(st, person, collect_below, &w);
	for (size_t i = 0; r == 0 && i < w.n; i++) {
		snprintf(name, sizeof name, "%s%s", to, w.names[i] + strlen(from));
		if (strlen(name) > IMAP_NAME_MAX)
			r = -1;
		else
			r = store_mailbox_rename(st, w.ids[i], name);
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

/* INBOX cannot be renamed: its messages move to a new mailbox, J->to
 * (J->mb then). */
static int rename_inbox(struct store *st, struct mbox_job *j)
{
	struct uid_list l = { NULL, 0, 0 };
	int r = create_path(st, j->person, j->to);
	if (r == 0)
		r = store_mailbox_find(st, j->person, j->to, &j->mb);
	if (r == 0)
		r = store_entry_list(st, j->id, 0, collect_uid, &l);
	for (size_t i = 0; r == 0 && i < l.n; i++) {
		r = store_entry_copy(st, j->id, l.uids[i], j->mb.id, NULL);
		if (r == 0)
			r = store_entry_expunge(st, j->id, l.uids[i]);
	}
	free(l.uids);
	return r == 0 ? 0 : -1;
}

static int rename_run(struct store *st, void *arg)
{
	struct mbox_job *j = arg;
	struct store_mailbox probe;
	if (job_find(st, j) < 0)
		return -1;
	if (store_mailbox_find(st, j->person, j->to, &probe) == 0) {
		store_mailbox_clear(&probe);
		j->refused = "[ALREADYEXISTS] target exists";
		return -1;
	}
	if (store_last_error(st) != STORE_E_NOTFOUND)
		return -1;
	if (strcmp(j->name, "INBOX") == 0)
		return rename_inbox(st, j);
	/* the levels above the new name, then the mailbox, then its children */
	char parent[IMAP_NAME_MAX + 1];
	const char *slash = strrchr(j->to, IMAP_DELIMITER);
	snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - j->to) : 0, j->to);
	int r = slash ? create_path(st, j->person, parent) : 0;
	if (r >= 0)
		r = store_mailbox_rename(st, j->id, j->to);
	if (r == 0)
		r = rename_children(st, j->person, j->name, j->to);
	return r < 0 ? -1 : 0;
}

static enum cmd_result rename_apply(struct imap_client *c, void *arg, int rc,
                                    enum store_error err)
{
	const struct mbox_job *j = arg;
	enum cmd_result r;
	if (rc < 0)
		r = err == STORE_E_EXISTS && j->refused == NULL
		    ? imap_done(c, "NO", "[ALREADYEXISTS] target exists")
		    : job_refused(c, j, err);
	else
		r = imap_done(c, "OK", "RENAME completed");
	if (rc == 0) {
		imap_server_notify(c->srv, j->id);
		if (j->mb.id != 0)
			imap_server_notify(c->srv, j->mb.id);
	}
	log_info("imap_rename", "session=%s from=%s to=%s status=%s",
	         c->session, log_quote(j->name), log_quote(j->to),
	         c->active.status);
	return r;
}

static const struct imap_job_ops rename_ops = { STORE_JOB_WRITE, rename_run, rename_apply,
	                                        mbox_job_free };

enum cmd_result imap_cmd_rename(struct imap_client *c)
{
	char from[IMAP_NAME_MAX + 1], to[IMAP_NAME_MAX + 1];
	enum cmd_result r;
	if (mailbox_arg(c, from, &r) < 0 || mailbox_arg(c, to, &r) < 0)
		return r;
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	if (strcmp(to, "INBOX") == 0)
		return imap_done(c, "NO", "[ALREADYEXISTS] INBOX always exists");
	if (imap_name_is_below(to, from) || strcmp(to, from) == 0)
		return imap_done(c, "NO", "[CANNOT] cannot rename a mailbox into itself");
	/* the source and the target are looked up in the job's transaction */
	struct mbox_job *j = mbox_job_new(c, from);
	if (j != NULL)
		snprintf(j->to, sizeof j->to, "%s", to);
	return mbox_job_start(c, &rename_ops, j);
}

/* ---- subscriptions ---- */

/* SUBSCRIBE wants an existing mailbox (RFC 3501 lets a server check);
 * UNSUBSCRIBE takes any subscribed name, so that one whose mailbox was
 * deleted can still be dropped. */
/* In a job: whether J's NAME is a mailbox; one that is not refuses the
 * command.  0, or -1. */
static int job_exists(struct store *st, struct mbox_job *j)
{
	struct store_mailbox mb;
	if (store_mailbox_find(st, j->person, j->name, &mb) == 0) {
		store_mailbox_clear(&mb);
		return 0;
	}
	if (store_last_error(st) == STORE_E_NOTFOUND)
		j->refused = "[NONEXISTENT] no such mailbox";
	return -1;
}

static int subscribe_run(struct store *st, void *arg)
{
	struct mbox_job *j = arg;
	if (job_exists(st, j) < 0)
		return -1;
	return store_subscription_add(st, j->person, j->name);
}

/* Not subscribed: fine for a mailbox, an error for no name at all. */
static int unsubscribe_run(struct store *st, void *arg)
{
	struct mbox_job *j = arg;
	if (store_subscription_remove(st, j->person, j->name) == 0)
		return 0;
	return store_last_error(st) == STORE_E_NOTFOUND ? job_exists(st, j) : -1;
}

static enum cmd_result subscribe_apply(struct imap_client *c, void *arg, int rc,
                                       enum store_error err)
{
	const struct mbox_job *j = arg;
	if (rc < 0)
		return job_refused(c, j, err);
	return imap_done(c, "OK", "%s completed", c->active.name);
}

static const struct imap_job_ops subscribe_ops = { STORE_JOB_WRITE, subscribe_run,
	                                           subscribe_apply, mbox_job_free };
static const struct imap_job_ops unsubscribe_ops = { STORE_JOB_WRITE, unsubscribe_run,
	                                             subscribe_apply, mbox_job_free };

static enum cmd_result subscribe(struct imap_client *c, bool on)
{
	char name[IMAP_NAME_MAX + 1];
	enum cmd_result r;
	if (mailbox_arg(c, name, &r) < 0)
		return r;
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	/* SUBSCRIBE's mailbox is looked up in the job's transaction */
	return mbox_job_start(c, on ? &subscribe_ops : &unsubscribe_ops, mbox_job_new(c, name));
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

/* A STATUS on its way (a read job, imap_job.h). */
struct status_job {
	int64_t person;
	char name[IMAP_NAME_MAX + 1];
	struct imap_status_ask ask;
	struct imap_status_of st;
};

static int status_run(struct store *st, void *arg)
{
	struct status_job *j = arg;
	return imap_status_read(st, j->person, j->name, &j->st);
}

static enum cmd_result status_apply(struct imap_client *c, void *arg, int rc,
                                    enum store_error err)
{
	struct status_job *j = arg;
	if (rc < 0 && err == STORE_E_NOTFOUND)
		return imap_done(c, "NO", "[NONEXISTENT] no such mailbox");
	if (rc < 0)
		return imap_job_failed(c, err);
	if (imap_status_asks_modseq(&j->ask))
		imap_view_condstore_enable(c);
	imap_status_send(c, &j->st, &j->ask);
	return imap_done(c, "OK", "STATUS completed");
}

static void status_free(void *arg)
{
	struct status_job *j = arg;
	imap_status_clear(&j->st);
	free(j);
}

static const struct imap_job_ops status_ops = { STORE_JOB_READ, status_run, status_apply,
	                                        status_free };

enum cmd_result imap_cmd_status(struct imap_client *c)
{
	char name[IMAP_NAME_MAX + 1];
	struct imap_status_ask ask;
	enum cmd_result r;
	if (mailbox_arg(c, name, &r) < 0)
		return r;
	if (imap_p_sp(&c->active.p) < 0 || imap_status_parse(&c->active.p, &ask) < 0 ||
	    imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	struct status_job *j = calloc(1, sizeof *j);
	if (j == NULL)
		return imap_done(c, "NO", "[UNAVAILABLE] out of memory, try again later");
	j->person = c->person_id;
	snprintf(j->name, sizeof j->name, "%s", name);
	j->ask = ask;
	return imap_read_start(c, &status_ops, j);
}

enum cmd_result imap_cmd_namespace(struct imap_client *c)
{
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	/* personal mailboxes only: no other users', no shared ones */
	imap_untagged(c, "NAMESPACE ((\"\" \"/\")) NIL NIL");
	return imap_done(c, "OK", "NAMESPACE completed");
}
