#!/usr/bin/env python3
"""imap_logout.t - after LOGOUT a client hears nothing more about its
mailbox: the answer is "* BYE" and the tagged OK, even when another
session expunged messages and changed flags that this one was not told
of yet (RFC 3501 6.1.3; imaptest reports such updates as "seq too high"
in state LOGOUT)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = ImapSuite(name="logout")
s.start_imap()


a, b = s.raw(), s.raw()
for i in range(1, 4):
    a.append("p%d" % i, "Subject: m%d\r\n\r\nbody %d\r\n" % (i, i))
a.command("s", "SELECT INBOX")
b.command("s", "SELECT INBOX")

# B changes the mailbox under A: a flag, an expunge, a new message
b.command("b1", "STORE 1 +FLAGS (\\Flagged)")
b.command("b2", "STORE 2 +FLAGS.SILENT (\\Deleted)")
lines, _ = b.command("b3", "EXPUNGE")
t.is_(lines, [b"* 2 EXPUNGE"], "another session expunges a message")
b.append("b4", "Subject: m4\r\n\r\nbody 4\r\n")

lines, tagged = a.command("o", "LOGOUT")
t.is_(tagged, b"o OK LOGOUT completed", "LOGOUT is answered OK")
t.is_(len(lines), 1, "  with exactly one untagged line")
t.ok(lines and lines[0].startswith(b"* BYE"), "  which is BYE")
t.is_(a.line(), b"", "  and the connection is closed after it")

# a session that only selected, logging out right after another's change
c = s.raw()
c.command("s", "SELECT INBOX")
b.command("b5", "STORE 1 -FLAGS (\\Flagged)")
lines, tagged = c.command("o", "LOGOUT")
t.ok(len(lines) == 1 and lines[0].startswith(b"* BYE") and tagged.startswith(b"o OK"),
     "a second session's LOGOUT: BYE and OK only (%r)" % lines)

a.close()
b.close()
c.close()
s.stop()
t.done()
