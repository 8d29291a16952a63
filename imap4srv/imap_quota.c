/*
 * imap_quota.c - GETQUOTA, GETQUOTAROOT and SETQUOTA (RFC 9208) over the
 * person's quota in the store, and the check APPEND/COPY/MOVE make
 * before they add messages; see imap_quota.h.  Quotas are set by the
 * administrator (oomgr), so SETQUOTA is refused.
 */
#include "imap_commands.h"
#include "imap_names.h"
#include "imap_quota.h"
#include "store.h"

#include <string.h>

struct usage {
	int64_t bytes, messages;
	int64_t quota_bytes, quota_messages;   /* 0 = no limit */
};

static int usage(struct imap_client *c, struct usage *u)
{
	struct store_person p;
	memset(u, 0, sizeof *u);
	if (store_person_get(c->srv->store, c->person_id, &p) < 0)
		return -1;
	u->quota_bytes = p.quota_bytes;
	u->quota_messages = p.quota_messages;
	store_person_clear(&p);
	return store_person_usage(c->srv->store, c->person_id, &u->bytes, &u->messages);
}

int imap_quota_check(struct imap_client *c, int64_t add_bytes, int64_t add_messages)
{
	struct usage u;
	if (usage(c, &u) < 0)
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

enum cmd_result imap_cmd_getquota(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	struct imap_str root;
	struct usage u;
	if (imap_p_sp(p) < 0 || imap_p_astring(p, &root) < 0 || imap_p_end(p) < 0)
		return imap_bad_syntax(c);
	if (root.len != 0)
		return imap_done(c, "NO", "[NONEXISTENT] no such quota root");
	if (usage(c, &u) < 0)
		return imap_store_failed(c, "GETQUOTA");
	if (!limited(&u))
		return imap_done(c, "NO", "[NONEXISTENT] no quota is set");
	quota_line(c, &u);
	return imap_done(c, "OK", "GETQUOTA completed");
}

enum cmd_result imap_cmd_getquotaroot(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	char name[IMAP_NAME_MAX + 1];
	const char *why = NULL;
	struct store_mailbox mb;
	struct usage u;
	int e = imap_p_sp(p) < 0 ? -1 : imap_p_mailbox(p, name, &why);
	if (e == -1 || imap_p_end(p) < 0)
		return imap_bad_syntax(c);
	if (e == -2)
		return imap_done(c, "NO", "[CANNOT] %s", why);
	if (store_mailbox_find(c->srv->store, c->person_id, name, &mb) < 0)
		return store_last_error(c->srv->store) == STORE_E_NOTFOUND
		       ? imap_done(c, "NO", "[NONEXISTENT] no such mailbox")
		       : imap_store_failed(c, "GETQUOTAROOT");
	if (usage(c, &u) < 0) {
		store_mailbox_clear(&mb);
		return imap_store_failed(c, "GETQUOTAROOT");
	}
	imap_outs(c, "* QUOTAROOT ");
	imap_out_mailbox(c, mb.name);
	imap_outs(c, limited(&u) ? " \"\"\r\n" : "\r\n");   /* no quota: no root */
	store_mailbox_clear(&mb);
	if (limited(&u))
		quota_line(c, &u);
	return imap_done(c, "OK", "GETQUOTAROOT completed");
}

enum cmd_result imap_cmd_setquota(struct imap_client *c)
{
	return imap_done(c, "NO", "[NOPERM] quotas are set by the administrator");
}
