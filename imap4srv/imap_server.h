/*
 * imap_server.h - what one imap4srv process holds for all its clients:
 * the worker skeleton (libcommon/worker.h: loop, TLS context, the list
 * of connected clients), the settings read from ems.conf, the store
 * handle and the wake-up listener that tells it about changed
 * mailboxes.  There is one struct imap_server per process (imap4srv.c
 * owns it).
 */
#ifndef IMAP_SERVER_H
#define IMAP_SERVER_H

#include "client_conn.h"
#include "imap_claims.h"
#include "config.h"
#include "evloop.h"
#include "store.h"
#include "store_pool.h"
#include "tls.h"
#include "wakeup.h"
#include "worker.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct imap_client;
struct imap_trace_file;

/* The site options of ems.conf's imap group (and auth's shared ones). */
struct imap_settings {
	const char *banner;
	unsigned idle_timeout_s;        /* never below the RFC's 30 minutes */
	uint32_t message_cap;           /* Message-Cap: 0 = no limit */
	bool server_trace;              /* Server-Trace */
	unsigned trace_synch;           /* Trace-Synch: writes per flush, 0 = at exit */
	size_t trace_literal_max;       /* literal bytes a trace keeps */
	const char **unixgwy;           /* gateway names stripped in ENVELOPE */
	int n_unixgwy;
	int plaintextmincipher;         /* bits a cleartext login needs, 0 = any */
	size_t max_append;              /* APPENDLIMIT: largest message */
	size_t max_line;                /* longest command line */
	bool cram_md5;                  /* offer AUTHENTICATE CRAM-MD5 */
};

struct idle_group;

struct imap_server {
	struct worker w;                /* loop, cfg, tls (NULL: no STARTTLS),
	                                   clients, name "imap4srv01" */
	struct store *store;            /* the loop's own handle: reads; writes
	                                   go to w.pool (imap_job.h) */
	struct imap_claims claims;      /* \Recent claims only: never waits, never
	                                   syncs (store_open_nowait()) */
	struct wakeup_listener *wakeup;
	struct ev_io *wakeup_io;
	struct ev_timer *recheck;       /* re-checks idling mailboxes now and then */
	const char *spool_dir;          /* APPEND literals on their way in */
	const char *log_dir;
	struct imap_settings set;
	struct imap_trace_file *trace;  /* Server-Trace output, NULL when off */
	struct idle_group *idle_groups; /* reads in flight for idling sessions
	                                   (imap_idle_job.h) */
	uint64_t trace_seq;             /* numbers sessions in the trace */
};

/* Called by the wake-up listener and the timer: every client that has
 * mailbox MAILBOX_ID selected (every client when 0) learns of changes,
 * at once when idling, else at its next command. */
void imap_server_mailbox_changed(struct imap_server *srv, int64_t mailbox_id);

/* Tells every process (this one included) that MAILBOX_ID changed;
 * call it after each commit that changed a mailbox's entries. */
void imap_server_notify(struct imap_server *srv, int64_t mailbox_id);

#endif
