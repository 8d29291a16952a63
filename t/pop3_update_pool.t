#!/usr/bin/env python3
"""pop3_update_pool.t - pop3srv's UPDATE state (the deletions at QUIT)
runs on the store pool (pop3srv/pop3_quit.c), never on its event loop.

While another process holds the store's write lock, client A's QUIT
waits on it and client B, logged in to the same pop3srv, gets its STAT
answered before A hears anything; once store.busy_timeout_ms has passed
A gets -ERR [SYS/TEMP] and nothing was deleted; with the lock gone the
same deletions commit.  A client that leaves while its QUIT waits breaks
nothing.  SIGTERM lets a QUIT in flight commit and be answered first."""
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emsmail  # noqa: E402
import emstest  # noqa: E402
from emspop import PASSWORD, USER, PopSuite, Raw  # noqa: E402
from emsproto import lock_store  # noqa: E402

t = emstest.Tap()
for prog in ("pop3srv", "smtpgw", "postman"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

OTHER = "other@example.test"
BUSY_MS = 3000


def login(user=USER):
    r = Raw(s.pop_port)
    r.command("USER %s" % user)
    first = r.command("PASS %s" % PASSWORD)
    return r, first


s = PopSuite({"store": {"busy_timeout_ms": BUSY_MS}}, name="pop3pool")
s.admin("insert person username=%s password=%s" % (OTHER, PASSWORD))
s.start_daemons(smtpgw=False)
for subject in ("one", "two", "three"):
    s.deliver(emsmail.make_message(subject))
s.deliver(emsmail.make_message("theirs"), rcpt=OTHER)
t.is_(len(s.wait_messages(USER, 3)), 3, "three messages delivered")
s.start_pop()

# ---- a QUIT waiting on the lock does not hold up another client ----
a, first = login()
t.ok(first.startswith(b"+OK maildrop has 3"), "A logs in")
b, first = login(OTHER)     # before the lock: a login writes to the store
t.ok(first.startswith(b"+OK maildrop has 1"), "B logs in to the same pop3srv")
t.ok(a.command("DELE 1").startswith(b"+OK"), "A marks message 1 deleted")
con = lock_store(s)
a.send("QUIT\r\n")
t.ok(b.command("STAT").startswith(b"+OK 1 "),
     "B's STAT is answered while A's QUIT waits on the lock")
t.ok(a.nothing_yet(), "  before A hears anything")
answer = a.line()
t.ok(answer.startswith(b"-ERR [SYS/TEMP]"),
     "after store.busy_timeout_ms A's QUIT answers -ERR [SYS/TEMP]: %r" % answer)
t.ok(a.line() == b"", "  and the session ends")
con.rollback()
con.close()
a.close()
t.ok("pop3_update_failed" in s.log_text("pop3srv"), "  the failure is logged")

a, first = login()
t.ok(first.startswith(b"+OK maildrop has 3"), "nothing was deleted")

# ---- a client gone while its QUIT waits; A's QUIT commits once the lock goes ----
t.ok(b.command("QUIT").startswith(b"+OK"), "B signs off (nothing to change)")
b.close()
gone, _ = login(OTHER)
t.ok(gone.command("DELE 1").startswith(b"+OK"), "a third client marks OTHER's message")
t.ok(a.command("DELE 1").startswith(b"+OK"), "A marks message 1 again")
con = lock_store(s)
gone.send("QUIT\r\n")
gone.close()
a.send("QUIT\r\n")
con.rollback()
con.close()
t.ok(a.line().startswith(b"+OK signing off (1 messages removed)"),
     "A's QUIT commits once the lock is released")
a.close()
t.ok(s.pop.poll() is None, "pop3srv still runs")
left = len(s.messages(OTHER))
t.ok(left in (0, 1), "the gone client's deletion is whole or absent (%d left)" % left)
a, first = login()
t.ok(first.startswith(b"+OK maildrop has 2"), "the next session of A sees two messages")

# ---- SIGTERM: the QUIT in flight commits and is answered before exit ----
t.ok(a.command("DELE 1").startswith(b"+OK"), "A marks a message")
con = lock_store(s)
a.send("QUIT\r\n")
s.pop.send_signal(signal.SIGTERM)
t.ok(emstest.wait_for(lambda: "worker_stop" in s.log_text("pop3srv")),
     "SIGTERM is taken while the QUIT waits on the lock")
con.rollback()
con.close()
t.ok(a.line().startswith(b"+OK signing off (1 messages removed)"),
     "  the QUIT in flight is answered before pop3srv exits")
try:
    s.pop.wait(emstest.DEFAULT_TIMEOUT)
except Exception:
    pass
t.is_(s.pop.returncode, 0, "  and pop3srv exits cleanly")
t.is_(len(s.messages(USER)), 1, "  with the deletion committed")
a.close()
s.stop()
t.done()
