#!/usr/bin/env python3
"""backup.t - `oomgr backup` while mail goes on, and `oomgr restore`.

A store of a few thousand messages takes LMTP deliveries from a thread
without pause (Python's smtplib.LMTP on smtpgw, postman filing) while
`oomgr backup` copies it, slowly on purpose (small steps, pauses) so the
copy overlaps many deliveries.  Then: every message whose LMTP 250 came
before the backup began is in the copy, the copy passes SQLite's
integrity_check (Python's sqlite3), the deliveries went on during the
copy without a failure; `oomgr restore` puts the copy in place of another
store while that suite is down, keeps the old store aside; a guardian
started on the restored store serves the messages over IMAP (imaplib);
and restore refuses while that guardian runs.
"""

import imaplib
import os
import re
import shutil
import smtplib
import sqlite3
import stat
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsproto import PASSWORD, USER, ProtoSuite  # noqa: E402

IMPORTED = 2500           # messages in the store before the load starts
BODY = ("x" * 76 + "\n") * 100   # ~8 KB each: a store of ~20 MB
BEFORE = 20               # deliveries acknowledged before the backup starts
SLOW = "step=16 pause=20"  # 64 KB per step: the copy takes many steps
LONG = 300                # bound of the slow steps, in seconds

t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr", "guardian", "iolistener", "imap4srv"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)


