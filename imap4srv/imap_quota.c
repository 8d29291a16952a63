/*
 * imap_quota.c - GETQUOTA, GETQUOTAROOT and SETQUOTA (RFC 9208) over the
 * person's quota in the store (read jobs, imap_job.h), and the check
 * APPEND/COPY/MOVE make inside the write that adds messages; see
 * imap_quota.h.  Quotas are set by the
 * administrator (oomgr), so SETQUOTA is refused.
 */
#include "imap_commands.h"
#include "imap_job.h"
#include "imap_names.h"
#include "imap_quota.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct usage {
	int64_t bytes, messages;
	int64_t quota_bytes, quota_messages;   /* 0 = no limit */
};

static int usage(struct store *st, int64_t person_id, struct usage *u)
{
	struct store_person p;
	memset(u, 0, sizeof *u);
	if (store_person_get(st, person_id, &p) < 0)
		return -1;
	u->quota_bytes = p.quota_bytes;
	u->quota_messages = p.quota_messages;
	store_person_clear(&p);
	return store_person_usage(st, person_id, &u->bytes, &u->messages);
}

int imap_quota_check(struct store *st, int64_t person_id, int64_t add_bytes,
                     int64_t add_messages)
{
	struct usage u;
	if (usage(st, person_id, &u) < 0)
		return -1;
	if (u.quota_bytes > 0 && u.bytes + add_bytes > u.quota_bytes)
		return 1;
	if (u.quota_messages > 0 && u.messages + add_messages > u.quota_messages)
		return 1;
	return 0;
}

/* True when the person has a quota: only then is there a quota root
 * (RFC 9208's quota-list cannot be empty). */
static bool limited(const struct usage *u)
{
	return u->quota_bytes > 0 || u->quota_messages > 0;
}

/* "* QUOTA "" (STORAGE used limit MESSAGE used limit)"; resources
 * without a limit are left out, as RFC 9208 says. */
static void quota_line(struct imap_client *c, const struct usage *u)
{
	const char *sep = "";
	imap_outs(c, "* QUOTA \"\" (");
	if (u->quota_bytes > 0) {
		/* STORAGE counts KiB, rounded up */
		imap_outf(c, "STORAGE %lld %lld", (long long)((u->bytes + 1023) / 1024),
		          (long long)(u->quota_bytes / 1024));
		sep = " ";
	}
	if (u->quota_messages > 0)
		imap_outf(c, "%sMESSAGE %lld %lld", sep, (long long)u->messages,
		          (long long)u->quota_messages);
	imap_outs(c, ")\r\n");
}

/* GETQUOTA or GETQUOTAROOT on its way (a read job, imap_job.h). */
struct quota_job {
	int64_t person;
	bool root;                      /* GETQUOTAROOT of NAME */
	char name[IMAP_NAME_MAX + 1];
	struct store_mailbox mb;
	bool found;
	struct usage u;
};

static int quota_run(struct store *st, void *arg)
{
	struct quota_job *j = arg;
	if (j->root) {
		if (store_mailbox_find(st, j->person, j->name, &j->mb) < 0)
			return store_last_error(st) == STORE_E_NOTFOUND ? 0 : -1;
		j->found = true;
	}
	return usage(st, j->person, &j->u);
}

static enum cmd_result quota_apply(struct imap_client *c, void *arg, int rc,
                                   enum store_error err)
{
	struct quota_job *j = arg;
	if (rc < 0)
		return imap_job_failed(c, err);
	if (!j->root) {
		if (!limited(&j->u))
			return imap_done(c, "NO", "[NONEXISTENT] no quota is set");
		quota_line(c, &j->u);
		return imap_done(c, "OK", "GETQUOTA completed");
	}
	if (!j->found)
		return imap_done(c, "NO", "[NONEXISTENT] no such mailbox");
	imap_outs(c, "* QUOTAROOT ");
	imap_out_mailbox(c, j->mb.name);
	imap_outs(c, limited(&j->u) ? " \"\"\r\n" : "\r\n");   /* no quota: no root */
	if (limited(&j->u))
		quota_line(c, &j->u);
	return imap_done(c, "OK", "GETQUOTAROOT completed");
}

static void quota_free(void *arg)
{
	struct quota_job *j = arg;
	if (j->found)
		store_mailbox_clear(&j->mb);
	free(j);
}

static const struct imap_job_ops quota_ops = { STORE_JOB_READ, quota_run, quota_apply,
	                                       quota_free };

static enum cmd_result quota_start(struct imap_client *c, bool root, const char *name)
{
	struct quota_job *j = calloc(1, sizeof *j);
	if (j == NULL)
		return imap_done(c, "NO", "[UNAVAILABLE] out of memory, try again later");
	j->person = c->person_id;
	j->root = root;
	snprintf(j->name, sizeof j->name, "%s", name);
	return imap_read_start(c, &quota_ops, j);
}

enum cmd_result imap_cmd_getquota(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	struct imap_str root;
	if (imap_p_sp(p) < 0 || imap_p_astring(p, &root) < 0 || imap_p_end(p) < 0)
		return imap_bad_syntax(c);
	if (root.len != 0)
		return imap_done(c, "NO", "[NONEXISTENT] no such quota root");
	return quota_start(c, false, "");
}

enum cmd_result imap_cmd_getquotaroot(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	char name[IMAP_NAME_MAX + 1];
	const char *why = NULL;
	int e = imap_p_sp(p) < 0 ? -1 : imap_p_mailbox(p, name, &why);
	if (e == -1 || imap_p_end(p) < 0)
		return imap_bad_syntax(c);
	if (e == -2)
		return imap_done(c, "NO", "[CANNOT] %s", why);
	return quota_start(c, true, name);
}

enum cmd_result imap_cmd_setquota(struct imap_client *c)
{
	return imap_done(c, "NO", "[NOPERM] quotas are set by the administrator");
}
