#!/usr/bin/env python3
"""big_body.t - bodies of tens of megabytes come back byte-identical
however they are read: RETR through poplib and FETCH BODY[] through
imaplib, two RETRs of different big messages (two persons: a maildrop takes one
session) interleaved on one pop3srv,
and IMAP partial fetches that run on from each other, jump back, cross
the read-ahead's growing windows and the end of the body (the store
reads a body through a read-ahead; see store_message_read)."""
import imaplib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emspop import PASSWORD, USER, PopSuite, Raw  # noqa: E402

t = emstest.Tap()
for prog in ("pop3srv", "imap4srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

LINES = 300000     # 80-octet lines: 24 MB


def text(tag):
    """Message TAG: every line numbered, so bytes from a wrong offset or
    the other message cannot match."""
    head = "From: big@outside.example\nTo: %s\nSubject: big %s\n\n" % (USER, tag)
    return head + "".join("%s %08d %s\n" % (tag, i, "y" * 60) for i in range(LINES))


s = PopSuite(name="bigbody")
OTHER = "other@example.test"
s.admin("insert person username=%s password=%s" % (OTHER, PASSWORD))
texts = [text("alpha"), text("bravo")]
rc = []
for x, who in ((texts[0], USER), (texts[1], USER), (texts[1], OTHER)):
    mbox = os.path.join(s.dir, "big.mbox")
    with open(mbox, "w") as f:
        f.write("From big@outside.example Mon Nov 30 10:00:00 2026\n" + x + "\n")
    rc.append(s.oomgr("import mbox %s person=%s" % (mbox, who)).returncode)
t.is_(rc, [0, 0, 0], "two messages of 24 MB are imported")
want = [x.replace("\n", "\r\n").encode() for x in texts]
t.ok(len(want[0]) > 20000000, "each is %d octets" % len(want[0]))
s.start_pop()
imap_port = emstest.free_port()
s.start_listening("imap4srv", imap_port, emstest.free_port(), ())

m = s.connect()
resp, lines, octets = m.retr(1)
t.ok(b"\r\n".join(lines) + b"\r\n" == want[0], "poplib RETR 1 is byte-identical")
m.quit()


def retr_start(who):
    r = Raw(s.pop_port)
    r.command("USER %s" % who)
    r.command("PASS %s" % PASSWORD)
    r.send("RETR 1\r\n")
    r.sock.settimeout(emstest.DEFAULT_TIMEOUT)
    return r


def retr_read(r, data, size):
    """Reads up to SIZE more octets of R's answer into DATA; False at its end."""
    while not data.endswith(b"\r\n.\r\n") and size > 0:
        chunk = r.sock.recv(min(size, 65536))
        if not chunk:
            return False
        data += chunk
        size -= len(chunk)
    return not data.endswith(b"\r\n.\r\n")


a, b = retr_start(USER), retr_start(OTHER)
da, db = bytearray(a.buf), bytearray(b.buf)
more_a = more_b = True
while more_a or more_b:    # turns: each RETR is read on while the other waits
    more_a = more_a and retr_read(a, da, 1 << 20)
    more_b = more_b and retr_read(b, db, 700000)


def unstuff(data):
    head, rest = bytes(data).split(b"\r\n", 1)
    return head, rest[:-3].replace(b"\r\n..", b"\r\n.")


t.ok(unstuff(da) == (b"+OK %d octets" % len(want[0]), want[0]) and
     unstuff(db) == (b"+OK %d octets" % len(want[1]), want[1]),
     "two RETRs of different messages read by turns are both byte-identical")

i = imaplib.IMAP4("127.0.0.1", imap_port, timeout=emstest.DEFAULT_TIMEOUT)
i.login(USER, PASSWORD)
i.select("INBOX")
typ, d = i.fetch("2", "(BODY.PEEK[])")
t.ok(typ == "OK" and d[0][1] == want[1], "imaplib FETCH BODY[] is byte-identical")


def partial(n, off, size):
    typ, d = i.fetch(str(n), "(BODY.PEEK[]<%d.%d>)" % (off, size))
    return d[0][1] if typ == "OK" and isinstance(d[0], tuple) else None


# on from each other in pieces of 16 KiB + 1, then a jump back, a piece
# across the 4 MiB mark, the other message, and the tail past the end
off, got, ok = 0, [], True
while off < 6 * 1024 * 1024:
    got.append(partial(1, off, 16385))
    off += 16385
t.ok(b"".join(x or b"" for x in got) == want[0][:off], "partial fetches run on byte-identical")
t.ok(partial(1, 100, 5000) == want[0][100:5100], "a jump back reads the right bytes")
t.ok(partial(1, (4 << 20) - 7, 20) == want[0][(4 << 20) - 7:(4 << 20) + 13],
     "a piece across the 4 MiB mark")
t.ok(partial(2, off, 30000) == want[1][off:off + 30000],
     "the other message at the same offset gives its own bytes")
t.ok(partial(1, off + 30000, 99) == want[0][off + 30000:off + 30099],
     "and back to the first")
tail = len(want[0]) - 10
t.ok(partial(1, tail, 1000) == want[0][tail:], "a piece past the end stops at the end")
i.logout()
t.done()
