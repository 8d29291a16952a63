/*
 * imap_idle.c - IDLE (RFC 2177) and how changes reach idling clients:
 * the wake-up listener (a datagram per changed mailbox, sent by every
 * process after its commit) and a slow timer, as a safety net for a
 * lost datagram, both call imap_server_mailbox_changed(), which brings
 * each idling client's view up to date and pushes the untagged
 * responses out at once.
 */
#include "imap_commands.h"
#include "imap_view.h"
#include "log.h"

#include <string.h>
#include <strings.h>

static enum cmd_result idle_line(struct imap_client *c, char *line, size_t len)
{
	c->idling = false;
	if (len == 4 && strncasecmp(line, "DONE", 4) == 0)
		return imap_done(c, "OK", "IDLE terminated");
	return imap_done(c, "BAD", "expected DONE");
}

enum cmd_result imap_cmd_idle(struct imap_client *c)
{
	if (imap_p_end(&c->active.p) < 0)
		return imap_bad_syntax(c);
	imap_outs(c, "+ idling\r\n");
	c->idling = true;
	c->active.on_line = idle_line;
	/* what changed before IDLE began goes out now */
	if (c->view != NULL)
		imap_view_sync(c, true);
	return CMD_INPUT;
}

void imap_server_mailbox_changed(struct imap_server *srv, int64_t mailbox_id)
{
	struct client_conn *next;
	for (struct client_conn *cc = srv->w.clients.head; cc != NULL; cc = next) {
		struct imap_client *c = cc->client;
		next = cc->next;
		if (!c->idling || c->view == NULL ||
		    (mailbox_id != 0 && c->view->mb.id != mailbox_id))
			continue;
		if (imap_view_sync(c, true) < 0 &&
		    store_last_error(srv->store) == STORE_E_NOTFOUND) {
			imap_outs(c, "* BYE [NONEXISTENT] the selected mailbox was deleted\r\n");
			c->conn.closing = true;
		}
		imap_client_pump(c);
	}
}

void imap_server_notify(struct imap_server *srv, int64_t mailbox_id)
{
	wakeup_mailbox(srv->w.run_dir, mailbox_id);
}
