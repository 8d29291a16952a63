#!/usr/bin/env python3
"""imap_qresync.t - QRESYNC (RFC 7162 3.2): ENABLE QRESYNC, SELECT with
the QRESYNC parameter answering exactly the flag changes and a VANISHED
(EARLIER) of the expunged uids, UID FETCH (CHANGEDSINCE n VANISHED),
"* VANISHED" instead of "* n EXPUNGE" for EXPUNGE, UID EXPUNGE, MOVE and
expunges by another session, and [CLOSED] on reselect.

The resync is what a phone does: it knew the mailbox at some modseq,
went away while another client flagged and expunged, and comes back."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite, Raw  # noqa: E402

t = emstest.Tap()
if not os.access(os.path.join(emstest.BIN, "imap4srv"), os.X_OK):
    t.skip_all("imap4srv is not built")

# expunge marks are purged at once when the collector runs (below)
s = ImapSuite({"collector": {"expunged_keep_s": 0, "message_grace_s": 0}}, name="qresync")
s.start_imap()
phone = Raw(s.imap_port)
phone.command("l", "LOGIN demo@example.test demo")
desk = Raw(s.imap_port)
desk.command("l", "LOGIN demo@example.test demo")


def ok(conn, text):
    lines, tagged = conn.command("x", text)
    if not tagged.startswith(b"x OK"):
        raise RuntimeError("%s: %s" % (text, tagged))
    return lines


def code(lines, name):
    for ln in lines:
        m = re.match(rb"\* OK \[%s (\d+)\]" % name.encode(), ln)
        if m:
            return int(m.group(1))
    return None


def fetches(lines):
    return [ln for ln in lines if re.match(rb"\* \d+ FETCH", ln)]


def vanished(lines):
    return [ln for ln in lines if ln.startswith(b"* VANISHED")]


lines = ok(phone, "CAPABILITY")
t.ok(b"QRESYNC" in lines[0].split(), "QRESYNC is advertised")
_, tagged = phone.command("b", "SELECT INBOX (QRESYNC (1 1))")
t.ok(tagged.startswith(b"b BAD"), "SELECT with QRESYNC before ENABLE QRESYNC is BAD")
lines = ok(phone, "ENABLE QRESYNC")
t.is_(lines, [b"* ENABLED QRESYNC"], "ENABLE QRESYNC")

for i in range(1, 11):
    desk.append("x", "Subject: %d\r\n\r\nbody %d\r\n" % (i, i))
lines = ok(phone, "SELECT INBOX")
uidvalidity = code(lines, "UIDVALIDITY")
known = code(lines, "HIGHESTMODSEQ")
t.ok(uidvalidity and known, "SELECT gives UIDVALIDITY and HIGHESTMODSEQ")
ok(phone, "UNSELECT")

# the phone is away: the desk flags 2 and 7, expunges 4, 5 and 9
ok(desk, "SELECT INBOX")
ok(desk, "STORE 2,7 +FLAGS.SILENT (\\Flagged)")
ok(desk, "STORE 4,5,9 +FLAGS.SILENT (\\Deleted)")
ok(desk, "EXPUNGE")

lines = ok(phone, "SELECT INBOX (QRESYNC (%d %d 1:10))" % (uidvalidity, known))
t.is_(vanished(lines), [b"* VANISHED (EARLIER) 4:5,9"], "resync: VANISHED (EARLIER) the expunged uids")
got = fetches(lines)
t.is_(len(got), 2, "resync: exactly the two changed messages are fetched")
t.ok(all(re.match(rb"\* \d+ FETCH \(UID (2|7) FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$", ln)
         for ln in got), "  with UID, FLAGS and MODSEQ")
if len(got) != 2:
    t.diag("got %r" % lines)
t.ok(b"* OK [CLOSED] previous mailbox closed" not in lines, "no [CLOSED] when nothing was selected")

lines = ok(phone, "EXAMINE INBOX (QRESYNC (%d %d))" % (uidvalidity, known))
t.ok(lines and lines[0].startswith(b"* OK [CLOSED]"), "reselect: [CLOSED] first")
t.is_(vanished(lines), [b"* VANISHED (EARLIER) 4:5,9"], "without known-uids: all uids count as known")
lines = ok(phone, "SELECT INBOX (QRESYNC (%d %d 1:4,8 (1:4 1:4)))" % (uidvalidity, known))
t.is_(vanished(lines), [b"* VANISHED (EARLIER) 4"], "known-uids limit VANISHED (seq-match-data read)")
t.is_(len(fetches(lines)), 1, "  and the FETCHes")
lines = ok(phone, "SELECT INBOX (QRESYNC (%d %d))" % (uidvalidity + 1, known))
t.ok(not vanished(lines) and not fetches(lines), "another UIDVALIDITY: no resync data")
lines = ok(phone, "SELECT INBOX (CONDSTORE QRESYNC (%d %d))" % (uidvalidity, known))
t.is_(vanished(lines), [b"* VANISHED (EARLIER) 4:5,9"], "CONDSTORE and QRESYNC together")
now = code(lines, "HIGHESTMODSEQ")
lines = ok(phone, "SELECT INBOX (QRESYNC (%d %d))" % (uidvalidity, now))
t.ok(not vanished(lines) and not fetches(lines), "nothing changed since: nothing to resync")

# every untagged FETCH carries the UID once QRESYNC is on (RFC 7162 3.2.4)
lines = ok(phone, "STORE 1 +FLAGS (\\Answered)")
t.ok(len(lines) == 1 and re.match(rb"\* 1 FETCH \(UID 1 FLAGS \(\\Answered\) MODSEQ \(\d+\)\)$",
                                  lines[0]), "STORE answers with the UID")
if len(lines) != 1:
    t.diag("got %r" % lines)
lines = ok(phone, "FETCH 1 (FLAGS)")
t.ok(len(lines) == 1 and lines[0].startswith(b"* 1 FETCH (") and b"UID 1" in lines[0],
     "so does FETCH")

# expunges while selected
ok(phone, "STORE 1 +FLAGS.SILENT (\\Deleted)")
lines = ok(phone, "EXPUNGE")
t.is_(lines, [b"* VANISHED 1"], "EXPUNGE answers VANISHED, not n EXPUNGE")
ok(phone, "UID STORE 3 +FLAGS.SILENT (\\Deleted)")
lines = ok(phone, "UID EXPUNGE 3")
t.is_(lines, [b"* VANISHED 3"], "UID EXPUNGE too")
ok(phone, "CREATE Moved")
lines = ok(phone, "UID MOVE 6 Moved")
t.is_(vanished(lines), [b"* VANISHED 6"], "MOVE too")
t.ok(not [ln for ln in lines if ln.endswith(b" EXPUNGE")], "  without EXPUNGE")
ok(desk, "NOOP")
ok(desk, "UID STORE 8,10 +FLAGS.SILENT (\\Deleted)")
ok(desk, "UID EXPUNGE 8,10")
lines = ok(phone, "NOOP")
t.is_(vanished(lines), [b"* VANISHED 8,10"], "another session's expunges: one VANISHED")

lines = ok(phone, "UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % known)
t.is_(vanished(lines), [b"* VANISHED (EARLIER) 1,3:6,8:10"],
      "UID FETCH CHANGEDSINCE VANISHED: every uid gone since")
t.is_(len(fetches(lines)), 2, "  and the changed messages still there")
lines = ok(phone, "UID FETCH 2:4 (FLAGS) (VANISHED CHANGEDSINCE %d)" % known)
t.is_(vanished(lines), [b"* VANISHED (EARLIER) 3:4"], "  within the uid set asked")
for conn, text, what in (
        (phone, "FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)", "without UID"),
        (phone, "UID FETCH 1:* (FLAGS) (VANISHED)", "without CHANGEDSINCE"),
        (desk, "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)", "without ENABLE QRESYNC")):
    _, tagged = conn.command("b", text)
    t.ok(tagged.startswith(b"b BAD"), "VANISHED %s is BAD" % what)
lines = ok(desk, "NOOP")
t.ok(not vanished(lines), "a session without QRESYNC never sees VANISHED")

# the collector purges expunge marks after a while: uids that vanished
# since a modseq are then no longer known one by one, and the answer is
# every known uid the mailbox lacks (RFC 7162 3.2.5.2)
ok(phone, "UNSELECT")
lines = ok(phone, "SELECT INBOX (QRESYNC (%d %d 1:10))" % (uidvalidity, now))
t.is_(vanished(lines), [b"* VANISHED (EARLIER) 1,3,6,8,10"],
      "marks kept: exactly the uids expunged since")


def forgotten():
    s.run("collector", "-c", s.conf_path, "--once")
    got = vanished(ok(phone, "SELECT INBOX (QRESYNC (%d %d 1:10))" % (uidvalidity, now)))
    return got if got == [b"* VANISHED (EARLIER) 1,3:6,8:10"] else None


t.is_(emstest.wait_for(forgotten, timeout=30), [b"* VANISHED (EARLIER) 1,3:6,8:10"],
      "marks purged: every uid of known-uids the mailbox no longer holds")
lines = ok(phone, "SELECT INBOX (QRESYNC (%d %d 2,7))" % (uidvalidity, now))
t.ok(not vanished(lines), "  nothing when all known uids are still there")
# seq-match-data: where the client's sequence numbers still name the same
# uids, nothing below vanished from its view (RFC 7162 3.2.5.2)
for match, want, what in (
        ("(1:2 2,7)", [b"* VANISHED (EARLIER) 8:10"], "both pairs agree: only uids above 7"),
        ("(1:2 2,5)", [b"* VANISHED (EARLIER) 3:6,8:10"], "the second disagrees: above 2"),
        ("(1 1)", [b"* VANISHED (EARLIER) 1,3:6,8:10"], "the first disagrees: all"),
        ("(1:2 2)", [b"* VANISHED (EARLIER) 1,3:6,8:10"], "sets of different sizes: all")):
    lines = ok(phone, "SELECT INBOX (QRESYNC (%d %d 1:10 %s))" % (uidvalidity, now, match))
    t.is_(vanished(lines), want, "seq-match-data %s, %s" % (match, what))

phone.close()
desk.close()
t.done()
