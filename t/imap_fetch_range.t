#!/usr/bin/env python3
"""imap_fetch_range.t - a FETCH over a range answers every message once,
in order, with its own bytes: the headers of 40 messages, the whole of
messages too big to be read together, EMAILIDs, and CHANGEDSINCE's
subset.  On PostgreSQL (pg_protocols.t runs it so) imap4srv reads the
messages of a range on its store pool several at a time, up to 16 or
1 MiB; this checks each lands on its own message number.  The client
is Python's imaplib."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402

t = emstest.Tap()
if not os.access(os.path.join(emstest.BIN, "imap4srv"), os.X_OK):
    t.skip_all("imap4srv is not built")

COUNT = 40
BIG = (7, 8, 9, 30)   # about 600 KB each: two never fit one read


def message(i):
    lines = ["big message %d line %06d" % (i, k) for k in range(24000)] if i in BIG \
        else ["body of message %d" % i]
    return ("From: a%d@example.test\r\nSubject: range %02d\r\n\r\n%s\r\n"
            % (i, i, "\r\n".join(lines))).encode()


def literals(data):
    """{message number: literal} of an imaplib FETCH answer, in order."""
    out = []
    for item in data:
        if isinstance(item, tuple):
            out.append((int(item[0].split()[0]), item[1]))
    return out


s = ImapSuite(name="fetchrange")
s.start_imap()
m = s.connect()
for i in range(1, COUNT + 1):
    m.append("INBOX", None, None, message(i))
typ, _ = m.select("INBOX")
t.is_(typ, "OK", "%d messages appended and selected" % COUNT)

typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
got = literals(data)
t.is_([n for n, _ in got], list(range(1, COUNT + 1)),
      "FETCH 1:* of a header field answers every message once, in order")
t.is_([v for _, v in got],
      [b"Subject: range %02d\r\n\r\n" % i for i in range(1, COUNT + 1)],
      "  each with its own subject")

typ, data = m.fetch("1:*", "(BODY.PEEK[])")
got = literals(data)
t.is_([n for n, _ in got], list(range(1, COUNT + 1)), "FETCH 1:* BODY[] answers every message")
bad = [n for n, v in got if v != message(n)]
t.is_(bad, [], "  each exactly as appended, the big ones too")

typ, data = m.fetch("1:*", "(EMAILID)")
ids = [re.search(rb"EMAILID \(([^)]+)\)", ln).group(1) if re.search(rb"EMAILID \(", ln)
       else None for ln in data]
t.ok(len(ids) == COUNT and None not in ids and len(set(ids)) == COUNT,
     "FETCH 1:* EMAILID: one distinct id per message")
one = [m.fetch(str(n), "(EMAILID)")[1][0] for n in (1, 17, COUNT)]
t.is_([re.search(rb"EMAILID \(([^)]+)\)", ln).group(1) for ln in one],
      [ids[0], ids[16], ids[COUNT - 1]], "  the same as each message's alone")

typ, data = m.fetch("1:*", "(MODSEQ)")
known = max(int(re.search(rb"MODSEQ \((\d+)\)", ln).group(1)) for ln in data)
m.store("3,20,35", "+FLAGS.SILENT", "(\\Flagged)")
typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)]) (CHANGEDSINCE %d)" % known)
got = literals(data)
t.is_(got, [(n, b"Subject: range %02d\r\n\r\n" % n) for n in (3, 20, 35)],
      "CHANGEDSINCE: only the three changed messages, each its own")
m.logout()
s.stop()
t.done()
