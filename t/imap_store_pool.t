#!/usr/bin/env python3
"""imap_store_pool.t - imap4srv's store writes run on the store pool
(libcommon/store_pool.h, imap4srv/imap_job.h), never on its event loop.

Pipelined STORE/FETCH/EXPUNGE on one connection are answered in order
with the right results.  While another process holds the store's write
lock, client A's STORE waits on it and client B's NOOP is answered
before A hears anything; a client that leaves while its STORE waits
breaks nothing and its change is whole; a STORE that waits longer than
store.busy_timeout_ms answers NO [UNAVAILABLE] and succeeds once the
lock is gone, and one the store refuses for another reason answers
NO [SERVERBUG] and the session goes on; SIGTERM lets the STORE in
flight finish and answers it before imap4srv exits.  A SELECT whose
\\Recent claim meets the lock is answered at once without it."""
import os
import re
import signal
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402
from emsproto import lock_store  # noqa: E402

t = emstest.Tap()
if not os.access(os.path.join(emstest.BIN, "imap4srv"), os.X_OK):
    t.skip_all("imap4srv is not built")

MESSAGE = "From: a@example.test\r\nSubject: m%d\r\n\r\nbody %d\r\n"


def flags_of(conn, tag, seqs):
    """{seq: flags text} from FETCH SEQS FLAGS."""
    lines, done = conn.command(tag, "FETCH %s FLAGS" % seqs)
    out = {}
    for ln in lines:
        m = re.match(rb"\* (\d+) FETCH \(FLAGS \(([^)]*)\)", ln)
        if m:
            out[int(m.group(1))] = m.group(2).decode()
    return out


def fill(suite, n):
    c = suite.raw()
    for i in range(n):
        c.append("a%d" % i, MESSAGE % (i, i))
    c.close()


# ---- one suite whose writers wait as long as the test holds the lock ----
s = ImapSuite({"store": {"busy_timeout_ms": 120000, "threads": 2}}, name="storepool")
s.start_imap()
fill(s, 4)

# ordering within a connection
a = s.raw()
a.command("s", "SELECT INBOX")
a.send("p1 STORE 1 +FLAGS (\\Flagged)\r\n"
       "p2 FETCH 1 FLAGS\r\n"
       "p3 STORE 2 +FLAGS.SILENT (\\Deleted)\r\n"
       "p4 EXPUNGE\r\n"
       "p5 FETCH 1:* UID\r\n")
tags, lines = [], []
while len(tags) < 5:
    ln = a.line()
    if not ln:
        break
    lines.append(ln)
    if ln.startswith(b"p"):
        tags.append(ln.split(b" ")[0].decode())
t.is_(tags, ["p1", "p2", "p3", "p4", "p5"], "pipelined commands are answered in order")
text = b"\n".join(lines)
p2 = text[text.index(b"p1 OK"):text.index(b"p2 OK")]
t.ok(b"\\Flagged" in p2, "  the FETCH after the STORE sees its flag")
p4 = text[text.index(b"p3 OK"):text.index(b"p4 OK")]
t.ok(b"* 2 EXPUNGE" in p4, "  the EXPUNGE after the STORE removes the message it marked")
p5 = text[text.index(b"p4 OK"):text.index(b"p5 OK")]
t.is_(len(re.findall(rb"\* \d+ FETCH", p5)), 3, "  and the FETCH after it sees three messages")

# SELECT claims \Recent on the loop through a handle that never waits:
# with the lock held elsewhere it is answered at once, the new messages
# not \Recent in this session
c = s.raw()
c.command("c", "CREATE Fresh")
c.append("f1", MESSAGE % (9, 9), mailbox="Fresh")
con = lock_store(s)
c.send("cs SELECT Fresh\r\n")
lines = []
ln = c.line()
while ln.startswith(b"*"):
    lines.append(ln)
    ln = c.line()
t.ok(ln.startswith(b"cs OK"), "a SELECT with unclaimed new mail is answered while the lock is held")
t.ok(b"* 1 EXISTS" in lines and b"* 0 RECENT" in lines,
     "  its message is there, not \\Recent here: %r" % lines)
con.rollback()
con.close()
c.close()

