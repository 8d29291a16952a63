/*
 * imap_cmd_append.c - APPEND: flags, internal date and a literal message
 * (which imap_command.c has read whole, within APPENDLIMIT, before this
 * runs: a dropped connection stores nothing).  A small message is in the
 * command buffer; a larger one in a spool file (libcommon/spool.h) that
 * the store copies in by chunks.  The store work runs on the store pool
 * (imap_job.h): the message is parsed once there, stored with its
 * structure and its entry in one transaction, and answered with
 * UIDPLUS's APPENDUID (RFC 4315) after the commit.
 */
#include "imap_commands.h"
#include "imap_date.h"
#include "imap_flags.h"
#include "imap_job.h"
#include "imap_message.h"
#include "imap_names.h"
#include "imap_quota.h"
#include "log.h"
#include "spool.h"
#include "store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct append_args {
	char name[IMAP_NAME_MAX + 1];
	struct imap_flagset flags;
	int64_t date;
	struct imap_str data;       /* the message, unless spooled */
	struct spool *spool;        /* the message, when spooled */
	size_t size;
};

/* The message: a literal, or a literal8 ("~{n}"), in the command buffer
 * or, when it was large, in the client's spool. */
static int message(struct imap_client *c, struct append_args *a)
{
	struct imap_parser *p = &c->active.p;
	bool eight = imap_p_peek(p, '~');
	uint32_t n;
	if (p->pos + eight == p->spooled_at) {
		p->pos += eight;
		if (imap_p_spooled(p, &n) < 0)
			return -1;
		a->spool = c->spool;
		a->size = (size_t)spool_size(a->spool);
		return 0;
	}
	if (!eight && !imap_p_peek(p, '{')) {
		p->error = "the message must be a literal";
		return -1;
	}
	if ((eight ? imap_p_literal8(p, &a->data) : imap_p_string(p, &a->data)) < 0)
		return -1;
	a->size = a->data.len;
	return 0;
}

/* mailbox [SP flag-list] [SP date-time] SP (literal / literal8 / "UTF8" SP
 * "(" literal8 ")"); 0, -1 bad syntax,
 * -2 bad name (*WHY). */
static int append_args(struct imap_client *c, struct append_args *a, const char **why)
{
	struct imap_parser *p = &c->active.p;
	struct imap_str d;
	int e;
	a->date = (int64_t)time(NULL);
	a->flags.flags = 0;
	a->flags.keywords[0] = '\0';
	if (imap_p_sp(p) < 0 || (e = imap_p_mailbox(p, a->name, why)) == -1 || imap_p_sp(p) < 0)
		return -1;
	if (imap_p_peek(p, '(') && (imap_p_flag_list(p, false, &a->flags) < 0 || imap_p_sp(p) < 0))
		return -1;
	if (imap_p_peek(p, '"')) {
		if (imap_p_string(p, &d) < 0 || imap_p_sp(p) < 0)
			return -1;
		if (imap_date_time_parse(d.p, d.len, &a->date) < 0) {
			p->error = "bad date-time";
			return -1;
		}
	}
	/* UTF8 (~{n}): a message with UTF-8 headers (RFC 6855 4) */
	if (imap_p_word(p, "UTF8")) {
		if (imap_p_sp(p) < 0 || imap_p_open(p) < 0)
			return -1;
		if (!imap_p_peek(p, '~')) {
			p->error = "expected a literal8";
			return -1;
		}
		if (message(c, a) < 0 || imap_p_close(p) < 0 || imap_p_end(p) < 0)
			return -1;
		return e;
	}
	/* a literal8 is binary content (RFC 3516 4.4) */
	if (message(c, a) < 0 || imap_p_end(p) < 0)
		return -1;
	return e;
}

/* What the pool thread needs: everything copied or handed over, since
 * the client may be gone before the job ends. */
struct append_job {
	char name[IMAP_NAME_MAX + 1];
	int64_t person;
	int64_t mailbox_id;             /* found by the job */
	uint32_t uidvalidity;
	const char *refused;            /* the job's own NO: no such mailbox, quota */
	struct imap_flagset flags;
	int64_t date;
	struct spool *spool;        /* the message, when spooled */
	char *data;                 /* else a copy of it */
	size_t size;
	uint32_t uid;               /* the result */
};

