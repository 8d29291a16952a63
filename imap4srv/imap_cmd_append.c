/*
 * imap_cmd_append.c - APPEND: flags, internal date and a literal message
 * (which imap_command.c has read whole, within APPENDLIMIT, before this
 * runs: a dropped connection stores nothing).  A small message is in the
 * command buffer; a larger one in a spool file (libcommon/spool.h) that
 * the store copies in by chunks.  The message is parsed once here,
 * stored with its structure and its entry in one transaction, and
 * answered with UIDPLUS's APPENDUID (RFC 4315).
 */
#include "imap_commands.h"
#include "imap_date.h"
#include "imap_flags.h"
#include "imap_message.h"
#include "imap_names.h"
#include "imap_quota.h"
#include "log.h"
#include "spool.h"
#include "store.h"

#include <stdlib.h>
#include <time.h>

struct append_args {
	char name[IMAP_NAME_MAX + 1];
	struct imap_flagset flags;
	int64_t date;
	struct imap_str data;       /* the message, unless spooled */
	struct spool *spool;        /* the message, when spooled */
	size_t size;
};

/* mailbox [SP flag-list] [SP date-time] SP literal; 0, -1 bad syntax,
 * -2 bad name (*WHY). */
static int append_args(struct imap_client *c, struct append_args *a, const char **why)
{
	struct imap_parser *p = &c->active.p;
	struct imap_str d;
	uint32_t n;
	int e;
	a->date = (int64_t)time(NULL);
	a->flags.flags = 0;
	a->flags.keywords[0] = '\0';
	if (imap_p_sp(p) < 0 || (e = imap_p_mailbox(p, a->name, why)) == -1 || imap_p_sp(p) < 0)
		return -1;
	if (imap_p_peek(p, '(') && (imap_p_flag_list(p, false, &a->flags) < 0 || imap_p_sp(p) < 0))
		return -1;
	if (imap_p_peek(p, '"')) {
		if (imap_p_string(p, &d) < 0 || imap_p_sp(p) < 0)
			return -1;
		if (imap_date_time_parse(d.p, d.len, &a->date) < 0) {
			p->error = "bad date-time";
			return -1;
		}
	}
	if (!imap_p_peek(p, '{')) {
		p->error = "the message must be a literal";
		return -1;
	}
	a->spool = p->pos == p->spooled_at ? c->spool : NULL;
	if (a->spool != NULL ? imap_p_spooled(p, &n) < 0 : imap_p_string(p, &a->data) < 0)
		return -1;
	if (imap_p_end(p) < 0)
		return -1;
	a->size = a->spool != NULL ? (size_t)spool_size(a->spool) : a->data.len;
	return e;
}

/* Stores the message and its entry; *UID gets the new uid. */
static int store_it(struct imap_client *c, const struct store_mailbox *mb,
                    const struct append_args *a, uint32_t *uid)
{
	struct store *st = c->srv->store;
	void *structure = NULL;
	size_t slen = 0;
	int64_t id;
	if (a->spool != NULL)
		structure = spool_structure(a->spool, &slen);
	else
		imap_message_parse(a->data.p, a->data.len, &structure, &slen);
	if (store_begin(st) < 0) {
		free(structure);
		return -1;
	}
	int r = a->spool != NULL
	        ? store_message_adopt(st, a->spool, a->date, structure, slen, &id)
	        : store_message_put(st, a->data.p, a->data.len, a->date, structure, slen, &id);
	free(structure);
	if (r == 0)
		r = store_entry_append(st, mb->id, id, a->flags.flags | STORE_FLAG_RECENT,
		                       a->flags.keywords, a->date, uid);
	if (r < 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
}

enum cmd_result imap_cmd_append(struct imap_client *c)
{
	struct append_args a = { .spool = NULL };
	struct store_mailbox mb;
	const char *why = NULL;
	uint32_t uid = 0;
	int e = append_args(c, &a, &why);
	if (e == -1)
		return imap_bad_syntax(c);
	if (e == -2)
		return imap_done(c, "NO", "[CANNOT] %s", why);
	if (a.size == 0)
		return imap_done(c, "NO", "[CANNOT] an empty message cannot be stored");
	if (store_mailbox_find(c->srv->store, c->person_id, a.name, &mb) < 0)
		return store_last_error(c->srv->store) == STORE_E_NOTFOUND
		       ? imap_done(c, "NO", "[TRYCREATE] no such mailbox")
		       : imap_store_failed(c, "APPEND");
	int q = imap_quota_check(c, (int64_t)a.size, 1);
	if (q != 0 || store_it(c, &mb, &a, &uid) < 0) {
		store_mailbox_clear(&mb);
		return q > 0 ? imap_done(c, "NO", "[OVERQUOTA] the quota does not allow it")
		             : imap_store_failed(c, "APPEND");
	}
	imap_server_notify(c->srv, mb.id);
	log_info("imap_append", "session=%llu mailbox=%s uid=%u size=%zu",
	         (unsigned long long)c->id, log_quote(a.name), uid, a.size);
	uint32_t validity = mb.uidvalidity;
	store_mailbox_clear(&mb);
	return imap_done(c, "OK", "[APPENDUID %u %u] APPEND completed", validity, uid);
}
