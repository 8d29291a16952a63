#!/usr/bin/env python3
"""imap_rev2.t - IMAP4rev2 (RFC 9051) beside IMAP4rev1: both are
advertised, and ENABLE IMAP4rev2 switches a session to rev2's semantics
(appendix E): no \\Recent and no RECENT response, SEARCH answered with
ESEARCH, SELECT sending the mailbox's LIST and no UNSEEN code, UID in
STORE's FETCH responses, \\NonExistent for a level that is no mailbox,
STATUS DELETED, UTF-8 mailbox names.  A rev1 session on the same
mailbox keeps rev1's answers throughout."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite, Raw  # noqa: E402

t = emstest.Tap()
if not os.access(os.path.join(emstest.BIN, "imap4srv"), os.X_OK):
    t.skip_all("imap4srv is not built")

s = ImapSuite(name="rev2")
s.start_imap()
MSG = "From: a@example.test\r\nSubject: %s\r\n\r\nbody\r\n"


def login(rev2):
    r = Raw(s.imap_port)
    _, tagged = r.command("l", "LOGIN demo@example.test demo")
    assert tagged.startswith(b"l OK"), tagged
    if rev2:
        lines, _ = r.command("e", "ENABLE IMAP4rev2")
        assert lines == [b"* ENABLED IMAP4rev2"], lines
    return r


def ok(r, text):
    lines, tagged = r.command("x", text)
    if not tagged.startswith(b"x OK"):
        raise RuntimeError("%s: %s" % (text, tagged))
    return lines


# --- capabilities ---
pre = Raw(s.imap_port)
lines, _ = pre.command("c", "CAPABILITY")
caps = lines[0].split()[2:]
t.ok(b"IMAP4rev1" in caps and b"IMAP4rev2" in caps, "IMAP4rev1 and IMAP4rev2 before login")
pre.command("l", "LOGIN demo@example.test demo")
lines, _ = pre.command("c", "CAPABILITY")
caps = lines[0].split()[2:]
# what RFC 9051 7.2.2 / appendix E fold into rev2
t.ok(all(c in caps for c in (b"IMAP4rev2", b"NAMESPACE", b"UNSELECT", b"UIDPLUS", b"ESEARCH",
                             b"SEARCHRES", b"ENABLE", b"IDLE", b"SASL-IR", b"LIST-EXTENDED",
                             b"LIST-STATUS", b"MOVE", b"LITERAL+", b"BINARY", b"SPECIAL-USE",
                             b"STATUS=SIZE", b"CHILDREN")),
     "after login too, with every extension rev2 includes")
lines, _ = pre.command("e", "ENABLE IMAP4rev2")
t.is_(lines, [b"* ENABLED IMAP4rev2"], "ENABLE IMAP4rev2 is answered ENABLED")
lines, _ = pre.command("e", "ENABLE IMAP4REV2")
t.is_(lines, [b"* ENABLED"], "  once")
pre.close()

# --- rev1: two new messages, \Recent for the first session that selects ---
one = login(False)
one.append("a", MSG % "first")
one.append("a", MSG % "second")
ok(one, "CREATE Parent/Child")
ok(one, "DELETE Parent")         # leaves a level that is no mailbox
lines = ok(one, "SELECT INBOX")
t.ok(b"* 2 RECENT" in lines, "rev1: SELECT answers RECENT")
t.ok(not [ln for ln in lines if ln.startswith(b"* LIST")], "rev1: and no LIST")
t.ok([ln for ln in lines if ln.startswith(b"* OK [UNSEEN 1]")], "rev1: and UNSEEN")
lines = ok(one, "FETCH 1 FLAGS")
t.is_(lines, [b"* 1 FETCH (FLAGS (\\Recent))"], "rev1: FETCH FLAGS shows \\Recent")
t.is_(ok(one, "SEARCH ALL"), [b"* SEARCH 1 2"], "rev1: SEARCH answers SEARCH")
t.is_(ok(one, "STORE 1 +FLAGS (\\Flagged)"), [b"* 1 FETCH (FLAGS (\\Flagged \\Recent))"],
      "rev1: STORE's FETCH without UID")
lines = ok(one, 'LIST "" %')
t.ok(b'* LIST (\\Noselect \\HasChildren) "/" Parent' in lines, "rev1: a bare level is \\Noselect")
ok(one, "UNSELECT")

# --- rev2 ---
two = login(True)
two.append("a", MSG % "third")
lines = ok(two, "SELECT INBOX")
t.ok(b"* 3 EXISTS" in lines, "rev2: SELECT answers EXISTS")
t.ok(not [ln for ln in lines if ln.endswith(b" RECENT")], "rev2: no RECENT")
t.ok(not [ln for ln in lines if b"[UNSEEN" in ln], "rev2: no UNSEEN code")
t.ok(b'* LIST (\\HasNoChildren) "/" INBOX' in lines, "rev2: the mailbox's LIST")
t.ok(not [ln for ln in lines if b"\\Recent" in ln], "rev2: \\Recent in no FLAGS")
lines = ok(two, "FETCH 3 FLAGS")
t.is_(lines, [b"* 3 FETCH (FLAGS ())"], "rev2: FETCH FLAGS of a new message: no \\Recent")
t.is_(ok(two, "SEARCH ALL"), [b'* ESEARCH (TAG "x") ALL 1:3'], "rev2: SEARCH answers ESEARCH")
t.is_(ok(two, "UID SEARCH FLAGGED"), [b'* ESEARCH (TAG "x") UID ALL 1'], "rev2: UID SEARCH too")
t.is_(ok(two, "SEARCH DRAFT"), [b'* ESEARCH (TAG "x")'], "rev2: no match, no ALL")
t.is_(ok(two, "SEARCH RETURN (COUNT) ALL"), [b'* ESEARCH (TAG "x") COUNT 3'],
      "rev2: RETURN options as before")
t.is_(ok(two, "STORE 2 +FLAGS (\\Deleted)"), [b"* 2 FETCH (UID 2 FLAGS (\\Deleted))"],
      "rev2: STORE's FETCH carries the UID")
lines = ok(two, "STATUS Sent (MESSAGES DELETED SIZE)")
t.is_(lines, [b"* STATUS Sent (MESSAGES 0 DELETED 0 SIZE 0)"], "rev2: STATUS DELETED")
lines = ok(one, "STATUS INBOX (DELETED MESSAGES)")
t.is_(lines, [b"* STATUS INBOX (DELETED 1 MESSAGES 3)"], "  counting \\Deleted messages")
lines = ok(two, 'LIST "" %')
t.ok(b'* LIST (\\NonExistent \\HasChildren) "/" Parent' in lines,
     "rev2: a bare level is \\NonExistent")
ok(two, 'CREATE "Entwürfe/Alt"')
lines = ok(two, 'LIST "" "Entw*"')
t.ok('* LIST (\\HasChildren) "/" "Entwürfe"'.encode() in lines, "rev2: names in UTF-8")
lines = ok(one, 'LIST "" "Entw*"')
t.ok(b'* LIST (\\HasChildren) "/" Entw&APw-rfe' in lines, "  modified UTF-7 to the rev1 session")
lines = ok(two, 'EXAMINE "Entwürfe"')
t.ok(b"* OK [CLOSED] previous mailbox closed" in lines and
     '* LIST (\\HasChildren) "/" "Entwürfe"'.encode() in lines,
     "rev2: EXAMINE of another: CLOSED, then its LIST")
lines = ok(two, "SELECT Sent")
t.ok(b'* LIST (\\HasNoChildren \\Sent) "/" Sent' in lines, "  with its special use")

# a message arriving in a selected mailbox
ok(two, "SELECT INBOX")
ok(one, "SELECT INBOX")
three = login(False)
three.append("a", MSG % "fourth")
three.close()
lines = ok(two, "NOOP")
t.ok(b"* 4 EXISTS" in lines and not [ln for ln in lines if ln.endswith(b" RECENT")],
     "rev2: a new message: EXISTS without RECENT")
lines = ok(one, "NOOP")
t.ok(b"* 4 EXISTS" in lines and [ln for ln in lines if re.match(rb"\* \d+ RECENT$", ln)],
     "rev1: EXISTS and RECENT")

for r in (one, two):
    r.command("z", "LOGOUT")
    r.close()
t.done()
