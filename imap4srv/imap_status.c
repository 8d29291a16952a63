/*
 * imap_status.c - a mailbox's status items for STATUS and for LIST's
 * STATUS return option (RFC 5819); see imap_status.h.
 */
#include "imap_status.h"
#include "imap_commands.h"
#include "imap_objectid.h"
#include "store.h"

enum status_item {
	ST_MESSAGES = 1, ST_RECENT = 2, ST_UIDNEXT = 4, ST_UIDVALIDITY = 8,
	ST_UNSEEN = 16, ST_HIGHESTMODSEQ = 32, ST_SIZE = 64, ST_MAILBOXID = 128,
	ST_DELETED = 256,
};

static const struct {
	const char *name;
	unsigned bit;
} status_items[IMAP_STATUS_ITEMS_MAX] = {
	{ "MESSAGES", ST_MESSAGES }, { "RECENT", ST_RECENT }, { "UIDNEXT", ST_UIDNEXT },
	{ "UIDVALIDITY", ST_UIDVALIDITY }, { "UNSEEN", ST_UNSEEN },
	{ "HIGHESTMODSEQ", ST_HIGHESTMODSEQ }, { "SIZE", ST_SIZE },
	{ "MAILBOXID", ST_MAILBOXID }, { "DELETED", ST_DELETED },
};

bool imap_status_asks_modseq(const struct imap_status_ask *ask)
{
	for (int i = 0; i < ask->n; i++)
		if (status_items[ask->order[i]].bit == ST_HIGHESTMODSEQ)
			return true;
	return false;
}

int imap_status_parse(struct imap_parser *p, struct imap_status_ask *ask)
{
	ask->n = 0;
	if (imap_p_open(p) < 0)
		return -1;
	do {
		struct imap_str a;
		size_t i;
		if (imap_p_atom(p, &a) < 0)
			return -1;
		for (i = 0; i < IMAP_STATUS_ITEMS_MAX && !imap_str_eq(&a, status_items[i].name); i++)
			;
		if (i == IMAP_STATUS_ITEMS_MAX) {
			p->error = "unknown STATUS item";
			return -1;
		}
		if (ask->n < IMAP_STATUS_ITEMS_MAX)
			ask->order[ask->n++] = (unsigned)i;
	} while (imap_p_eat(p, ' '));
	return imap_p_close(p);
}

static int64_t status_value(const struct imap_client *c, unsigned item,
                            const struct store_mailbox *mb,
                            const struct store_mailbox_counts *k)
{
	uint32_t cap = c->srv->set.message_cap;
	switch (status_items[item].bit) {
	case ST_MESSAGES:
		return cap && k->messages > cap ? cap : k->messages;
	case ST_RECENT:
		return k->recent;
	case ST_UIDNEXT:
		return mb->uidnext;
	case ST_UIDVALIDITY:
		return mb->uidvalidity;
	case ST_UNSEEN:
		return k->unseen;
	case ST_HIGHESTMODSEQ:
		return (int64_t)mb->highest_modseq;
	case ST_DELETED:
		return k->deleted;
	default:
		return k->bytes;
	}
}

int imap_status_read(struct store *st, int64_t person_id, const char *name,
                     struct imap_status_of *out)
{
	if (store_mailbox_find(st, person_id, name, &out->mb) < 0)
		return -1;
	if (store_mailbox_counts(st, out->mb.id, &out->k) < 0) {
		store_mailbox_clear(&out->mb);
		return -1;
	}
	return 0;
}

void imap_status_clear(struct imap_status_of *s)
{
	store_mailbox_clear(&s->mb);
}

int imap_status_send(struct imap_client *c, const struct imap_status_of *s,
                     const struct imap_status_ask *ask)
{
	const struct store_mailbox *mb = &s->mb;
	imap_outs(c, "* STATUS ");
	imap_out_mailbox(c, mb->name);
	imap_outs(c, " (");
	for (int i = 0; i < ask->n; i++) {
		unsigned item = ask->order[i];
		char id[IMAP_OBJECTID_MAX];
		imap_outf(c, "%s%s ", i ? " " : "", status_items[item].name);
		if (status_items[item].bit == ST_MAILBOXID) {
			imap_mailboxid(mb, id);
			imap_outf(c, "(%s)", id);
		} else {
			imap_outf(c, "%lld", (long long)status_value(c, item, mb, &s->k));
		}
	}
	return imap_outs(c, ")\r\n");
}
