#!/usr/bin/env python3
"""imap_objectid.t - OBJECTID (RFC 8474), after the examples of its
section 7: MAILBOXID in the OK of CREATE, in SELECT and in STATUS, kept
by RENAME and never given again after DELETE; EMAILID in FETCH, the
same for a copy and after a move, different for different messages,
and found by SEARCH EMAILID; THREADID NIL, since ems keeps no threads,
and SEARCH THREADID matching nothing."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite, Raw  # noqa: E402

t = emstest.Tap()
if not os.access(os.path.join(emstest.BIN, "imap4srv"), os.X_OK):
    t.skip_all("imap4srv is not built")

s = ImapSuite(name="objectid")
s.start_imap()
r = Raw(s.imap_port)
r.command("l", "LOGIN demo@example.test demo")
OBJECTID = rb"[A-Za-z0-9_-]{1,255}"


def cmd(text, tag="x"):
    return r.command(tag, text)


def code_id(line, what):
    m = re.search(rb"\[MAILBOXID \((" + OBJECTID + rb")\)\]", line)
    t.ok(m is not None, what)
    return m.group(1) if m else None


lines, _ = cmd("CAPABILITY")
t.ok(b"OBJECTID" in (lines[0].split() if lines else []), "OBJECTID is advertised")

# --- MAILBOXID ---
_, tagged = cmd("CREATE foo")
foo = code_id(tagged, "CREATE answers OK [MAILBOXID (...)]")
_, tagged = cmd("CREATE bar")
bar = code_id(tagged, "  for every new mailbox")
t.ok(foo != bar, "  each its own")
_, tagged = cmd("CREATE foo")
t.ok(tagged.startswith(b"x NO"), "CREATE of an existing name: NO")
lines, _ = cmd('SELECT "foo"')
t.ok(b"* OK [MAILBOXID (%s)] mailbox id" % foo in lines, "SELECT names the MAILBOXID")
cmd("CLOSE")
cmd("RENAME foo renamed")
lines, _ = cmd("STATUS renamed (MAILBOXID)")
t.is_(lines, [b"* STATUS renamed (MAILBOXID (%s))" % foo], "RENAME keeps the MAILBOXID")
lines, _ = cmd('LIST "" renamed RETURN (STATUS (MESSAGES MAILBOXID))')
t.is_(lines[1:], [b"* STATUS renamed (MESSAGES 0 MAILBOXID (%s))" % foo],
      "  also through LIST-STATUS")
cmd("DELETE renamed")
_, tagged = cmd("CREATE renamed")
again = code_id(tagged, "CREATE after DELETE")
t.ok(again not in (foo, bar), "  gives a MAILBOXID never given before")

# --- EMAILID and THREADID ---
for i in (1, 2):
    text = "Subject: message %d\r\n\r\nbody %d\r\n" % (i, i)
    r.send("a APPEND INBOX {%d}\r\n" % len(text))
    r.line()
    r.send(text + "\r\n")
    r.until("a")
cmd("SELECT INBOX")
lines, _ = cmd("FETCH 1:* (EMAILID THREADID)")
ids = [re.match(rb"\* \d+ FETCH \(EMAILID \((" + OBJECTID + rb")\) THREADID NIL\)$", ln)
       for ln in lines]
t.ok(len(ids) == 2 and all(ids), "FETCH EMAILID (...) THREADID NIL")
first, second = (m.group(1) if m else None for m in (ids + [None, None])[:2])
t.ok(first != second, "different messages, different EMAILIDs")
cmd("COPY 1 bar")
cmd("MOVE 2 renamed")
cmd("SELECT bar")
lines, _ = cmd("FETCH 1 (EMAILID)")
t.is_(lines, [b"* 1 FETCH (EMAILID (%s))" % first], "a copy keeps the EMAILID")
cmd("SELECT renamed")
lines, _ = cmd("FETCH 1:* (EMAILID)")
t.is_(lines, [b"* 1 FETCH (EMAILID (%s))" % second], "a move keeps the EMAILID")
cmd("SELECT INBOX")
lines, _ = cmd("SEARCH EMAILID %s" % first.decode())
t.is_(lines, [b"* SEARCH 1"], "SEARCH EMAILID finds the message")
lines, _ = cmd("SEARCH EMAILID %s" % second.decode())
t.is_(lines, [b"* SEARCH"], "  not one that moved away")
lines, _ = cmd("SEARCH EMAILID Enot-an-id")
t.is_(lines, [b"* SEARCH"], "  nothing for an id no message has")
lines, _ = cmd("SEARCH THREADID T1")
t.is_(lines, [b"* SEARCH"], "SEARCH THREADID matches nothing: no threads")

r.close()
t.done()
