/* Unit tests for collector/collector_run.c on a real store: a message
 * whose every copy is expunged is removed, one still referenced stays,
 * finished queue rows go, the file does not grow over deliver/expunge
 * cycles, and APPEND/COPY/EXPUNGE running in another process while the
 * collector runs lose nothing. */
#include "tap.h"
#include "../../collector/collector.h"
#include "store.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUSY_MS 10000
/* Messages the concurrent writer appends, copies and expunges. */
#define CONCURRENT_N 150

static const struct collector_settings now_settings = {
	.interval_s = 3600, .expunged_keep_s = 0, .queue_keep_s = 0,
	.message_grace_s = 0, .statistics_keep_s = 3600, .batch = 7,
	.vacuum_pages = 64,
};

static char path[4096];

/* The collector's "now": one second ahead, so that what was expunged or
 * stored in this second is already past a retention of 0. */
static int64_t later(void)
{
	return (int64_t)time(NULL) + 1;
}

static int collect(struct store *st)
{
	struct collector_result res;
	return collector_run(st, &now_settings, later(), &res);
}

static int64_t put(struct store *st, const char *text, size_t pad)
{
	size_t len = strlen(text) + pad;
	char *buf = malloc(len + 1);
	int64_t id = -1;
	memset(buf, 'x', len);
	memcpy(buf, text, strlen(text));
	if (store_message_put(st, buf, len, (int64_t)time(NULL), NULL, 0, &id) < 0)
		id = -1;
	free(buf);
	return id;
}

static bool message_exists(struct store *st, int64_t id)
{
	int64_t size, refs;
	return store_message_info(st, id, &size, &refs) == 0;
}

static int64_t mailbox(struct store *st, int64_t person, const char *name)
{
	struct store_mailbox m = { 0 };
	int64_t id = -1;
	if (store_mailbox_find(st, person, name, &m) == 0)
		id = m.id;
	store_mailbox_clear(&m);
	return id;
}

static int64_t file_bytes(void)
{
	char wal[4200];
	struct stat a, b;
	snprintf(wal, sizeof wal, "%s-wal", path);
	return (stat(path, &a) == 0 ? a.st_size : 0) + (stat(wal, &b) == 0 ? b.st_size : 0);
}

static void test_references(struct store *st, int64_t inbox, int64_t archive)
{
	uint32_t uid, copy;
	int64_t id = put(st, "shared message\r\n\r\nbody", 100);
	ok(id > 0 && store_entry_append(st, inbox, id, 0, NULL, 0, &uid) == 0 &&
	   store_entry_copy(st, inbox, uid, archive, &copy) == 0, "a message in two mailboxes");
	store_entry_expunge(st, inbox, uid);
	ok(collect(st) == 0, "the collector runs");
	ok(message_exists(st, id), "a message one mailbox still references survives");
	void *data = NULL;
	size_t len = 0;
	ok(store_message_get(st, id, &data, &len) == 0 && len > 0 &&
	   memcmp(data, "shared message", 14) == 0, "and reads back whole");
	free(data);
	store_entry_expunge(st, archive, copy);
	collect(st);
	ok(!message_exists(st, id), "gone once every copy is expunged");
}

static void test_queue(struct store *st)
{
	const char *rcpt = "ann@example.test";
	int64_t item, msg;
	struct store_queue_item q = { 0 };
	ok(store_queue_add(st, STORE_QUEUE_SUBMISSION, "s@outside.example", &rcpt, 1,
	                   "queued\r\n\r\nx", 11, (int64_t)time(NULL), &item) == 0 &&
	   store_queue_next(st, STORE_QUEUE_SUBMISSION, (int64_t)time(NULL), 60, &q) == 0,
	   "a queued item taken");
	msg = q.message_id;
	store_queue_item_clear(&q);
	collect(st);
	ok(message_exists(st, msg), "the message of a queued item stays");
	store_queue_done(st, STORE_QUEUE_SUBMISSION, item);
	struct collector_result res;
	collector_run(st, &now_settings, later(), &res);
	ok(res.queue >= 1, "the finished queue row is purged");
	ok(!message_exists(st, msg), "and then its message");
}

