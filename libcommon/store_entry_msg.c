/*
 * store_entry_msg.c - the message as one mailbox entry shows it: the
 * entry's own prefix (its trace fields) on top of the shared message;
 * see store_mail.h.  IMAP, POP3 and oomgr read messages only through
 * here, so none of them can serve the body without its prefix.
 */
#include "store_internal.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

int store_entry_prefix_load(struct store *st, int64_t mailbox_id, uint32_t uid,
                            char *buf, size_t *len)
{
	/* Expunged entries too: a session may still serve what it holds. */
	struct store_stmt *s = store_stmt(st,
	    "SELECT prefix FROM entries WHERE mailbox_id = ?1 AND uid = ?2");
	if (s == NULL)
		return -1;
	store_bind_int64(s, 1, mailbox_id);
	store_bind_int64(s, 2, uid);
	if (store_step_row(st, s, "entry_prefix", "no such entry") < 0)
		return -1;
	size_t n;
	const void *p = store_col_blob(s, 0, &n);
	if (n > STORE_PREFIX_MAX) {
		store_reset(s);
		return store_fail_kind(st, STORE_E_FAILED, "entry_prefix", "prefix unreadable");
	}
	if (n > 0)
		memcpy(buf, p, n);
	*len = n;
	store_reset(s);
	return 0;
}

void store_entry_msg_init(struct store_entry_msg *m, const struct store_entry *e)
{
	m->mailbox_id = e->mailbox_id;
	m->uid = e->uid;
	m->message_id = e->message_id;
	m->prefix_len = e->prefix_len;
	m->prefix_loaded = false;
}

/* Reads M's prefix once; an entry stored without one needs no query. */
static int load_prefix(struct store *st, struct store_entry_msg *m)
{
	size_t n = 0;
	if (m->prefix_loaded || m->prefix_len == 0)
		return 0;
	if (store_entry_prefix_load(st, m->mailbox_id, m->uid, m->prefix, &n) < 0)
		return -1;
	if (n != m->prefix_len)   /* the entry is not what the caller was told */
		return store_fail_kind(st, STORE_E_NOTFOUND, "entry_read", "prefix changed");
	m->prefix_loaded = true;
	return 0;
}

ssize_t store_entry_read(struct store *st, struct store_entry_msg *m, size_t offset,
                         void *buf, size_t len)
{
	size_t from_prefix = 0;
	if (load_prefix(st, m) < 0)
		return -1;
	if (offset < m->prefix_len) {
		from_prefix = m->prefix_len - offset < len ? m->prefix_len - offset : len;
		memcpy(buf, m->prefix + offset, from_prefix);
		if (from_prefix == len)
			return (ssize_t)len;
	}
	size_t body_off = offset + from_prefix - m->prefix_len;
	ssize_t n = store_message_read(st, m->message_id, body_off, (char *)buf + from_prefix,
	                               len - from_prefix);
	return n < 0 ? -1 : (ssize_t)from_prefix + n;
}

int store_entry_text(struct store *st, struct store_entry_msg *m, void **data,
                     size_t *len)
{
	void *body = NULL;
	size_t blen = 0;
	if (load_prefix(st, m) < 0 || store_message_get(st, m->message_id, &body, &blen) < 0)
		return -1;
	if (m->prefix_len == 0) {
		*data = body;
		*len = blen;
		return 0;
	}
	char *all = malloc(m->prefix_len + blen + 1);
	if (all == NULL) {
		free(body);
		return store_fail_kind(st, STORE_E_TRANSIENT, "entry_text", "out of memory");
	}
	memcpy(all, m->prefix, m->prefix_len);
	if (blen > 0)
		memcpy(all + m->prefix_len, body, blen);
	free(body);
	*data = all;
	*len = m->prefix_len + blen;
	return 0;
}
