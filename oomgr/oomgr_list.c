/*
 * oomgr_list.c - the `list` and `show` statements of oomgr: what the
 * directory holds, what a mailbox holds, and one message as stored.
 *
 *   list domain;   list person [domain=NAME];   list alias [domain=NAME];
 *   list dlist [domain=NAME];   list folder username=NAME;
 *   list message username=NAME [folder=INBOX];
 *   show message username=NAME [folder=INBOX] uid=N;
 *
 * Objects may be written in the plural ("list persons").  Without
 * domain=, lists of persons, aliases and lists cover the connected domain,
 * or every domain before a connect.  See oomgr(8).
 */
#include "oomgr_admin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Header bytes read to find a message's Subject for `list message`. */
#define LIST_HEADER_PEEK 8192
/* Width of the subject column. */
#define LIST_SUBJECT_MAX 60
/* Chunk size of `show message` (streams big messages). */
#define SHOW_CHUNK 65536

/* True when word 1 of ST is OBJECT or its plural. */
static bool object_is(const struct oomgr_stmt *st, const char *object)
{
	const char *w = stmt_word(st, 1);
	size_t n = strlen(object);
	return w != NULL && strncasecmp(w, object, n) == 0 &&
	       (w[n] == '\0' || strcasecmp(w + n, "s") == 0 ||
	        strcasecmp(w + n, "es") == 0);
}

static int print_domain(const struct store_domain *d, void *arg)
{
	(void)arg;
	printf("%-32s %s\n", d->name, d->description);
	return 0;
}

static void format_size(int64_t bytes, char *out, size_t len)
{
	if (bytes == 0)
		snprintf(out, len, "-");
	else if (bytes % (1024 * 1024) == 0)
		snprintf(out, len, "%lldM", (long long)(bytes / (1024 * 1024)));
	else
		snprintf(out, len, "%lld", (long long)bytes);
}

/* "pop,imap,lmtp" for the service bits S. */
static void format_services(unsigned s, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s%s", s & STORE_SVC_POP ? ",pop" : "",
	         s & STORE_SVC_IMAP ? ",imap" : "", s & STORE_SVC_LMTP ? ",lmtp" : "",
	         s == 0 ? ",none" : "");
	memmove(out, out + 1, strlen(out));
}

static int print_person(const struct store_person *p, void *arg)
{
	char quota[32], addr[600], services[32];
	int64_t used = 0, count = 0;

	store_person_usage(arg, p->id, &used, &count);
	format_size(p->quota_bytes, quota, sizeof quota);
	format_services(p->services, services, sizeof services);
	snprintf(addr, sizeof addr, "%s@%s", p->username, p->domain);
	printf("%-32s used=%lld/%s messages=%lld/%lld services=%s%s%s%s%s\n", addr,
	       (long long)used, quota, (long long)count, (long long)p->quota_messages,
	       services, p->admin ? " admin" : "", p->autoreply[0] ? " autoreply" : "",
	       p->forward_to[0] ? " forward=" : "", p->forward_to);
	return 0;
}

struct in_domain {
	struct store *store;
	const char *domain;
	int (*each)(struct store *s, const char *domain);
};

static int each_domain(const struct store_domain *d, void *arg)
{
	const struct in_domain *w = arg;
	return w->each(w->store, d->name) < 0 ? 1 : 0;
}

/* Runs EACH for the domain= of ST, the connected domain, or all. */
static int for_domains(struct store *s, const struct oomgr_stmt *st,
                       int (*each)(struct store *s, const char *domain))
{
	struct in_domain w = { s, NULL, each };
	const char *d = stmt_param(st, "domain");

	if (d == NULL)
		d = admin_domain();
	if (d != NULL)
		return each(s, d);
	return store_domain_list(s, each_domain, &w);
}

static int print_alias(const char *name, const char *target, void *arg)
{
	char addr[600];
	snprintf(addr, sizeof addr, "%s@%s", name, (const char *)arg);
	printf("%-32s -> %s\n", addr, target);
	return 0;
}

static int list_aliases(struct store *s, const char *domain)
{
	return store_alias_list(s, domain, print_alias, (void *)domain) < 0
	           ? admin_failed(s, "alias list of", domain) : 0;
}

static int print_member(const char *address, void *arg)
{
	(void)arg;
	printf("%-32s   %s\n", "", address);
	return 0;
}

