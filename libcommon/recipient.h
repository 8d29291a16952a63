/*
 * recipient.h - what an envelope recipient is to this site: a person, an
 * alias, a distribution list, an address of a domain ems does not host,
 * or unknown.  smtpgw asks it to answer RCPT TO (LMTP) and to choose its
 * exit code (mailer); postman asks it for every address it expands.
 *
 * Lookup order for "user+detail@domain" of a hosted domain: the whole
 * local part first (a person, alias or list may have '+' in its name),
 * then "user" alone; the detail then names the person's folder.
 */
#ifndef EMS_RECIPIENT_H
#define EMS_RECIPIENT_H

#include "address.h"

#include <stdbool.h>
#include <stdint.h>

struct store;

enum rcpt_kind {
	RCPT_UNKNOWN,     /* hosted domain, no such name */
	RCPT_PERSON,
	RCPT_ALIAS,
	RCPT_DLIST,
	RCPT_EXTERNAL,    /* a domain ems does not host */
};

struct rcpt_info {
	enum rcpt_kind kind;
	int64_t id;                         /* person or list id, else 0 */
	char address[ADDR_MAX + 1];         /* normalized, without the detail */
	char detail[ADDR_LOCAL_MAX + 1];    /* "" when none */
	char target[ADDR_MAX + 1];          /* an alias's target */
	int64_t quota_bytes;                /* a person's quotas, 0 = none */
	int64_t quota_messages;
	unsigned services;                  /* a person's STORE_SVC_* */
};

/*
 * Looks ADDRESS (any shape addr_normalize() takes) up and fills OUT.
 * Returns 0 with OUT->kind set (RCPT_UNKNOWN for an address that is not
 * user@domain, too); -1 when the store failed (logged; tell the peer to
 * try again later when store_error_transient()).
 */
int rcpt_lookup(struct store *st, const char *address, struct rcpt_info *out);

/*
 * *OVER gets whether delivering SIZE more bytes (one more message) would
 * take the person of INFO past a quota.  Returns 0, or -1 when the store
 * failed (logged).
 */
int rcpt_over_quota(struct store *st, const struct rcpt_info *info, int64_t size,
                    bool *over);

#endif
