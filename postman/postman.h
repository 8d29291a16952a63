/*
 * postman.h - what the parts of postman share.  postman takes submitted
 * mail off the queue and files it into mailboxes:
 *
 *   postman.c           main: wakeups and the fallback timer (daemon.h)
 *   postman_deliver.c   one queue item: expand, check, store, finish
 *   postman_expand.c    recipients -> persons, folders, external addresses
 *   postman_bounce.c    RFC 3464 delivery status notifications
 *   postman_vacation.c  RFC 3834 auto-replies, once per sender and period
 *   postman_sieve.c     the person's Sieve script: run, mailboxes, flags
 *   postman_wake.c      wakeups held until a batch has committed
 *
 * Everything an item changes (entries, outbound mail, the item's state)
 * is one savepoint inside the transaction of its batch (postman.c), so a
 * postman killed at any moment delivers an item either completely or not
 * at all; an uncommitted item is simply due again.
 */
#ifndef EMS_POSTMAN_H
#define EMS_POSTMAN_H

#include "address.h"
#include "delivery_trace.h"
#include "header.h"
#include "sieve.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ems_config;
struct store;
struct store_queue_item;

/* Site settings read once at start (see ems.conf(5), POSTMAN). */
struct postman_settings {
	int64_t lease_s, retry_s, quota_grace_s;
	int max_received, max_expansion;
	bool autoreply, autoforward;
	int64_t vacation_s;
};

/* Wakeups of deliveries whose transaction is still open (postman_wake.c). */
struct held_wakeups {
	int64_t *mailboxes;
	size_t n, cap;
	int64_t outbound_item;          /* 0: no outbound mail queued */
	bool holding;
};

struct postman {
	const struct ems_config *cfg;
	struct store *store;
	const char *node;
	const char *run_dir;
	struct postman_settings set;
	struct held_wakeups held;
};

/* ---- wakeups (postman_wake.c) ---- */

/*
 * Readers (IMAP sessions in IDLE, smtpgw's outbound side) are woken only
 * after the delivery they are woken for is committed, or they would look
 * and find nothing.  postman delivers a batch of items in one
 * transaction (one disk sync for all of them), so between
 * wake_hold() and wake_release() the wakeups are kept; outside, they go
 * at once.  wake_release() sends them when COMMITTED, else drops them
 * (the items are due again and will wake their readers then).
 */
void wake_hold(struct postman *pm);
void wake_mailbox(struct postman *pm, int64_t mailbox_id);
void wake_outbound(struct postman *pm, int64_t item_id);
void wake_release(struct postman *pm, bool committed);

/* ---- expansion (postman_expand.c) ---- */

/* How deep aliases, lists and forwards may nest. */
#define EXPAND_DEPTH_MAX 20

/* A mailbox the message goes into. */
struct local_delivery {
	int64_t person_id;
	char address[ADDR_MAX + 1];     /* the person's address */
	char folder[ADDR_LOCAL_MAX + 1];/* sub-address detail, "" = INBOX */
	int64_t quota_bytes, quota_messages;
	size_t rcpt;                    /* index of the envelope recipient */
	bool via_list;                  /* reached through a distribution list */
};

/* An address outside: the message is forwarded there. */
struct external_delivery {
	char address[ADDR_MAX + 1];
	char via[ADDR_MAX + 1];         /* the local address that sent it on */
};

/* A recipient that cannot be delivered. */
struct delivery_failure {
	char address[ADDR_MAX + 1];
	char status[8];                 /* "5.1.1" */
	char text[160];                 /* the diagnostic for the bounce */
};

struct expansion {
	struct local_delivery *local;
	size_t nlocal, cap_local;
	struct external_delivery *external;
	size_t nexternal, cap_external;
	struct delivery_failure *failed;
	size_t nfailed, cap_failed;
	char **visited;                 /* every address expanded */
	size_t nvisited, cap_visited;
	size_t limit;                   /* postman.max_expansion */
	bool autoforward;               /* follow persons' forward addresses */
};

/* Starts E empty: at most LIMIT addresses, forwards followed when
 * AUTOFORWARD. */
void expansion_init(struct expansion *e, size_t limit, bool autoforward);
void expansion_free(struct expansion *e);