struct dlist_walk {
	const char *domain;
	int64_t ids[256];
	size_t n;
};

static int collect_dlist(int64_t id, const char *name, const char *description,
                         void *arg)
{
	struct dlist_walk *w = arg;
	(void)name;
	(void)description;
	if (w->n < sizeof w->ids / sizeof w->ids[0])
		w->ids[w->n++] = id;
	return 0;
}

struct dlist_print {
	int64_t id;
	const char *domain;
};

static int print_dlist(int64_t id, const char *name, const char *description,
                       void *arg)
{
	const struct dlist_print *p = arg;
	char addr[600];
	if (id != p->id)
		return 0;
	snprintf(addr, sizeof addr, "%s@%s", name, p->domain);
	printf("%-32s %s\n", addr, description);
	return 1;
}

static int list_dlists(struct store *s, const char *domain)
{
	/* Members are read after the walk: a list callback may not start
	 * another walk of the same kind. */
	struct dlist_walk w = { .domain = domain };
	if (store_dlist_list(s, domain, collect_dlist, &w) < 0)
		return admin_failed(s, "lists of", domain);
	for (size_t i = 0; i < w.n; i++) {
		struct dlist_print p = { w.ids[i], domain };
		if (store_dlist_list(s, domain, print_dlist, &p) < 0 ||
		    store_dlist_members(s, w.ids[i], print_member, NULL) < 0)
			return admin_failed(s, "lists of", domain);
	}
	return 0;
}

static int list_persons(struct store *s, const char *domain)
{
	return store_person_list(s, domain, print_person, s) < 0
	           ? admin_failed(s, "persons of", domain) : 0;
}

static int print_folder(const struct store_mailbox *m, void *arg)
{
	(void)arg;
	printf("%-24s uidvalidity=%u uidnext=%u %s%s\n", m->name, m->uidvalidity,
	       m->uidnext, m->special_use, m->subscribed ? "" : " unsubscribed");
	return 0;
}

/* The person's folder FOLDER (INBOX when NULL) into *MAILBOX_ID. */
static int find_folder(struct oomgr *o, const struct oomgr_stmt *st,
                       int64_t *mailbox_id)
{
	struct store_person p = { 0 };
	struct store_mailbox m = { 0 };
	const char *name = admin_required(st, "username");
	const char *folder = stmt_param(st, "folder");

	if (name == NULL || admin_find_person(o, name, &p) < 0)
		return -1;
	int r = store_mailbox_find(admin_store(o), p.id, folder ? folder : "INBOX", &m);
	store_person_clear(&p);
	if (r < 0)
		return admin_failed(admin_store(o), "folder", folder ? folder : "INBOX");
	*mailbox_id = m.id;
	store_mailbox_clear(&m);
	return 0;
}

/* The unfolded Subject of the header in BUF (LEN bytes) into OUT. */
static void subject_of(const char *buf, size_t len, char *out, size_t outlen)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i + 8 < len; i++) {
		if ((i == 0 || buf[i - 1] == '\n') && (buf[i] == '\r' || buf[i] == '\n'))
			return;   /* end of the header */
		if ((i == 0 || buf[i - 1] == '\n') && strncasecmp(buf + i, "Subject:", 8) == 0) {
			for (i += 8; i < len && (buf[i] == ' ' || buf[i] == '\t'); i++)
				;
			for (; i < len && o + 1 < outlen; i++) {
				if (buf[i] == '\n' && (i + 1 >= len || (buf[i + 1] != ' ' && buf[i + 1] != '\t')))
					break;
				if (buf[i] != '\r' && buf[i] != '\n')
					out[o++] = isspace((unsigned char)buf[i]) ? ' ' : buf[i];
			}
			out[o] = '\0';
			return;
		}
	}
}

struct message_walk {
	struct store *store;
};