static void job_free(void *arg)
{
	struct append_job *j = arg;
	spool_free(j->spool);
	free(j->data);
	free(j);
}

/* The mailbox and the quota, read inside the write's transaction: 0,
 * or -1 with J->refused set, or after a store failure. */
static int check(struct store *st, struct append_job *j)
{
	struct store_mailbox mb;
	if (store_mailbox_find(st, j->person, j->name, &mb) < 0) {
		if (store_last_error(st) == STORE_E_NOTFOUND)
			j->refused = "[TRYCREATE] no such mailbox";
		return -1;
	}
	j->mailbox_id = mb.id;
	j->uidvalidity = mb.uidvalidity;
	store_mailbox_clear(&mb);
	int q = imap_quota_check(st, j->person, (int64_t)j->size, 1);
	if (q > 0)
		j->refused = "[OVERQUOTA] the quota does not allow it";
	return q == 0 ? 0 : -1;
}

/* On a pool thread, inside the group's transaction: the message (parsed
 * here, once) and its entry. */
static int run(struct store *st, void *arg)
{
	struct append_job *j = arg;
	void *structure = NULL;
	size_t slen = 0;
	int64_t id;
	if (check(st, j) < 0)
		return -1;
	if (j->spool != NULL)
		structure = spool_structure(j->spool, &slen);
	else
		imap_message_parse(j->data, j->size, &structure, &slen);
	int r = j->spool != NULL
	        ? store_message_adopt(st, j->spool, j->date, structure, slen, &id)
	        : store_message_put(st, j->data, j->size, j->date, structure, slen, &id);
	free(structure);
	if (r < 0)
		return -1;
	return store_entry_append(st, j->mailbox_id, id, j->flags.flags | STORE_FLAG_RECENT,
	                          j->flags.keywords, j->date, &j->uid);
}

/* Back on the loop, once committed. */
static enum cmd_result apply(struct imap_client *c, void *arg, int rc, enum store_error err)
{
	struct append_job *j = arg;
	if (rc < 0 && j->refused != NULL)
		return imap_done(c, "NO", "%s", j->refused);
	if (rc < 0)
		return imap_job_failed(c, err);
	imap_server_notify(c->srv, j->mailbox_id);
	log_info("imap_append", "session=%s mailbox=%s uid=%u size=%zu",
	         c->session, log_quote(j->name), j->uid, j->size);
	return imap_done(c, "OK", "[APPENDUID %u %u] APPEND completed", j->uidvalidity, j->uid);
}

static const struct imap_job_ops append_ops = { STORE_JOB_WRITE, run, apply, job_free };

/* The job for A; takes the client's spool.  NULL when out of memory. */
static struct append_job *job_new(struct imap_client *c, const struct append_args *a)
{
	struct append_job *j = calloc(1, sizeof *j);
	if (j == NULL)
		return NULL;
	snprintf(j->name, sizeof j->name, "%s", a->name);
	j->person = c->person_id;
	j->flags = a->flags;
	j->date = a->date;
	j->size = a->size;
	if (a->spool != NULL) {
		j->spool = c->spool;
		c->spool = NULL;
	} else if ((j->data = malloc(a->size)) != NULL) {
		memcpy(j->data, a->data.p, a->size);
	} else {
		free(j);
		return NULL;
	}
	return j;
}

enum cmd_result imap_cmd_append(struct imap_client *c)
{
	struct append_args a = { .spool = NULL };
	const char *why = NULL;
	int e = append_args(c, &a, &why);
	if (e == -1)
		return imap_bad_syntax(c);
	if (e == -2)
		return imap_done(c, "NO", "[CANNOT] %s", why);
	if (a.size == 0)
		return imap_done(c, "NO", "[CANNOT] an empty message cannot be stored");
	/* the mailbox and the quota are checked in the job's transaction */
	struct append_job *j = job_new(c, &a);
	if (j == NULL)
		return imap_done(c, "NO", "[SERVERBUG] out of memory");
	return imap_job_start(c, &append_ops, j);
}
