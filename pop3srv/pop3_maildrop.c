/*
 * pop3_maildrop.c - the POP3 maildrop: lock, message list, deletions;
 * see pop3_maildrop.h.
 */
#include "pop3_maildrop.h"
#include "log.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* 0 locked, 1 in use, -1 failed (logged). */
static int take_lock(const char *run_dir, int64_t person_id, int *fd_out)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/pop3", run_dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		log_error("pop3_lock", "path=%s error=%s", log_quote(path),
		          log_quote(strerror(errno)));
		return -1;
	}
	snprintf(path, sizeof path, "%s/pop3/%" PRId64 ".lock", run_dir, person_id);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("pop3_lock", "path=%s error=%s", log_quote(path),
		          log_quote(strerror(errno)));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return 1;
		log_error("pop3_lock", "path=%s error=%s", log_quote(path), log_quote(strerror(e)));
		return -1;
	}
	*fd_out = fd;
	return 0;
}

static int add_entry(const struct store_entry *e, void *arg)
{
	struct pop3_maildrop *d = arg;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct pop3_msg *m = realloc(d->msgs, cap * sizeof *m);
		if (m == NULL) {
			d->short_list = true;
			return 1;
		}
		d->msgs = m;
		d->cap = cap;
	}
	d->msgs[d->n++] = (struct pop3_msg){ .uid = e->uid, .message_id = e->message_id,
	                                     .size = e->size,
	                                     .prefix_len = (uint16_t)e->prefix_len };
	d->octets += e->size;
	return 0;
}

int pop3_maildrop_load(struct store *st, int64_t person_id, struct pop3_maildrop *d)
{
	struct store_mailbox mb;
	if (store_mailbox_find(st, person_id, "INBOX", &mb) < 0)
		return -1;
	d->mailbox_id = mb.id;
	d->uidvalidity = mb.uidvalidity;
	store_mailbox_clear(&mb);
	if (store_entry_list(st, d->mailbox_id, 0, add_entry, d) < 0)
		return -1;
	if (d->short_list) {
		log_error("pop3_maildrop", "error=\"out of memory\" messages=%zu", d->n);
		return -1;
	}
	return 0;
}

enum pop3_open_result pop3_maildrop_lock(const char *run_dir, int64_t person_id,
                                         struct pop3_maildrop **out)
{
	struct pop3_maildrop *d = calloc(1, sizeof *d);
	if (d == NULL) {
		log_error("pop3_maildrop", "error=\"out of memory\"");
		return POP3_OPEN_FAILED;
	}
	int r = take_lock(run_dir, person_id, &d->lock_fd);
	if (r != 0) {
		free(d);
		return r > 0 ? POP3_OPEN_IN_USE : POP3_OPEN_FAILED;
	}
	*out = d;
	return POP3_OPEN_OK;
}

void pop3_maildrop_free(struct pop3_maildrop *d)
{
	if (d == NULL)
		return;
	close(d->lock_fd);    /* releases the flock */
	free(d->msgs);
	free(d);
}

struct pop3_msg *pop3_maildrop_get(struct pop3_maildrop *d, unsigned long num)
{
	if (num == 0 || num > d->n || d->msgs[num - 1].deleted)
		return NULL;
	return &d->msgs[num - 1];
}

void pop3_maildrop_delete(struct pop3_maildrop *d, struct pop3_msg *m)
{
	if (m->deleted)
		return;
	m->deleted = true;
	d->n_deleted++;
	d->octets -= m->size;
}

void pop3_maildrop_reset(struct pop3_maildrop *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->msgs[i].deleted) {
			d->msgs[i].deleted = false;
			d->octets += d->msgs[i].size;
		}
	d->n_deleted = 0;
}

void pop3_maildrop_uidl(const struct pop3_maildrop *d, const struct pop3_msg *m,
                        char out[17])
{
	snprintf(out, 17, "%08" PRIx32 "%08" PRIx32, d->uidvalidity, m->uid);
}

int pop3_maildrop_update(const struct pop3_maildrop *d, struct pop3_update **out)
{
	size_t n = 0;
	*out = NULL;
	for (size_t i = 0; i < d->n; i++)
		n += d->msgs[i].deleted || d->msgs[i].retrieved;
	if (n == 0)
		return 0;
	struct pop3_update *u = malloc(sizeof *u + n * sizeof u->changes[0]);
	if (u == NULL) {
		log_error("pop3_update_nomem", "changes=%zu", n);
		return -1;
	}
	u->mailbox_id = d->mailbox_id;
	u->removed = 0;
	u->n = 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->msgs[i].deleted || d->msgs[i].retrieved)
			u->changes[u->n++] = (struct pop3_change){ d->msgs[i].uid,
			                                           d->msgs[i].deleted };
	*out = u;
	return 0;
}

/* Applies one change inside the transaction; -1 on failure. */
static int apply(struct store *st, struct pop3_update *u, const struct pop3_change *ch)
{
	if (ch->expunge) {
		if (store_entry_expunge(st, u->mailbox_id, ch->uid) == 0 ||
		    store_last_error(st) == STORE_E_NOTFOUND) {
			u->removed++;
			return 0;
		}
		return -1;
	}
	if (store_entry_set_flags(st, u->mailbox_id, ch->uid, STORE_FLAGS_ADD, STORE_FLAG_SEEN,
	                          NULL, NULL) < 0 &&
	    store_last_error(st) != STORE_E_NOTFOUND)
		return -1;
	return 0;
}

int pop3_update_apply(struct store *st, struct pop3_update *u)
{
	u->removed = 0;
	for (size_t i = 0; i < u->n; i++)
		if (apply(st, u, &u->changes[i]) < 0) {
			u->removed = 0;
			return -1;
		}
	return 0;
}