static int print_entry(const struct store_entry *e, void *arg)
{
	const struct message_walk *w = arg;
	static char head[LIST_HEADER_PEEK];
	char subject[LIST_SUBJECT_MAX + 1], date[32];
	time_t t = (time_t)e->internal_date;
	static struct store_entry_msg src;
	store_entry_msg_init(&src, e);
	ssize_t n = store_entry_read(w->store, &src, 0, head, sizeof head);

	subject_of(head, n > 0 ? (size_t)n : 0, subject, sizeof subject);
	strftime(date, sizeof date, "%Y-%m-%d %H:%M", localtime(&t));
	char flags[7];
	snprintf(flags, sizeof flags, "%c%c%c%c%c%c",
	         e->flags & STORE_FLAG_SEEN ? 'S' : '-',
	         e->flags & STORE_FLAG_ANSWERED ? 'A' : '-',
	         e->flags & STORE_FLAG_FLAGGED ? 'F' : '-',
	         e->flags & STORE_FLAG_DELETED ? 'D' : '-',
	         e->flags & STORE_FLAG_DRAFT ? 'T' : '-',
	         e->flags & STORE_FLAG_RECENT ? 'R' : '-');
	printf("%6u %9lld %8lld %-6s %-16s %s\n", e->uid, (long long)e->size,
	       (long long)e->message_id, flags, date, subject);
	return 0;
}

static int list_messages(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { "username", "folder", NULL };
	struct message_walk w;
	int64_t mailbox_id;

	if (admin_check_params(st, known) < 0 || find_folder(o, st, &mailbox_id) < 0)
		return -1;
	w.store = admin_store(o);
	printf("%6s %9s %8s %-6s %-16s %s\n", "UID", "SIZE", "MESSAGE", "FLAGS", "DATE",
	       "SUBJECT");
	if (store_entry_list(w.store, mailbox_id, 0, print_entry, &w) < 0)
		return admin_failed(w.store, "folder", "listing");
	return 0;
}

static int list_folders(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { "username", NULL };
	struct store_person p = { 0 };
	const char *name;

	if (admin_stmt_person(o, st, known, &name, &p) < 0)
		return -1;
	int r = store_mailbox_list(admin_store(o), p.id, print_folder, NULL);
	store_person_clear(&p);
	return r < 0 ? admin_failed(admin_store(o), "folders of", name) : 0;
}

int oomgr_list(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const by_domain[] = { "domain", NULL };
	struct store *s;

	if (object_is(st, "message"))
		return list_messages(o, st);
	if (object_is(st, "folder"))
		return list_folders(o, st);
	if (admin_check_params(st, by_domain) < 0 || (s = admin_store(o)) == NULL)
		return -1;
	if (object_is(st, "domain"))
		return store_domain_list(s, print_domain, NULL) < 0
		           ? admin_failed(s, "domain", "list") : 0;
	if (object_is(st, "person"))
		return for_domains(s, st, list_persons);
	if (object_is(st, "alias"))
		return for_domains(s, st, list_aliases);
	if (object_is(st, "dlist") || object_is(st, "list"))
		return for_domains(s, st, list_dlists);
	return oomgr_fail("list what? list domain | person | alias | dlist | folder "
	                  "| message ...;");
}

/* Writes the message of entry E (its prefix included) to stdout, in chunks. */
static int write_message(struct store *s, const struct store_entry *e)
{
	static char buf[SHOW_CHUNK];
	static struct store_entry_msg src;
	size_t off = 0;
	ssize_t n;

	store_entry_msg_init(&src, e);
	while ((n = store_entry_read(s, &src, off, buf, sizeof buf)) > 0) {
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return oomgr_fail("Cannot write the message to standard output.");
		off += (size_t)n;
	}
	return n < 0 ? admin_failed(s, "message", "read") : 0;
}

int oomgr_show(struct oomgr *o, const struct oomgr_stmt *st)
{
	static const char *const known[] = { "username", "folder", "uid", NULL };
	struct store_entry e = { 0 };
	int64_t mailbox_id, uid;
	const char *u;

	if (!object_is(st, "message"))
		return oomgr_fail("show what? show message username=NAME [folder=F] uid=N;");
	if (admin_check_params(st, known) < 0 || (u = admin_required(st, "uid")) == NULL ||
	    admin_parse_count("uid", u, &uid) < 0 || find_folder(o, st, &mailbox_id) < 0)
		return -1;
	if (uid == 0 || uid > UINT32_MAX ||
	    store_entry_get(admin_store(o), mailbox_id, (uint32_t)uid, &e) < 0)
		return oomgr_fail("No message with uid %s in that folder.", u);
	int r = write_message(admin_store(o), &e);
	store_entry_clear(&e);
	fflush(stdout);
	return r;
}
