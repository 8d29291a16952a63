#!/usr/bin/env python3
"""import.t - `oomgr import mbox` and `oomgr import maildir`: an mbox of
1,000 messages imports with the right count and a second run imports
none; flags (Status/X-Status, Maildir info), internal dates and the
mboxrd ">From " escapes come through; a Maildir imports into a new
folder; a terminal sees a progress bar, a pipe a summary line."""
import calendar
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import MailSuite  # noqa: E402

t = emstest.Tap()
if not os.access(os.path.join(emstest.BIN, "oomgr"), os.X_OK):
    t.skip_all("oomgr is not built")

N = 1000
s = MailSuite(name="import")
s.admin("insert domain qualifiedname=example.test",
        "insert person username=ann@example.test password=x")

mbox = os.path.join(s.dir, "big.mbox")
with open(mbox, "w") as f:
    for i in range(N):
        f.write("From sender%d@outside.example Sat Jan  3 10:%02d:00 2026\n" % (i, i % 60))
        status = "RO" if i % 2 else "O"
        xstatus = "AF" if i % 5 == 0 else ""
        f.write("From: sender%d@outside.example\nTo: ann@example.test\n"
                "Subject: imported %04d\nStatus: %s\nX-Status: %s\n\n"
                "body of %d\n>From the escaped line\n\n" % (i, i, status, xstatus, i))

r = s.oomgr("import mbox %s person=ann@example.test folder=Archive" % mbox)
t.is_(r.returncode, 0, "import mbox succeeds")
t.like(r.stdout, "Imported %d messages" % N, "the summary line counts %d" % N)
t.like(r.stdout, "0 already there, 0 failed", "nothing skipped or failed")
msgs = s.messages("ann@example.test", "Archive")
t.is_(len(msgs), N, "the folder holds %d messages" % N)
t.is_([m.subject for m in msgs[:3]], ["imported 0000", "imported 0001", "imported 0002"],
      "in mbox order")
t.is_(msgs[1].flags, "S-----", "Status: RO -> \\Seen")
t.is_(msgs[0].flags, "-AF---", "Status: O, X-Status: AF -> \\Answered \\Flagged")
one = s.message("ann@example.test", 2, "Archive")
t.ok(b"Status:" not in one and b"X-Status:" not in one, "the mbox fields are left out")
t.like(one, b"\r\nFrom the escaped line\r\n", "\">From \" loses one '>'")
t.ok(one.endswith(b"body of 1\r\nFrom the escaped line\r\n"),
     "the separating blank line is not part of the message")
r = s.oomgr("list message username=ann@example.test folder=Archive")
t.like(r.stdout, "2026-01-03 10:01", "the internal date comes from the From line")

r = s.oomgr("import mbox %s person=ann@example.test folder=Archive" % mbox)
t.is_(r.returncode, 0, "a second run succeeds")
t.like(r.stdout, "Imported 0 messages", "and imports nothing")
t.like(r.stdout, "%d already there" % N, "skipping all %d" % N)
t.is_(len(s.messages("ann@example.test", "Archive")), N, "still %d" % N)

# Maildir
md = os.path.join(s.dir, "Maildir")
for sub in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(md, sub))
stamp = calendar.timegm((2025, 6, 1, 12, 0, 0))
for i, (sub, info) in enumerate((("cur", ":2,S"), ("cur", ":2,FRS"), ("cur", ":2,T"),
                                 ("new", ""))):
    path = os.path.join(md, sub, "%d.M%dP1.host%s" % (stamp + i, i, info))
    with open(path, "wb") as f:
        f.write(b"From: a@b.example\nSubject: maildir %d\n\nbody\n" % i)
    os.utime(path, (stamp + i, stamp + i))
r = s.oomgr("import maildir %s person=ann@example.test folder=FromMaildir" % md)
t.is_(r.returncode, 0, "import maildir succeeds")
t.like(r.stdout, "Created folder FromMaildir", "into a new folder")
got = s.messages("ann@example.test", "FromMaildir")
t.is_([m.subject for m in got], ["maildir 0", "maildir 1", "maildir 2", "maildir 3"],
      "cur/ then new/, in name order")
t.is_([m.flags for m in got], ["S-----", "SAF---", "---D--", "-----R"],
      "flags from the info suffix; new/ is \\Recent")
t.like(s.oomgr("list message username=ann@example.test folder=FromMaildir").stdout,
       time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)),
       "the internal date is the file's modification time")
t.like(s.oomgr("import maildir %s person=ann@example.test folder=FromMaildir" % md).stdout,
       "Imported 0 messages", "a rerun imports nothing")

r = s.oomgr("import mbox /nonexistent.mbox person=ann@example.test")
t.ok(r.returncode != 0 and "Cannot read /nonexistent.mbox" in r.stderr,
     "a missing file is a clear error")
r = s.oomgr("import mbox %s person=nobody@example.test" % mbox)
t.ok(r.returncode != 0 and "No such person" in r.stderr, "so is an unknown person")

# A terminal gets a progress bar.
small = os.path.join(s.dir, "small.mbox")
with open(small, "w") as f:
    for i in range(50):
        f.write("From x Sat Jan  3 10:00:00 2026\nSubject: tty %d\n\nbody\n\n" % i)
out = s.oomgr_on_terminal("import mbox %s person=ann@example.test folder=Tty;" % small)
t.like(out, b"50/50 msgs", "a terminal sees the progress bar with the count")
t.like(out, b"msg/s", "the rate")
t.like(out, b"left", "and the time left")
r = subprocess.run([s.bin("oomgr"), "-c", s.conf_path,
                    "import mbox %s person=ann@example.test folder=Tty2;" % small],
                   capture_output=True, text=True, env=s.env)
t.ok("msgs" not in r.stderr and "Imported 50 messages" in r.stdout,
     "a pipe gets only the summary line")
if t.failed:
    t.diag(s.logs())
s.stop()
t.done()
