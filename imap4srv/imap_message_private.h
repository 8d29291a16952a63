/*
 * imap_message_private.h - the handle of imap_message.h as its two
 * files see it: imap_message.c (raw bytes, top-level header) and
 * imap_message_mime.c (what needs the MIME structure).  Nothing else
 * includes this.
 */
#ifndef IMAP_MESSAGE_PRIVATE_H
#define IMAP_MESSAGE_PRIVATE_H

#include "imap_server.h"
#include "mime.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct imap_message {
	struct imap_server *srv;    /* its settings; NULL from imap_message_open_on() */
	struct store *st;           /* its reads: the loop's handle; a pool
	                               thread's while preloaded there
	                               (imap_message_preload()); NULL after,
	                               all of it being in memory then */
	struct store_entry_msg src; /* the entry's prefix, then the message */
	int64_t size;               /* of both */
	char *text;                 /* the whole message, once loaded */
	size_t text_len;
	char *head;                 /* the top-level header with its blank line */
	size_t head_len;
	bool head_loaded;
	struct mime_tree *mime;     /* the MIME structure, once loaded */
};

#endif
