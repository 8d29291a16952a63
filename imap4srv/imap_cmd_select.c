/*
 * imap_cmd_select.c - SELECT and EXAMINE (with CONDSTORE's option of
 * RFC 7162), CLOSE, UNSELECT (RFC 3691) and CHECK: entering and leaving
 * the selected state.
 */
#include "imap_commands.h"
#include "imap_expunge.h"
#include "imap_flags.h"
#include "imap_names.h"
#include "imap_objectid.h"
#include "imap_view.h"
#include "log.h"
#include "store.h"

#include <string.h>

static void deselect(struct imap_client *c)
{
	imap_view_free(c->view);
	c->view = NULL;
	c->state = IMAP_AUTH;
}

/* "(CONDSTORE)" after the mailbox name, or nothing. */
static int select_params(struct imap_parser *p, bool *condstore)
{
	*condstore = false;
	if (!imap_p_eat(p, ' '))
		return imap_p_end(p);
	if (imap_p_open(p) < 0)
		return -1;
	do {
		if (!imap_p_word(p, "CONDSTORE")) {
			p->error = "unknown SELECT parameter";
			return -1;
		}
		*condstore = true;
	} while (imap_p_eat(p, ' '));
	if (imap_p_close(p) < 0)
		return -1;
	return imap_p_end(p);
}

static void announce(struct imap_client *c, uint32_t total)
{
	struct imap_view *v = c->view;
	char id[IMAP_OBJECTID_MAX];
	imap_view_flags_send(c);
	imap_untagged(c, "%u EXISTS", v->n);
	imap_untagged(c, "%u RECENT", v->recent);
	uint32_t unseen = imap_view_first_unseen(v);
	if (unseen)
		imap_untagged(c, "OK [UNSEEN %u] first unseen", unseen);
	imap_untagged(c, "OK [UIDVALIDITY %u] UIDs valid", v->mb.uidvalidity);
	imap_untagged(c, "OK [UIDNEXT %u] predicted next UID", v->mb.uidnext);
	imap_untagged(c, "OK [HIGHESTMODSEQ %llu] highest", (unsigned long long)v->modseq);
	imap_mailboxid(&v->mb, id);
	imap_untagged(c, "OK [MAILBOXID (%s)] mailbox id", id);
	if (v->limit && total > v->n)
		imap_untagged(c, "OK [ALERT] only the first %u of %u messages are shown",
		              v->n, total);
}

static enum cmd_result do_select(struct imap_client *c, bool readonly)
{
	struct imap_parser *p = &c->active.p;
	char name[IMAP_NAME_MAX + 1];
	const char *why = NULL;
	bool condstore = false;
	struct store_mailbox mb;
	struct store_mailbox_counts k = { 0 };
	int e = imap_p_sp(p) < 0 ? -1 : imap_p_mailbox(p, name, &why);
	if (e == -1 || (e == 0 && select_params(p, &condstore) < 0))
		return imap_bad_syntax(c);
	/* a failed SELECT leaves no mailbox selected (RFC 3501) */
	if (c->view != NULL) {
		deselect(c);
		imap_untagged(c, "OK [CLOSED] previous mailbox closed");
	}
	if (e == -2)
		return imap_done(c, "NO", "[CANNOT] %s", why);
	if (store_mailbox_find(c->srv->store, c->person_id, name, &mb) < 0)
		return store_last_error(c->srv->store) == STORE_E_NOTFOUND
		       ? imap_done(c, "NO", "[NONEXISTENT] no such mailbox")
		       : imap_store_failed(c, "SELECT");
	if (c->srv->set.message_cap)
		store_mailbox_counts(c->srv->store, mb.id, &k);
	c->view = imap_view_open(c, &mb, readonly);
	store_mailbox_clear(&mb);
	if (c->view == NULL)
		return imap_store_failed(c, "SELECT");
	c->state = IMAP_SELECTED;
	if (condstore)
		c->enabled |= IMAP_ENABLED_CONDSTORE;
	announce(c, (uint32_t)k.messages);
	log_info("imap_select", "session=%llu mailbox=%s messages=%u readonly=%s",
	         (unsigned long long)c->id, log_quote(name), c->view->n,
	         readonly ? "yes" : "no");
	return imap_done(c, "OK", "[%s] %s completed", readonly ? "READ-ONLY" : "READ-WRITE",
	                 readonly ? "EXAMINE" : "SELECT");
}

enum cmd_result imap_cmd_select(struct imap_client *c)
{
	return do_select(c, false);
}

enum cmd_result imap_cmd_examine(struct imap_client *c)
{
	return do_select(c, true);
}

enum cmd_result imap_cmd_close(struct imap_client *c)
{
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	/* CLOSE expunges silently; a failure still closes (RFC 3501) */
	if (!c->view->readonly && imap_expunge_deleted(c, NULL, false) < 0)
		log_warn("imap_close", "session=%llu error=\"expunge failed\"",
		         (unsigned long long)c->id);
	deselect(c);
	return imap_done(c, "OK", "CLOSE completed");
}

enum cmd_result imap_cmd_unselect(struct imap_client *c)
{
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	deselect(c);
	return imap_done(c, "OK", "UNSELECT completed");
}

enum cmd_result imap_cmd_check(struct imap_client *c)
{
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	return imap_done(c, "OK", "CHECK completed");
}
