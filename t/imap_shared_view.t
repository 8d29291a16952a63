#!/usr/bin/env python3
"""imap_shared_view.t - fifty sessions idling on one mailbox (read-write,
EXAMINE and QRESYNC ones) all hear of an APPEND, a flag change and an
expunge by another session, each with its own sequence numbers, while
imap4srv reads each change from the store once for all of them (the
idle_reads counter), not once per session; sessions that were not idling
and still hold an expunge back get everything in their own numbering at
their next command."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite, Raw  # noqa: E402

IDLERS = 50
PLAIN, EXAMINE = range(0, 40), range(40, 45)   # the rest: QRESYNC
LAGGARDS = 5
WAIT = 60.0    # generous: fifty sessions on a shared two-core machine

t = emstest.Tap()
for prog in ("imap4srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

# the 30 s safety-net timer stays out of the way of the counts
s = ImapSuite(name="sharedview")
s.start_imap()


def login():
    r = Raw(s.imap_port)
    r.command("l", "LOGIN demo@example.test demo")
    return r


def kind(i):
    return "plain" if i in PLAIN else "examine" if i in EXAMINE else "qresync"


def until_match(conn, pattern):
    """The lines CONN sends up to and including the first matching
    PATTERN; None when it does not come."""
    got = []
    while True:
        try:
            ln = conn.line(timeout=WAIT)
        except OSError:
            return None
        got.append(ln)
        if re.search(pattern, ln):
            return got


def idle_reads():
    return int(s.counters("imap4srv").get("idle_reads", -1))


w = login()
for i in range(1, 4):
    w.append("a%d" % i, "Subject: m%d\r\n\r\nbody %d\r\n" % (i, i))

idlers = [login() for _ in range(IDLERS)]
laggards = [login() for _ in range(LAGGARDS)]
ok = True
for i, c in enumerate(idlers):
    if kind(i) == "qresync":
        c.command("e", "ENABLE QRESYNC")
    lines, _ = c.command("s", ("EXAMINE" if kind(i) == "examine" else "SELECT") + " INBOX")
    ok = ok and b"* 3 EXISTS" in lines
for c in laggards:
    lines, _ = c.command("s", "SELECT INBOX")
    ok = ok and b"* 3 EXISTS" in lines
t.ok(ok, "%d sessions see the three messages" % (IDLERS + LAGGARDS))

# uid 2 goes; the laggards learn of it in a FETCH, which holds it back
w.command("w1", "SELECT INBOX")
w.command("w2", "UID STORE 2 +FLAGS.SILENT (\\Deleted)")
w.command("w3", "EXPUNGE")
ok = True
for c in laggards:
    lines, _ = c.command("f", "FETCH 1:* (UID)")
    ok = ok and len(lines) == 3 and not any(b"EXPUNGE" in ln for ln in lines)
t.ok(ok, "the laggards' FETCH holds the expunge back (three messages, no EXPUNGE)")

# the idlers hear of it as they start idling
ok = True
for i, c in enumerate(idlers):
    c.send("i IDLE\r\n")
    got = until_match(c, rb"^\* (2 EXPUNGE|VANISHED 2)$")
    ok = ok and got is not None and got[0] == b"+ idling"
t.ok(ok, "every idler learns of the expunge as IDLE begins")


def all_see(what, patterns):
    """Every idler's lines up to its PATTERNS[kind] match; returns the
    mismatches as (session, lines)."""
    bad = []
    for i, c in enumerate(idlers):
        got = until_match(c, patterns[kind(i)][-1])
        if got is None or len(got) != len(patterns[kind(i)]) or \
           not all(re.search(p, ln) for p, ln in zip(patterns[kind(i)], got)):
            bad.append((i, got))
    if bad:
        t.diag("%s: session %d got %r" % (what, bad[0][0], bad[0][1]))
    return bad


# --- an APPEND by another session: one read for fifty sessions ---
before = idle_reads()
appender = login()      # nothing selected: \Recent is left to the idlers
appender.append("a4", "Subject: m4\r\n\r\nbody 4\r\n")
exists = [rb"^\* 3 EXISTS$", rb"^\* \d+ RECENT$"]
t.is_(all_see("append", {"plain": exists, "examine": exists, "qresync": exists}), [],
      "every idler gets * 3 EXISTS and * n RECENT")
reads = idle_reads() - before
t.ok(0 < reads < IDLERS // 2,
     "imap4srv read the change for all idlers at once (%d reads, %d sessions)" % (reads, IDLERS))
t.ok(emstest.wait_for(lambda: int(s.counters("imap4srv").get("idle_updates", 0)) >= IDLERS),
     "  and brought every one of them up to date (idle_updates)")

# --- a flag change by another session ---
w.command("w4", "UID STORE 3 +FLAGS.SILENT (\\Flagged)")
flags = [rb"^\* 2 FETCH \(UID 3 FLAGS \(\\Flagged( \\Recent)?\)\)$"]
qflags = [rb"^\* 2 FETCH \(UID 3 FLAGS \(\\Flagged( \\Recent)?\) MODSEQ \(\d+\)\)$"]
t.is_(all_see("flags", {"plain": flags, "examine": flags, "qresync": qflags}), [],
      "every idler gets the flag change on its message 2 (uid 3), with MODSEQ under QRESYNC")

# --- an expunge by another session ---
w.command("w5", "UID STORE 1 +FLAGS.SILENT (\\Deleted)")
deleted = [rb"^\* 1 FETCH \(UID 1 FLAGS \(\\Deleted( \\Recent)?\)\)$"]
qdeleted = [rb"^\* 1 FETCH \(UID 1 FLAGS \(\\Deleted( \\Recent)?\) MODSEQ \(\d+\)\)$"]
t.is_(all_see("deleted", {"plain": deleted, "examine": deleted, "qresync": qdeleted}), [],
      "every idler sees \\Deleted on its message 1")
w.command("w6", "EXPUNGE")
gone = [rb"^\* 1 EXPUNGE$"]
t.is_(all_see("expunge", {"plain": gone, "examine": gone, "qresync": [rb"^\* VANISHED 1$"]}), [],
      "every idler gets * 1 EXPUNGE (VANISHED 1 under QRESYNC)")

# \Recent of the appended message: one read-write session at most
ok = True
recent = 0
for i, c in enumerate(idlers):
    c.send("DONE\r\n")
    _, tagged = c.until("i")
    ok = ok and tagged == b"i OK IDLE terminated"
    if kind(i) != "examine":
        lines, _ = c.command("r", "UID SEARCH RECENT")
        recent += any(ln.startswith(b"* SEARCH") and b"4" in ln.split()[2:] for ln in lines)
t.ok(ok, "DONE ends every IDLE")
t.is_(recent, 1, "one read-write idler has \\Recent on the appended message (%d)"
     % recent)

# the laggards: the flag change in the old numbering, then both
# expunges (highest first), then the new message
want = [rb"^\* 3 FETCH \(UID 3 FLAGS \(\\Flagged( \\Recent)?\)\)$",
        rb"^\* 2 EXPUNGE$", rb"^\* 1 EXPUNGE$", rb"^\* 2 EXISTS$", rb"^\* \d+ RECENT$"]
bad = []
for k, c in enumerate(laggards):
    lines, tagged = c.command("n", "NOOP")
    if not tagged.startswith(b"n OK"):
        bad.append((k, tagged))
    elif len(lines) != len(want) or not all(re.search(p, ln) for p, ln in zip(want, lines)):
        bad.append((k, lines))
if bad:
    t.diag("laggard %d got %r" % bad[0])
t.is_(bad, [], "each laggard's NOOP: FETCH 3, EXPUNGE 2, EXPUNGE 1, 2 EXISTS, in its numbering")
ok = True
for c in idlers + laggards:
    lines, _ = c.command("u", "FETCH 1:* (UID)")
    ok = ok and [re.sub(rb"\* (\d+) FETCH \(UID (\d+)\)", rb"\1:\2", ln) for ln in lines] == \
        [b"1:3", b"2:4"]
t.ok(ok, "afterwards every session numbers uid 3 as 1 and uid 4 as 2")

for c in [w, appender] + idlers + laggards:
    c.close()
s.stop()
t.done()
