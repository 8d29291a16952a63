#!/usr/bin/env python3
"""imap_keywords.t - a keyword new to a mailbox is announced before it is
used (RFC 3501 7.2.6): every session that has the mailbox selected gets
an untagged FLAGS listing it, and OK [PERMANENTFLAGS], before the first
FETCH that shows it; whether the keyword came by STORE (also .SILENT) or
APPEND, from this session or another.  imaptest's state checking counts
every FETCH that breaks this as an error."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = ImapSuite(name="keywords")
s.start_imap()


def flags_of(line):
    """The keywords (no backslash), lower case, of a FLAGS or FETCH line."""
    m = re.search(rb"FLAGS \(([^)]*)\)", line)
    return {w.lower() for w in m.group(1).decode().split() if not w.startswith("\\")} if m else set()


class Session:
    """A raw session that keeps what FLAGS told it and notes each FETCH
    showing a keyword not announced before, and each FLAGS not followed
    by PERMANENTFLAGS."""

    def __init__(self):
        self.r = s.raw()
        self.known = set()
        self.wrong = []

    def command(self, tag, text):
        lines, tagged = self.r.command(tag, text)
        self.check(lines)
        return lines, tagged

    def append(self, tag, flags=""):
        lines, tagged = self.r.append(tag, "Subject: %s\r\n\r\nbody\r\n" % tag, flags=flags)
        self.check(lines)
        return lines, tagged

    def check(self, lines):
        for i, ln in enumerate(lines):
            if ln.startswith(b"* FLAGS "):
                self.known |= flags_of(ln)
                if i + 1 >= len(lines) or not lines[i + 1].startswith(b"* OK [PERMANENTFLAGS "):
                    self.wrong.append(ln)
            elif b" FETCH " in ln and not flags_of(ln) <= self.known:
                self.wrong.append(ln)

    def fine(self):
        """None when nothing went wrong since the last call, else the lines."""
        wrong, self.wrong = self.wrong, []
        return wrong or None


a, b = Session(), Session()
a.append("p1")
a.append("p2")
a.command("s", "SELECT INBOX")
b.command("s", "SELECT INBOX")

# --- this session's STORE ---
lines, tagged = a.command("k1", "STORE 1 +FLAGS ($Pear)")
t.ok(tagged.startswith(b"k1 OK"), "STORE of a new keyword")
t.is_(a.fine(), None, "  FLAGS and PERMANENTFLAGS come before its FETCH")
t.ok(any(ln.startswith(b"* FLAGS ") and "$pear" in flags_of(ln) for ln in lines),
     "  and FLAGS lists it")
t.ok(any(ln.startswith(b"* OK [PERMANENTFLAGS (") and b"\\*" in ln and "$pear" in
         {w.lower() for w in ln.decode().split()} for ln in lines),
     "  PERMANENTFLAGS lists it too and still allows new keywords")

# --- another session sees the change ---
lines, _ = b.command("n1", "NOOP")
t.ok(any(b"FETCH" in ln and "$pear" in flags_of(ln) for ln in lines),
     "the other session gets the change as untagged FETCH")
t.is_(b.fine(), None, "  after a FLAGS that lists the keyword")

# --- STORE .SILENT still announces ---
lines, tagged = a.command("k2", "STORE 2 +FLAGS.SILENT ($Plum)")
t.ok(any(ln.startswith(b"* FLAGS ") and "$plum" in flags_of(ln) for ln in lines),
     "STORE .SILENT of a new keyword still sends FLAGS")
t.ok(not any(b" FETCH " in ln for ln in lines), "  and no FETCH")
a.command("f1", "FETCH 2 (FLAGS)")
t.is_(a.fine(), None, "  so the FETCH after it shows an announced keyword")
b.command("n2", "NOOP")
t.is_(b.fine(), None, "  and the other session hears of it before its FETCH")

# --- a keyword already announced is not announced again ---
lines, _ = a.command("k3", "STORE 1 +FLAGS ($PLUM)")
t.ok(not any(ln.startswith(b"* FLAGS ") for ln in lines),
     "a keyword already announced (in any case) brings no FLAGS")

# --- APPEND by another session with a new keyword ---
b.append("p3", "($Quince) ")
lines, _ = a.command("n3", "NOOP")
t.ok(b"* 3 EXISTS" in lines, "an APPEND by another session shows as EXISTS")
lines, _ = a.command("f2", "FETCH 3 (FLAGS)")
t.ok(any("$quince" in flags_of(ln) for ln in lines), "  a FETCH shows its keyword")
t.is_(a.fine(), None, "  after a FLAGS that lists it")
lines, _ = b.command("f3", "FETCH 3 (FLAGS)")
t.is_(b.fine(), None, "  the appending session too is told before its FETCH")

a.r.close()
b.r.close()
s.stop()
t.done()
