/* Unit tests for libcommon/store_checkpointer.c on an SQLite store: with
 * no checkpointer, commits past the mark still checkpoint inline, so all
 * but the last STORE_WAL_CHECKPOINT_PAGES or so of what they wrote is in
 * the database file; with one running, the checkpoints are the thread's
 * and the log stays under STORE_WAL_INLINE_PAGES; a PostgreSQL store
 * starts none. */
#include "store.h"
#include "store_checkpointer.h"
#include "store_internal.h"
#include "log.h"
#include "tap.h"

#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Commits of about 100 KB each: some 3,000 log pages in all. */
#define FILL_COMMITS 120
#define FILL_SQL "INSERT INTO t_fill VALUES (randomblob(100000))"
#define PAGE 4096
/* How long the thread may take for its first checkpoint. */
#define WAIT_S 30

static char path[4096];

static long long file_bytes(const char *suffix)
{
	char name[4200];
	struct stat sb;
	snprintf(name, sizeof name, "%s%s", path, suffix);
	return stat(name, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* Whether GREW, the bytes the database file grew by during a fill(),
 * holds what it wrote but for at most SLACK_PAGES still in the log. */
static bool checkpointed(long long grew, long long slack_pages)
{
	return grew >= FILL_COMMITS * 100000LL - slack_pages * PAGE;
}


static int fill(struct store *st)
{
	for (int i = 0; i < FILL_COMMITS; i++)
		if (store_exec(st, FILL_SQL) < 0)
			return -1;
	return 0;
}

/* Runs fill() and returns how many bytes the database file grew by, or
 * -1 when a commit failed. */
static long long fill_grew(struct store *st)
{
	long long before = file_bytes("");
	return fill(st) == 0 ? file_bytes("") - before : -1;
}

static void test_inline(struct store *st)
{
	long long grew = fill_grew(st);
	ok(grew >= 0, "%d commits of 100 KB without a checkpointer", FILL_COMMITS);
	ok(checkpointed(grew, 2 * STORE_WAL_CHECKPOINT_PAGES),
	   "  they checkpoint inline: the database file grew by %lld bytes", grew);
	is_int((long long)store_checkpointer_runs(), 0, "  no thread ran one");
}

static void test_thread(struct store *st)
{
	ok(store_checkpointer_start("sqlite", path), "a checkpointer starts");
	ok(store_checkpointer_start(NULL, path), "  a second user shares it");
	long long grew = fill_grew(st);
	ok(grew >= 0, "  %d commits of 100 KB", FILL_COMMITS);
	time_t until = time(NULL) + WAIT_S;
	while (store_checkpointer_runs() == 0 && time(NULL) < until)
		usleep(10000);
	ok(store_checkpointer_runs() > 0, "  the thread checkpointed (%lu runs)",
	   store_checkpointer_runs());
	ok(checkpointed(grew, STORE_WAL_INLINE_PAGES),
	   "  the log stays under %d pages (the file grew by %lld bytes)",
	   STORE_WAL_INLINE_PAGES, grew);
	store_checkpointer_stop();
	ok(store_checkpointer_wake(), "  one user left: it still runs");
	store_checkpointer_stop();
	ok(!store_checkpointer_wake(), "  the last stop ends it: commits checkpoint inline again");
	grew = fill_grew(st);
	ok(checkpointed(grew, 2 * STORE_WAL_CHECKPOINT_PAGES),
	   "  and they do (the file grew by %lld bytes)", grew);
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	ok(!store_checkpointer_start("postgresql", "dbname=x"),
	   "a PostgreSQL store needs no checkpointer");
	snprintf(path, sizeof path, "%s/store.db", tap_tmpdir());
	struct store *st = store_open_backend("sqlite", path, 2000);
	if (st == NULL || store_exec(st, "CREATE TABLE t_fill(b BLOB)") < 0)
		skip_all("cannot set up a store");
	test_inline(st);
	test_thread(st);
	store_close(st);
	done_testing();
	return exit_status();
}