class Load(threading.Thread):
    """Delivers message after message over one LMTP connection until
    stopped; acked[n] is the monotonic time of message n's 250."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.acked = {}
        self.errors = []
        self.stop = threading.Event()

    def run(self):
        n = 0
        try:
            lm = smtplib.LMTP("127.0.0.1", self.port, timeout=60)
            while not self.stop.is_set():
                n += 1
                msg = ("From: load@outside.example\r\nTo: %s\r\nSubject: load %d\r\n"
                       "Message-ID: <load-%d@backup.test>\r\n\r\nbody %d\r\n"
                       % (USER, n, n, n))
                refused = lm.sendmail("load@outside.example", [USER], msg)
                if refused:
                    self.errors.append("message %d refused: %r" % (n, refused))
                    return
                self.acked[n] = time.monotonic()
            lm.quit()
        except (OSError, smtplib.SMTPException) as e:
            self.errors.append("message %d: %r" % (n, e))


def acked_between(load, start, end):
    return sorted(n for n, at in list(load.acked.items()) if start <= at < end)


def integrity(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def domains(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return sorted(r[0] for r in db.execute("SELECT name FROM domains"))
    finally:
        db.close()


# ---- the live suite: a big store, then deliveries without pause ----
s = ProtoSuite({"store": {"backend": "sqlite"}}, name="backup")   # backups are of SQLite files
mbox = os.path.join(s.dir, "old.mbox")
with open(mbox, "w") as f:
    for i in range(IMPORTED):
        f.write("From old@outside.example Sat Jan  3 10:00:00 2026\n"
                "Subject: old %d\nMessage-ID: <old-%d@backup.test>\n\n%s\n"
                % (i, i, BODY))
s.admin("import mbox %s person=%s" % (mbox, USER))
os.unlink(mbox)
s.start_daemons()
load = Load(s.lmtp_port)
load.start()
if not emstest.wait_for(lambda: len(load.acked) >= BEFORE or load.errors, timeout=LONG):
    t.diag("no deliveries: %r\n%s" % (load.errors, s.logs()))

copy = os.path.join(s.dir, "copy.db")
began = time.monotonic()
before = set(acked_between(load, 0, began))
r = s.run("oomgr", "-c", s.conf_path, "backup %s %s;" % (copy, SLOW), timeout=LONG)
ended = time.monotonic()
during = acked_between(load, began, ended)
load.stop.set()
load.join(60)

t.is_(r.returncode, 0, "oomgr backup succeeds while delivery goes on")
t.like(r.stdout, "Backed up %s to %s" % (os.path.join(s.state, "store.db"), copy),
       "it says what it copied where")
t.like(r.stdout, "integrity ok", "and that the copy passed its check")
if r.returncode != 0:
    t.diag(r.stderr)
t.ok(len(before) >= BEFORE, "%d messages acknowledged before the backup began"
     % len(before))
t.ok(len(during) > 0, "%d more acknowledged while the backup ran" % len(during))
t.is_(load.errors, [], "no delivery failed during the backup")
t.is_(integrity(copy), "ok", "the copy passes PRAGMA integrity_check")
t.is_(stat.S_IMODE(os.stat(copy).st_mode), 0o600, "the copy is readable by its owner only")
t.is_(sorted(n for n in os.listdir(s.dir) if n.startswith("copy.db")), ["copy.db"],
      "no temporary or side file is left beside it")
# A terminal gets the progress bar.
out = s.oomgr_on_terminal("backup %s;" % copy)
t.ok(re.search(rb"\] +(\d+)/\1 pages .* pages/s .* left", out),
     "a terminal sees a progress bar of pages")
r = s.oomgr("backup %s;" % os.path.join(s.state, "store.db"))
t.ok(r.returncode != 0 and "is the store itself" in r.stderr,
     "a backup onto the store itself is refused")
r = s.oomgr("restore %s;" % copy)
t.ok(r.returncode != 0 and "has the store %s open" % os.path.join(s.state, "store.db")
     in r.stderr, "restore is refused while smtpgw and postman have the store open")
live_certs = os.path.join(s.state, "tls")
tls_copy = os.path.join(s.dir, "tls-copy")
shutil.copytree(live_certs, tls_copy)
s.stop(keep=True)

# ---- a second suite, run by a guardian, gets the copy by restore ----
imap_port = emstest.free_port()
g = emstest.Suite({
    "store": {"backend": "sqlite"},   # a restore is of an SQLite file
    "user": "", "group": "",
    "guardian": {"shutdown_timeout_s": 5},
    "postman": {"interval_s": 1, "retry_s": 1},
    "processes": [
        {"name": "IOLISTENER", "program": "iolistener",
         "instances": [{"autostart": True}]},
        {"name": "IMAP4SRV", "program": "imap4srv",
         "instances": [{"autostart": True}]},
        {"name": "Postman", "program": "postman",
         "instances": [{"autostart": True}]},
    ],
    "listeners": [{"service": "imap", "address": "127.0.0.1", "port": imap_port}],
}, name="restore")
shutil.rmtree(os.path.join(g.state, "tls"))
shutil.copytree(tls_copy, os.path.join(g.state, "tls"))
store = os.path.join(g.state, "store.db")
g.run("oomgr", "-c", g.conf_path, "insert domain qualifiedname=old.test;", timeout=60)

r = g.run("oomgr", "-c", g.conf_path, "restore %s;" % copy, timeout=LONG)
t.is_(r.returncode, 0, "oomgr restore succeeds while the suite is down")
if r.returncode != 0:
    t.diag(r.stderr)
m = re.search(r"kept as (\S+?);", r.stdout)
aside = m.group(1) if m else ""
t.like(r.stdout, "Restored %s from %s" % (store, copy), "it says what it restored")
t.ok(aside.startswith(store + ".before-restore-") and os.path.exists(aside),
     "and where the old store is kept: %s" % os.path.basename(aside))
t.is_(domains(aside) if aside else [], ["old.test"], "the kept store is the old one")
t.is_(domains(store), ["example.test"], "the store is now the backup")
t.is_(sorted(n for n in os.listdir(g.state) if "restore-tmp" in n), [],
      "no temporary file is left")

# Files that are no good backup are refused, and the store stays.
bad = os.path.join(g.dir, "bad.db")
with open(bad, "w") as f:
    f.write("not a database\n")
shutil.copy(copy, os.path.join(g.dir, "newer.db"))
shutil.copy(copy, os.path.join(g.dir, "damaged.db"))
with sqlite3.connect(os.path.join(g.dir, "newer.db")) as db:
    db.execute("PRAGMA user_version=999")
with sqlite3.connect(os.path.join(g.dir, "other.db")) as db:
    db.execute("CREATE TABLE t (x)")
with open(os.path.join(g.dir, "damaged.db"), "r+b") as f:
    f.seek(os.path.getsize(copy) // 2 // 4096 * 4096)   # a page in the middle
    f.write(b"\xff" * 4096)
inode = os.stat(store).st_ino
for name, why in (("bad.db", "file is not a database"),
                  ("other.db", "is an SQLite database but not an ems store"),
                  ("newer.db", "has schema version 999; this ems understands up to"),
                  ("damaged.db", "fails the integrity check")):
    r = g.run("oomgr", "-c", g.conf_path, "restore %s;" % os.path.join(g.dir, name),
              timeout=LONG)
    t.ok(r.returncode != 0 and why in r.stderr, "restore refuses %s: %s" % (name, why))
    if why not in r.stderr:
        t.diag(r.stderr)
t.ok(os.stat(store).st_ino == inode and
     not [n for n in os.listdir(g.state) if "restore-tmp" in n],
     "and leaves the store as it was, with no temporary file")

guardian = g.start("guardian", "-F", "-c", g.conf_path)
if not emstest.wait_for(lambda: emstest.port_open(imap_port), timeout=60):
    t.diag("the guardian's suite did not listen:\n" + g.logs())


def inbox_ids():
    try:
        m = imaplib.IMAP4("127.0.0.1", imap_port, timeout=30)
        m.login(USER, PASSWORD)
        m.select("INBOX", readonly=True)
        _, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        m.logout()
    except (OSError, imaplib.IMAP4.error):
        return set()
    text = b"".join(d[1] for d in data if isinstance(d, tuple))
    return set(re.findall(rb"<((?:load|old)-\d+)@backup\.test>", text))


want = {b"load-%d" % n for n in before}
# Postman files what the copy still had queued: wait for it.
got = emstest.wait_for(lambda: (lambda ids: ids if want <= ids else None)(inbox_ids()),
                       timeout=LONG) or inbox_ids()
t.is_(sorted(want - got), [], "IMAP serves every message acknowledged before the backup")
t.is_(len([i for i in got if i.startswith(b"old-")]), IMPORTED,
      "and every message the store held before the load")

files = sorted(os.listdir(g.state))
inode = os.stat(store).st_ino
r = g.run("oomgr", "-c", g.conf_path, "restore %s;" % copy, timeout=LONG)
t.ok(r.returncode != 0 and "The suite is running (guardian pid %d" % guardian.pid
     in r.stderr, "restore is refused while the guardian runs")
t.ok(sorted(os.listdir(g.state)) == files and os.stat(store).st_ino == inode,
     "and it touched no file")

if t.failed:
    t.diag(g.logs())
g.stop()
s.stop()
t.done()