static void test_growth(struct store *st, int64_t inbox)
{
	int64_t early = 0;
	char text[64];
	for (int cycle = 0; cycle < 30; cycle++) {
		uint32_t uids[10];
		for (int i = 0; i < 10; i++) {
			snprintf(text, sizeof text, "cycle %d message %d\r\n\r\n", cycle, i);
			int64_t id = put(st, text, 40000);
			store_entry_append(st, inbox, id, 0, NULL, 0, &uids[i]);
		}
		for (int i = 0; i < 10; i++)
			store_entry_expunge(st, inbox, uids[i]);
		collect(st);
		if (cycle == 4)
			early = file_bytes();
	}
	int64_t late = file_bytes();
	diag("store after 5 cycles: %lld bytes, after 30: %lld", (long long)early,
	     (long long)late);
	/* Uncollected, 30 cycles of 400 kB would make the file six times the
	 * size it has after 5. */
	ok(early > 0 && late < 2 * early, "the file does not grow over 30 cycles");
	int64_t pages, free_pages, page_size;
	store_page_counts(st, &pages, &free_pages, &page_size);
	is_int(free_pages, 0, "no free pages left after the incremental vacuum");
}

/* The other process: APPEND (put + entry in one transaction), COPY to
 * Archive, EXPUNGE the original, and a junk message appended and
 * expunged, CONCURRENT_N times, retrying what the busy store refuses. */
static void __attribute__((noreturn)) writer(int64_t inbox, int64_t archive)
{
	struct store *st = store_open(path, BUSY_MS);
	char text[64];
	if (st == NULL)
		_exit(2);
	for (int i = 0; i < CONCURRENT_N; i++) {
		uint32_t uid = 0, copy, junk;
		snprintf(text, sizeof text, "concurrent %d\r\n\r\n", i);
		for (;;) {
			int64_t id;
			if (store_begin(st) == 0 && (id = put(st, text, 500)) > 0 &&
			    store_entry_append(st, inbox, id, 0, NULL, 0, &uid) == 0 &&
			    store_commit(st) == 0)
				break;
			store_rollback(st);
		}
		while (store_entry_copy(st, inbox, uid, archive, &copy) < 0)
			;
		while (store_entry_expunge(st, inbox, uid) < 0)
			;
		snprintf(text, sizeof text, "junk %d\r\n\r\n", i);
		for (;;) {
			int64_t jid;
			if (store_begin(st) == 0 && (jid = put(st, text, 500)) > 0 &&
			    store_entry_append(st, inbox, jid, 0, NULL, 0, &junk) == 0 &&
			    store_commit(st) == 0)
				break;
			store_rollback(st);
		}
		while (store_entry_expunge(st, inbox, junk) < 0)
			;
	}
	store_close(st);
	_exit(0);
}

struct check {
	struct store *st;
	int entries, readable;
};

static int check_entry(const struct store_entry *e, void *arg)
{
	struct check *c = arg;
	void *data = NULL;
	size_t len = 0;
	c->entries++;
	if (store_message_get(c->st, e->message_id, &data, &len) == 0 &&
	    len > 12 && memcmp(data, "concurrent ", 11) == 0)
		c->readable++;
	free(data);
	return 0;
}

static void test_concurrent(struct store *st, int64_t inbox, int64_t archive)
{
	int runs = 0, status = 0;
	pid_t pid = fork();
	if (pid == 0)
		writer(inbox, archive);
	/* Collect as often as possible while the writer works. */
	while (waitpid(pid, &status, WNOHANG) == 0) {
		collect(st);
		runs++;
	}
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer finished its work");
	diag("collector runs during the writer: %d", runs);
	ok(runs >= 1, "the collector ran while it worked");
	collect(st);
	struct check c = { st, 0, 0 };
	store_entry_list(st, archive, 0, check_entry, &c);
	is_int(c.entries, CONCURRENT_N, "every copied message is in Archive");
	is_int(c.readable, CONCURRENT_N, "and every one of them reads back");
	struct store_mailbox_counts counts;
	store_mailbox_counts(st, inbox, &counts);
	is_int(counts.messages, 0, "INBOX is empty");
}

int main(void)
{
	int64_t person;
	snprintf(path, sizeof path, "%s/store.db", tap_tmpdir());
	struct store *st = store_open(path, BUSY_MS);
	ok(st != NULL && store_domain_add(st, "example.test", "", NULL) == 0 &&
	   store_person_add(st, "example.test", "ann", "pw", &person) == 0, "a store with ann");
	if (st == NULL)
		return exit_status();
	int64_t inbox = mailbox(st, person, "INBOX");
	int64_t archive;
	store_mailbox_create(st, person, "Archive", NULL, &archive);
	test_references(st, inbox, archive);
	test_queue(st);
	test_growth(st, inbox);
	test_concurrent(st, inbox, archive);
	store_close(st);
	done_testing();
	return exit_status();
}
