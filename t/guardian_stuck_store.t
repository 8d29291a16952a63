#!/usr/bin/env python3
"""guardian_stuck_store.t - a worker whose loop stops beating is
killed, restarted and serves again (issue 15, section 2); a store write
waiting on a lock no longer stops it (issue 17).

A private suite under a real guardian: iolistener and imap4srv, with
monitor.heartbeat_timeout_s = 2 and store.busy_timeout_ms = 120000.  The
test holds the store's write lock from its own SQLite connection (BEGIN
IMMEDIATE) and sends CREATE through an IMAP session: the CREATE waits on
a store thread while imap4srv's loop goes on beating and serving another
session, so the guardian leaves it alone, and the CREATE is answered
once the lock is released.  Then the test stops the worker (SIGSTOP), as
a loop stuck in a call would be: its heartbeat stops, and the guardian
logs it as hung, kills it and starts a new one.  The client of the
stuck one is disconnected (not left waiting); a new session logs in and
its CREATE works.  No timing thresholds: every wait is on a condition,
with a generous bound.
"""
import glob
import imaplib
import json
import os
import signal
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import Raw  # noqa: E402
from emsproto import PASSWORD, USER, ProtoSuite  # noqa: E402

t = emstest.Tap()
for prog in ("guardian", "oomgr", "iolistener", "imap4srv"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

BOUND = 120
IMAP_PORT = emstest.free_port()
s = ProtoSuite({"lmtp": {"port": 0}, "store": {"backend": "sqlite"}}, name="stuck")   # locks the file
s.conf.update({
    "user": "", "group": "",
    "log": {"level": "info"},
    "guardian": {"backoff_initial_s": 1, "backoff_max_s": 2,
                 "shutdown_timeout_s": 5},
    "monitor": {"heartbeat_timeout_s": 2},
    "store": {"busy_timeout_ms": BOUND * 1000},
    "processes": [
        {"name": "IOLISTENER", "program": "iolistener",
         "instances": [{"autostart": True}]},
        {"name": "IMAP4SRV", "program": "imap4srv",
         "instances": [{"maxclt": 20, "autostart": True}]},
    ],
    "listeners": [{"service": "imap", "address": "127.0.0.1", "port": IMAP_PORT}],
})
s.write_conf()


def row(name):
    r = s.run("oomgr", "-c", s.conf_path, "--json", "disp", "process")
    try:
        return next((x for x in json.loads(r.stdout) if x["name"] == name), {})
    except ValueError:
        return {}


def imap_creates(mailbox):
    """A new session logs in and creates MAILBOX; True when it worked."""
    try:
        m = imaplib.IMAP4("127.0.0.1", IMAP_PORT, timeout=emstest.DEFAULT_TIMEOUT)
        m.login(USER, PASSWORD)
        ok = m.create(mailbox)[0] == "OK"
        m.logout()
        return ok
    except (OSError, imaplib.IMAP4.error):
        return None


g = s.start("guardian", "-F", "-c", s.conf_path)
t.ok(emstest.wait_for(lambda: imap_creates("Before"), timeout=BOUND),
     "IMAP serves and CREATE works")
stores = glob.glob(os.path.join(s.state, "*.db"))
t.is_(len(stores), 1, "the store is %s" % stores)

client = Raw(IMAP_PORT)
_, tagged = client.command("a", "LOGIN %s %s" % (USER, PASSWORD))
t.like(tagged, b"a OK", "a session logs in")
before = row("IMAP4SRV")

lock = sqlite3.connect(stores[0], timeout=BOUND, isolation_level=None)
lock.execute("BEGIN IMMEDIATE")         # the store's write lock, held here
client.send("b CREATE Waits\r\n")
other = Raw(IMAP_PORT)
_, tagged = other.command("o", "LOGOUT")
t.like(tagged, b"o OK", "while a CREATE waits on the lock, another session is served")
other.close()
beats = lambda: row("IMAP4SRV").get("pid") == before.get("pid")  # noqa: E731
t.ok(beats() and "event=hung name=IMAP4SRV" not in s.log_text("guardian"),
     "  and the guardian leaves the worker alone")
lock.execute("ROLLBACK")
lock.close()
_, tagged = client.until("b")
t.like(tagged, b"b OK", "the CREATE is answered once the lock is gone")
t.ok(beats() and "event=hung name=IMAP4SRV" not in s.log_text("guardian"),
     "  by the same imap4srv, never taken for hung")

os.kill(before["pid"], signal.SIGSTOP)   # a loop that no longer beats
client.send("c NOOP\r\n")
try:
    answer = client.line(timeout=BOUND)
except ConnectionResetError:     # killed with our NOOP unread
    answer = b""
t.is_(answer, b"", "the session waiting on the stuck worker is disconnected, "
      "not left hanging")
t.ok(emstest.wait_for(lambda: "event=hung name=IMAP4SRV" in s.log_text("guardian"),
                      timeout=BOUND),
     "the guardian logged imap4srv as hung")
after = emstest.wait_for(lambda: (lambda r: r if r.get("state") == "running" and
                                  r.get("pid") not in (0, before.get("pid"))
                                  else None)(row("IMAP4SRV")), timeout=BOUND)
t.ok(after, "and runs a new imap4srv (pid %s -> %s)"
     % (before.get("pid"), (after or {}).get("pid")))
t.ok(not emstest.pid_alive(before.get("pid", 0)), "the stuck one is gone")
client.close()
t.ok(emstest.wait_for(lambda: imap_creates("After"), timeout=BOUND),
     "a new session logs in and CREATE works")

g.terminate()
try:
    g.wait(BOUND)
except Exception:  # noqa: BLE001
    pass
if t.failed:
    t.diag(s.log_text("guardian")[-4000:])
s.stop()
t.done()
