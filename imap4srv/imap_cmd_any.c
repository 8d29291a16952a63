/*
 * imap_cmd_any.c - the commands valid in every state (CAPABILITY, NOOP,
 * LOGOUT, ID of RFC 2971) and ENABLE (RFC 5161), which switches on
 * CONDSTORE's MODSEQ reporting, QRESYNC's VANISHED, UTF8=ACCEPT's
 * UTF-8 mailbox names or IMAP4rev2's semantics for the rest of the
 * session.
 */
#include "imap_commands.h"
#include "imap_view.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

/* ID parameters a client may send, and the length of each. */
#define ID_PAIRS_MAX 30
#define ID_VALUE_MAX 1024

enum cmd_result imap_cmd_capability(struct imap_client *c)
{
	char caps[1024];
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	imap_capability(c, caps, sizeof caps);
	imap_untagged(c, "CAPABILITY %s", caps);
	return imap_done(c, "OK", "CAPABILITY completed");
}

/* Also CHECK's answer: the updates are sent by imap_command_finish(). */
enum cmd_result imap_cmd_noop(struct imap_client *c)
{
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	return imap_done(c, "OK", "NOOP completed");
}

enum cmd_result imap_cmd_logout(struct imap_client *c)
{
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	imap_untagged(c, "BYE logging out");
	/* Nothing about the mailbox may follow the BYE: leaving it now keeps
	 * the end-of-command sync from sending pending updates. */
	imap_view_free(c->view);
	c->view = NULL;
	c->state = IMAP_LOGOUT;
	return imap_done(c, "OK", "LOGOUT completed");
}

/* Parses the client's "(key value ...)" or NIL and logs the client's
 * name and version, which helps when a client misbehaves. */
static int id_params(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	char name[ID_VALUE_MAX] = "", version[ID_VALUE_MAX] = "";
	if (imap_p_word(p, "NIL"))
		return 0;
	if (imap_p_open(p) < 0)
		return -1;
	for (int i = 0; !imap_p_peek(p, ')'); i++) {
		struct imap_str k, v = { NULL, 0 };
		if (i >= ID_PAIRS_MAX || (i > 0 && imap_p_sp(p) < 0) ||
		    imap_p_string(p, &k) < 0 || imap_p_sp(p) < 0)
			return -1;
		if (!imap_p_word(p, "NIL") && imap_p_string(p, &v) < 0)
			return -1;
		if (v.p && imap_str_eq(&k, "name"))
			imap_str_copy(&v, name, sizeof name);
		if (v.p && imap_str_eq(&k, "version"))
			imap_str_copy(&v, version, sizeof version);
	}
	log_info("imap_id", "session=%llu name=%s version=%s", (unsigned long long)c->id,
	         log_quote(name), log_quote(version));
	return imap_p_close(p);
}

enum cmd_result imap_cmd_id(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	if (imap_p_sp(p) < 0 || id_params(c) < 0 || imap_p_end(p) < 0)
		return imap_bad_syntax(c);
	imap_untagged(c, "ID (\"name\" \"ems\" \"vendor\" \"ems\" \"support-url\" NIL)");
	return imap_done(c, "OK", "ID completed");
}

enum cmd_result imap_cmd_enable(struct imap_client *c)
{
	struct imap_parser *p = &c->active.p;
	char enabled[64] = "";
	if (imap_p_at_end(p))
		return imap_done(c, "BAD", "ENABLE needs an extension name");
	while (!imap_p_at_end(p)) {
		struct imap_str ext;
		if (imap_p_sp(p) < 0 || imap_p_atom(p, &ext) < 0)
			return imap_bad_syntax(c);
		/* Unknown extensions are ignored, as RFC 5161 says. */
		if (imap_str_eq(&ext, "CONDSTORE") && !(c->enabled & IMAP_ENABLED_CONDSTORE)) {
			c->enabled |= IMAP_ENABLED_CONDSTORE;
			strcat(enabled, " CONDSTORE");
		}
		/* QRESYNC turns CONDSTORE on too, named or not (RFC 7162 3.2.3) */
		if (imap_str_eq(&ext, "QRESYNC") && !(c->enabled & IMAP_ENABLED_QRESYNC)) {
			c->enabled |= IMAP_ENABLED_QRESYNC | IMAP_ENABLED_CONDSTORE;
			strcat(enabled, " QRESYNC");
		}
		if (imap_str_eq(&ext, "UTF8=ACCEPT") && !(c->enabled & IMAP_ENABLED_UTF8)) {
			c->enabled |= IMAP_ENABLED_UTF8;
			strcat(enabled, " UTF8=ACCEPT");
		}
		if (imap_str_eq(&ext, "IMAP4rev2") && !(c->enabled & IMAP_ENABLED_REV2)) {
			c->enabled |= IMAP_ENABLED_REV2;
			strcat(enabled, " IMAP4rev2");
		}
	}
	imap_untagged(c, "ENABLED%s", enabled);
	return imap_done(c, "OK", "ENABLE completed");
}
