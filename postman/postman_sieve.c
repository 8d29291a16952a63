/*
 * postman_sieve.c - the person's active Sieve script at delivery
 * (libcommon/sieve.h): run it for one local delivery, then find (or
 * create, for :create) the mailbox a fileinto names and give an entry
 * the flags the script chose.  postman_deliver.c carries out the rest
 * of the actions (redirect, reject, vacation) with what it already
 * does for forwards, bounces and auto-replies.  A script that fails
 * keeps the message in the mailbox it would have gone to without one,
 * and the error is logged for the person.
 */
#include "postman.h"

#include "log.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct box_lookup {
	struct store *st;
	int64_t person_id;
};

static bool mailbox_exists(const char *name, void *arg)
{
	const struct box_lookup *b = arg;
	struct store_mailbox m = { 0 };
	bool yes = store_mailbox_find(b->st, b->person_id, name, &m) == 0;
	store_mailbox_clear(&m);
	return yes;
}

int sieve_deliver_plan(struct store *st, const struct local_delivery *l, const char *rcpt,
                       const char *sender, const char *data, size_t len, int64_t item_id,
                       struct sieve_result *out, bool *scripted)
{
	struct store_sieve_script sc = { 0 };
	struct sieve_error err;
	struct box_lookup box = { st, l->person_id };

	*scripted = false;
	if (store_sieve_get_active(st, l->person_id, &sc) < 0)
		return store_last_error(st) == STORE_E_NOTFOUND ? 0 : -1;
	*scripted = true;
	struct sieve_program *p = sieve_compile(sc.content, strlen(sc.content), &err);
	if (p == NULL) {
		log_warn("sieve_error", "id=%lld rcpt=%s script=%s line=%d col=%d error=%s",
		         (long long)item_id, log_quote(l->address), log_quote(sc.name), err.line,
		         err.col, log_quote(err.text));
	} else {
		time_t now = time(NULL);
		struct tm tm;
		struct sieve_message m = { .data = data, .len = len, .env_from = sender,
		                           .env_to = rcpt, .owner = l->address,
		                           .mailbox_exists = mailbox_exists,
		                           .arg = &box, .now = (int64_t)now };
		if (localtime_r(&now, &tm) != NULL)
			m.local_zone = tm.tm_gmtoff;    /* the date test's default zone */
		if (sieve_run(p, &m, out) < 0)
			log_warn("sieve_error", "id=%lld rcpt=%s script=%s error=%s",
			         (long long)item_id, log_quote(l->address), log_quote(sc.name),
			         log_quote(out->error_text));
		sieve_free(p);
	}
	if (out->n == 0 && (p == NULL || out->error)) {
		/* compile failed, or the run ran out of memory: keep */
		sieve_result_clear(out);
		out->v = calloc(1, sizeof *out->v);
		if (out->v == NULL) {
			store_sieve_clear(&sc);
			return -1;
		}
		out->n = 1;
		out->error = true;
	}
	log_info("sieve", "id=%lld rcpt=%s script=%s actions=%zu", (long long)item_id,
	         log_quote(l->address), log_quote(sc.name), out->n);
	store_sieve_clear(&sc);
	return 0;
}

/* Creates NAME and every missing folder above it ("Lists" for
 * "Lists/ems"), as IMAP CREATE does (RFC 3501 6.3.3). */
static int create_with_parents(struct store *st, int64_t person_id, const char *name,
                               int64_t *id)
{
	char *copy = strdup(name);
	if (copy == NULL)
		return -1;
	for (char *slash = strchr(copy, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		struct store_mailbox m = { 0 };
		*slash = '\0';
		int found = store_mailbox_find(st, person_id, copy, &m);
		store_mailbox_clear(&m);
		if ((found < 0 && store_last_error(st) != STORE_E_NOTFOUND) ||
		    (found < 0 && store_mailbox_create(st, person_id, copy, NULL, NULL) < 0)) {
			free(copy);
			return -1;
		}
		*slash = '/';
	}
	free(copy);
	return store_mailbox_create(st, person_id, name, NULL, id);
}

int sieve_deliver_mailbox(struct store *st, const struct local_delivery *l,
                          const struct sieve_action *a, int64_t item_id, int64_t *id)
{
	struct store_mailbox m = { 0 };
	if (store_mailbox_find(st, l->person_id, a->mailbox, &m) == 0) {
		*id = m.id;
		store_mailbox_clear(&m);
		return 0;
	}
	if (store_last_error(st) != STORE_E_NOTFOUND)
		return -1;
	if (a->create)
		return create_with_parents(st, l->person_id, a->mailbox, id);
	/* RFC 5228 4.1: no such mailbox is an error, and an error keeps */
	log_warn("sieve_error", "id=%lld rcpt=%s error=%s", (long long)item_id,
	         log_quote(l->address), log_quote("fileinto: no such mailbox (use :create)"));
	return 1;
}

/* A keyword is an IMAP atom (RFC 3501 9: flag-keyword). */
static bool keyword_ok(const char *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)k[i] <= 0x20 || (unsigned char)k[i] >= 0x7f ||
		    strchr("(){%*\"\\]", k[i]) != NULL)
			return false;
	return n > 0;
}

static unsigned system_flag(const char *f, size_t n)
{
	static const struct { const char *name; unsigned bit; } sys[] = {
		{ "\\Seen", STORE_FLAG_SEEN }, { "\\Answered", STORE_FLAG_ANSWERED },
		{ "\\Flagged", STORE_FLAG_FLAGGED }, { "\\Deleted", STORE_FLAG_DELETED },
		{ "\\Draft", STORE_FLAG_DRAFT },
	};
	for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
		if (strlen(sys[i].name) == n && strncasecmp(sys[i].name, f, n) == 0)
			return sys[i].bit;
	return 0;
}

int sieve_deliver_flags(struct store *st, int64_t mailbox, uint32_t uid, const char *flags)
{
	char keywords[STORE_KEYWORDS_MAX + 1] = "";
	unsigned bits = 0;
	size_t used = 0;

	for (const char *s = flags ? flags : ""; *s;) {
		size_t skip = strspn(s, " "), n = strcspn(s + skip, " ");
		const char *f = s + skip;
		s = f + n;
		unsigned bit = n > 0 && f[0] == '\\' ? system_flag(f, n) : 0;
		bits |= bit;
		/* other \-flags (\Recent, unknown ones) cannot be set */
		if (bit == 0 && n > 0 && f[0] != '\\' && keyword_ok(f, n) &&
		    used + n + 1 < sizeof keywords)
			used += (size_t)snprintf(keywords + used, sizeof keywords - used, "%s%.*s",
			                         used ? " " : "", (int)n, f);
	}
	if (bits == 0 && used == 0)
		return 0;
	return store_entry_set_flags(st, mailbox, uid, STORE_FLAGS_ADD, bits,
	                             used ? keywords : NULL, NULL);
}
