/*
 * store_delivery.c - what postman needs from the store besides queues and
 * mailboxes: a person's auto-reply period and forwarding choice, the
 * record of whom an auto-reply went to, and the entry that already holds
 * a message (imports), whether a person's mail needs postman at all
 * (smtpgw's one-hop delivery); see store_directory.h and store_mail.h.
 */
#include "store_internal.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

void store_delivery_prefs_clear(struct store_delivery_prefs *p)
{
	free(p->autoreply);
	free(p->forward_to);
	memset(p, 0, sizeof *p);
}

int store_person_delivery_prefs(struct store *st, int64_t person_id,
                                struct store_delivery_prefs *out)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT autoreply, autoreply_from, autoreply_until, forward_to,"
	    " forward_keep FROM persons WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	if (store_step_row(st, s, "person_prefs", "no such person") < 0)
		return -1;
	out->autoreply = store_col_text(s, 0);
	out->autoreply_from = store_col_int64(s, 1);
	out->autoreply_until = store_col_int64(s, 2);
	out->forward_to = store_col_text(s, 3);
	out->forward_keep = store_col_int(s, 4) != 0;
	store_reset(s);
	return 0;
}

int store_person_plain_delivery(struct store *st, int64_t person_id, bool *plain)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT CASE WHEN forward_to = '' AND autoreply = '' AND NOT EXISTS"
	    " (SELECT 1 FROM sieve_scripts WHERE person_id = ?1 AND active <> 0)"
	    " THEN 1 ELSE 0 END FROM persons WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	if (store_step_row(st, s, "person_plain", "no such person") < 0)
		return -1;
	*plain = store_col_int(s, 0) != 0;
	store_reset(s);
	return 0;
}

int store_person_set_autoreply_period(struct store *st, int64_t person_id,
                                      int64_t from, int64_t until)
{
	if (from < 0 || until < 0 || (from > 0 && until > 0 && until < from))
		return store_fail_kind(st, STORE_E_INVALID, "person_autoreply",
		                       "the auto-reply period ends before it starts");
	struct store_stmt *s = store_stmt(st,
	    "UPDATE persons SET autoreply_from = ?2, autoreply_until = ?3 WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_int64(s, 2, from);
	store_bind_int64(s, 3, until);
	return store_exec_changed(st, s, "person_autoreply", "no such person");
}

int store_person_set_forward_keep(struct store *st, int64_t person_id, bool keep)
{
	struct store_stmt *s = store_stmt(st,
	    "UPDATE persons SET forward_keep = ?2 WHERE id = ?1");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_int64(s, 2, keep ? 1 : 0);
	return store_exec_changed(st, s, "person_forward", "no such person");
}

/* *SENT gets when the person last auto-replied to SENDER, 0 if never. */
static int vacation_last(struct store *st, int64_t person_id, const char *sender,
                         int64_t *sent)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT sent FROM vacation_sent WHERE person_id = ?1 AND sender = ?2");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_text(s, 2, sender);
	*sent = 0;
	if (store_step_row(st, s, "vacation_last", "none") == 0) {
		*sent = store_col_int64(s, 0);
		store_reset(s);
		return 0;
	}
	return st->last_error == STORE_E_NOTFOUND ? 0 : -1;
}

int store_vacation_due(struct store *st, int64_t person_id, const char *sender,
                       int64_t now, int64_t interval, bool *due)
{
	int64_t sent;
	*due = false;
	if (!store_address_ok(sender))
		return store_fail_kind(st, STORE_E_INVALID, "vacation", "bad sender");
	if (vacation_last(st, person_id, sender, &sent) < 0)
		return -1;
	if (sent > 0 && now - sent < interval)
		return 0;
	struct store_stmt *s = store_stmt(st,
	    "INSERT INTO vacation_sent (person_id, sender, sent) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (person_id, sender) DO UPDATE SET sent = excluded.sent");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, person_id);
	store_bind_text(s, 2, sender);
	store_bind_int64(s, 3, now);
	if (store_exec_stmt(st, s, "vacation_record") < 0)
		return -1;
	*due = true;
	return 0;
}

int store_entry_find_message(struct store *st, int64_t mailbox_id,
                             int64_t message_id, uint32_t *uid_out)
{
	struct store_stmt *s = store_stmt(st,
	    "SELECT min(uid) FROM entries WHERE mailbox_id = ?1 AND message_id = ?2"
	    " AND expunged IS NULL HAVING count(*) > 0");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, mailbox_id);
	store_bind_int64(s, 2, message_id);
	if (store_step_row(st, s, "entry_find_message", "not in the mailbox") < 0)
		return -1;
	if (uid_out != NULL)
		*uid_out = (uint32_t)store_col_int64(s, 0);
	store_reset(s);
	return 0;
}
