/*
 * imap_claims.c - \Recent claims through one shared handle; see
 * imap_claims.h.
 */
#include "imap_claims.h"

int imap_claims_open(struct imap_claims *k, const struct ems_config *cfg)
{
	k->st = store_open_nowait(cfg);
	if (k->st == NULL)
		return -1;
	pthread_mutex_init(&k->mu, NULL);
	return 0;
}

void imap_claims_close(struct imap_claims *k)
{
	if (k->st == NULL)
		return;
	store_close(k->st);
	k->st = NULL;
	pthread_mutex_destroy(&k->mu);
}

int imap_claim_recent(struct imap_claims *k, int64_t mailbox_id, uint32_t min_uid,
                      int (*cb)(uint32_t uid, void *arg), void *arg)
{
	pthread_mutex_lock(&k->mu);
	int r = store_entry_claim_recent(k->st, mailbox_id, min_uid, cb, arg);
	pthread_mutex_unlock(&k->mu);
	return r;
}