/*
 * Expands envelope recipient RCPT (index INDEX of the item) into E:
 * persons (once each per folder), external addresses, failures.  Aliases,
 * lists (nested) and forwards are followed; an address met again is
 * skipped, so loops end.  Returns 0, or -1 when the store failed (logged):
 * the item is then retried as a whole.
 */
int expand_recipient(struct store *st, struct expansion *e, const char *rcpt,
                     size_t index);

/* Adds a failure for ADDRESS (used by the delivery checks too).
 * Returns 0 or -1 when out of memory (logged). */
int expansion_fail(struct expansion *e, const char *address, const char *status,
                   const char *text);

/* True when ADDRESS was met while expanding any recipient of the item. */
bool expansion_visited(const struct expansion *e, const char *address);

/* ---- delivery (postman_deliver.c) ---- */

/* Delivers queue item ITEM (leased by the caller) and finishes, defers or
 * fails it, all in one transaction.  Returns 0 when the item was settled,
 * -1 when it is left for a later attempt (logged). */
int deliver_item(struct postman *pm, const struct store_queue_item *item);

/* ---- mail postman writes (postman_bounce.c, postman_vacation.c) ---- */

/* A message postman generated, to go out through the outbound queue. */
struct generated_mail {
	char *data;
	size_t len, cap;
};

void genmail_free(struct generated_mail *m);
/* Appends printf text; returns 0 or -1 when out of memory (logged). */
int genmail_printf(struct generated_mail *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int genmail_write(struct generated_mail *m, const void *data, size_t len);
/* "Date:" and "Message-ID:" fields for a new message from NODE. */
int genmail_date_and_id(struct generated_mail *m, const char *node);

/*
 * Builds the RFC 3464 report to SENDER about the NFAILED failures of the
 * message ORIG (ORIG_LEN bytes, its header is quoted) into OUT.  Returns 0
 * or -1 (logged).
 */
int bounce_build(const struct postman *pm, const char *sender,
                 const struct delivery_failure *failed, size_t nfailed,
                 const char *orig, size_t orig_len, int64_t arrival,
                 struct generated_mail *out);

/*
 * True when an auto-reply to SENDER about the message ORIG may be sent at
 * all (RFC 3834 section 2: not to the null sender, not for lists, bulk
 * or automatic mail, not to daemons).
 */
bool vacation_allowed(const char *sender, const char *orig, size_t orig_len,
                      bool via_list);

/* Builds the auto-reply from the person at FROM with TEXT to SENDER about
 * ORIG into OUT, with SUBJECT (NULL: "Auto: " and the original's).  TEXT
 * is plain text, or with MIME a MIME entity (Sieve vacation :mime, RFC
 * 5230 4.8) whose Content-* fields and body become the reply's.
 * Returns 0 or -1 (logged). */
int vacation_build(const struct postman *pm, const char *from, const char *text,
                   bool mime, const char *subject, const char *sender, const char *orig,
                   size_t orig_len, struct generated_mail *out);

/* ---- Sieve (postman_sieve.c) ---- */

/*
 * Runs the active Sieve script of the person of L, if any, on the
 * message DATA (LEN bytes) sent by SENDER to RCPT, into OUT (zeroed by
 * the caller).  *SCRIPTED says whether there was one.  A script that
 * fails to compile or run leaves one KEEP in OUT (logged as sieve_error
 * for the person).  Returns 0, or -1 when the store failed (retry).
 */
int sieve_deliver_plan(struct store *st, const struct local_delivery *l, const char *rcpt,
                       const char *sender, const char *data, size_t len, int64_t item_id,
                       struct sieve_result *out, bool *scripted);

/* *ID gets the mailbox fileinto action A names, created first for
 * :create.  Returns 0, 1 when it does not exist (logged: keep instead),
 * or -1 when the store failed. */
int sieve_deliver_mailbox(struct store *st, const struct local_delivery *l,
                          const struct sieve_action *a, int64_t item_id, int64_t *id);

/* Adds the space-separated FLAGS (system flags and keywords; others
 * dropped) to entry UID.  Returns 0 or -1 (logged). */
int sieve_deliver_flags(struct store *st, int64_t mailbox, uint32_t uid, const char *flags);

#endif