# a STORE waiting on the lock does not hold up another client
b = s.raw()
b.command("s", "SELECT INBOX")
gone = s.raw()   # logged in before the lock: a login writes to the store
gone.command("s", "SELECT INBOX")
con = lock_store(s)
a.send("w1 STORE 1:2 +FLAGS (\\Answered)\r\n")
b.send("n1 NOOP\r\n")
ln = b.line()
while ln.startswith(b"*"):
    ln = b.line()
t.ok(ln.startswith(b"n1 OK"), "B's NOOP is answered while A's STORE waits on the lock")
t.ok(a.nothing_yet(), "  before A's STORE is answered")

# a client that leaves while its STORE waits
gone.send("g1 STORE 1:3 +FLAGS (\\Draft)\r\n")
gone.close()
t.ok(b.command("n2", "NOOP")[1].startswith(b"n2 OK"),
     "a client gone while its STORE waits breaks nothing for the others")
con.rollback()
con.close()
_, done = a.until("w1")
t.ok(done.startswith(b"w1 OK"), "A's STORE succeeds once the lock is released")
fresh = s.raw()   # a new view: the store as it is now
fresh.command("s", "SELECT INBOX")
drafts = ["\\Draft" in f for f in flags_of(fresh, "f", "1:3").values()]
answered = ["\\Answered" in f for f in flags_of(fresh, "f", "1:2").values()]
fresh.close()
t.is_(answered, [True, True], "  A's change is in the store")
t.ok(len(drafts) == 3 and len(set(drafts)) == 1,
     "  the gone client's STORE is whole or absent: %s" % drafts)
t.ok(s.imap.poll() is None, "imap4srv still runs")

# SIGTERM: the STORE in flight finishes and is answered before exit
con = lock_store(s)
a.send("t1 STORE 1 -FLAGS (\\Answered)\r\n")
t.ok(b.command("n3", "NOOP")[1].startswith(b"n3 OK"), "  (A's STORE waits on the lock)")
s.imap.send_signal(signal.SIGTERM)
t.ok(emstest.wait_for(lambda: "worker_stop" in s.log_text("imap4srv"), timeout=30),
     "SIGTERM is taken while a STORE waits on the lock")
con.rollback()
con.close()
_, done = a.until("t1")
t.ok(done.startswith(b"t1 OK"), "  the STORE in flight is answered before imap4srv exits")
try:
    s.imap.wait(30)
except Exception:
    pass
t.is_(s.imap.returncode, 0, "  and imap4srv exits cleanly")
a.close()
b.close()
s.stop()

# ---- a writer that waits longer than store.busy_timeout_ms ----
s = ImapSuite({"store": {"busy_timeout_ms": 200}}, name="storepoolbusy")
s.start_imap()
fill(s, 1)
a = s.raw()
a.command("s", "SELECT INBOX")
con = lock_store(s)
_, done = a.command("u1", "STORE 1 +FLAGS (\\Flagged)")
t.ok(done.startswith(b"u1 NO [UNAVAILABLE]"), "a STORE past the busy timeout: NO [UNAVAILABLE]")
t.ok(a.command("u2", "NOOP")[1].startswith(b"u2 OK"), "  the session goes on")
con.rollback()
con.close()
_, done = a.command("u3", "STORE 1 +FLAGS (\\Flagged)")
t.ok(done.startswith(b"u3 OK"), "  the same STORE succeeds once the lock is gone")
t.ok("\\Flagged" in flags_of(a, "u4", "1").get(1, ""), "  and its flag is set")
t.ok("imap_store_failed" in s.log_text("imap4srv"), "  the failure was logged")

# any other store failure: a trigger makes every flag change fail
db = sqlite3.connect(os.path.join(s.state, "store.db"), timeout=60, isolation_level=None)
db.execute("CREATE TRIGGER t_fail BEFORE UPDATE ON entries "
           "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
_, done = a.command("v1", "STORE 1 +FLAGS (\\Answered)")
t.ok(done.startswith(b"v1 NO [SERVERBUG]"), "a STORE the store refuses: NO [SERVERBUG]")
t.ok(a.command("v2", "NOOP")[1].startswith(b"v2 OK"), "  the session goes on")
db.execute("DROP TRIGGER t_fail")
db.close()
_, done = a.command("v3", "STORE 1 +FLAGS (\\Answered)")
t.ok(done.startswith(b"v3 OK"), "  and the STORE succeeds once the failure is gone")
a.close()
t.ok(s.imap.poll() is None, "imap4srv still runs")
s.stop()
t.done()
