/*
 * postman_wake.c - wakeups held while a batch's transaction is open and
 * sent once it has committed; see postman.h.
 */
#include "postman.h"

#include "log.h"
#include "wakeup.h"

#include <stdlib.h>

void wake_hold(struct postman *pm)
{
	pm->held.holding = true;
}

void wake_mailbox(struct postman *pm, int64_t mailbox_id)
{
	struct held_wakeups *h = &pm->held;

	if (!h->holding) {
		wakeup_mailbox(pm->run_dir, mailbox_id);
		return;
	}
	for (size_t i = 0; i < h->n; i++)
		if (h->mailboxes[i] == mailbox_id)
			return;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		int64_t *m = realloc(h->mailboxes, cap * sizeof *m);
		if (m == NULL) {
			/* The reader still sees the mail at its next recheck. */
			log_warn("wakeup_dropped", "mailbox=%lld error=\"out of memory\"",
			         (long long)mailbox_id);
			return;
		}
		h->mailboxes = m;
		h->cap = cap;
	}
	h->mailboxes[h->n++] = mailbox_id;
}

void wake_outbound(struct postman *pm, int64_t item_id)
{
	if (pm->held.holding)
		pm->held.outbound_item = item_id;
	else
		wakeup_send(pm->run_dir, WAKEUP_CHANNEL_OUTBOUND, item_id);
}

void wake_release(struct postman *pm, bool committed)
{
	struct held_wakeups *h = &pm->held;

	h->holding = false;
	if (committed) {
		for (size_t i = 0; i < h->n; i++)
			wakeup_mailbox(pm->run_dir, h->mailboxes[i]);
		if (h->outbound_item != 0)
			wakeup_send(pm->run_dir, WAKEUP_CHANNEL_OUTBOUND, h->outbound_item);
	}
	free(h->mailboxes);
	*h = (struct held_wakeups){ 0 };
}
