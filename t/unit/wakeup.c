/* Unit tests for libcommon/wakeup.c: a notification sent after a commit
 * reaches every listener, a dead listener's socket is cleaned up. */
#include "tap.h"
#include "wakeup.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	const char *run = tap_tmpdir();
	int64_t ids[8];
	char stale[600];

	plan(11);
	struct wakeup_listener *a = wakeup_listen(run, "imap4srv01");
	struct wakeup_listener *b = wakeup_listen(run, "imap4srv02");
	ok(a != NULL && b != NULL, "two listeners created");
	is_int((long long)wakeup_read(a, ids, 8), 0, "nothing pending at first");
	is_int(wakeup_mailbox(run, 42), 2, "a change reaches both listeners");
	wakeup_mailbox(run, 7);
	size_t n = wakeup_read(a, ids, 8);
	ok(n == 2 && ids[0] == 42 && ids[1] == 7,
	   "listener a reads both mailbox ids in order");
	n = wakeup_read(b, ids, 8);
	ok(n == 2 && ids[0] == 42, "listener b reads them too");

	/* A listener whose process died leaves its socket file behind. */
	struct wakeup_listener *dead = wakeup_listen(run, "imap4srv03");
	snprintf(stale, sizeof stale, "%s/wakeup/imap4srv03.sock", run);
	close(wakeup_fd(dead));
	is_int(wakeup_mailbox(run, 9), 2, "only live listeners count");
	struct stat st;
	ok(stat(stale, &st) < 0, "the stale socket file was removed");

	/* The notify relay hands a notice on to everyone but itself. */
	struct wakeup_listener *relay = wakeup_listen_on(run, "wakeup", "notifyrelay01");
	wakeup_read(a, ids, 8);
	wakeup_read(b, ids, 8);
	is_int(wakeup_send_except(run, "wakeup", 5, "notifyrelay01"), 2,
	       "a send past the relay reaches the two others");
	is_int((long long)wakeup_read(relay, ids, 8), 0, "and not the relay itself");
	n = wakeup_read(a, ids, 8);
	ok(n == 1 && ids[0] == 5, "listener a got it");
	wakeup_close(relay);
	wakeup_close(a);
	wakeup_close(b);
	wakeup_close(dead); /* fd already closed: frees the record */
	is_int(wakeup_mailbox(run, 1), 0, "no listeners, nobody reached");
	return exit_status();
}
