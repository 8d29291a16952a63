#!/usr/bin/env python3
"""store_pg_suite.t - a suite on the PostgreSQL store, end to end.

A private PostgreSQL cluster (t/lib/emspg.py), a fresh database, and a
suite whose ems.conf says store.backend = "postgresql" with that
database's connection string: oomgr creates the demo person, Python's
smtplib.LMTP delivers messages of several sizes through smtpgw (postman
files them), imaplib reads them back byte for byte (after the trace
fields), APPENDs one and reads it back, and the UIDs are unique and
ascending, also after two LMTP connections and an APPENDing IMAP client
wrote to the mailbox at once.  The rows are in PostgreSQL (psql counts them) and no SQLite
file was made.
"""

import imaplib
import os
import re
import smtplib
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emspg  # noqa: E402
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402
from emsmail import crlf, strip_trace  # noqa: E402
from emsproto import PASSWORD, USER  # noqa: E402

CHUNK = 64 * 1024   # store_pg.h STORE_PG_CHUNK: sizes around it matter
SLOW = 120          # bound of a step that moves the biggest message

t = emstest.Tap()
emspg.require(t, ("smtpgw", "postman", "oomgr", "imap4srv"))


def message(name, body):
    return (b"From: sender@outside.example\r\nTo: %s\r\nSubject: %s\r\n\r\n"
            % (USER.encode(), name.encode())) + body


def filler(n):
    """N bytes of text lines (CRLF), every byte value 32..126 in turn."""
    line = bytes(range(32, 127)) + b"\r\n"
    return (line * (n // len(line) + 1))[:n - 2] + b"\r\n"


CASES = [
    ("small", message("small", b"hello\r\n")),
    ("8bit", message("8bit", "Gr\u00fc\u00dfe \u65e5\u672c\r\n".encode()
                     + bytes(range(128, 256)) + b"\r\n")),
]
# whole chunks, one byte either side, and several chunks with a tail
for size in (CHUNK, 2 * CHUNK, 2 * CHUNK + 1, 5 * CHUNK + 12345, 3 * 1024 * 1024):
    head = message("size-%d" % size, b"")
    CASES.append(("size-%d" % size, head + filler(size - len(head))))

conninfo = emspg.new_database()
s = ImapSuite({"store": {"backend": "postgresql", "conninfo": conninfo},
               "log": {"level": "info"}}, name="pgsuite")
s.start_daemons()
s.start_imap()

for name, data in CASES:
    lm = smtplib.LMTP(s.lmtp_socket, timeout=SLOW)
    try:
        t.is_(lm.sendmail("sender@outside.example", [USER], data), {},
              "LMTP takes %s (%d bytes)" % (name, len(data)))
    except smtplib.SMTPException as e:
        t.ok(False, "LMTP takes %s: %r" % (name, e))
    lm.quit()
got = s.wait_messages(USER, len(CASES), timeout=SLOW)
t.is_(len(got), len(CASES), "postman filed all %d" % len(CASES))

m = s.connect()
m.select("INBOX", readonly=True)
typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
served = {}
for item in data:
    if isinstance(item, tuple):
        subject = re.search(rb"^Subject: (\S+)", item[1], re.M)
        served[subject.group(1).decode() if subject else "?"] = item[1]
for name, sent in CASES:
    got_bytes = strip_trace(served.get(name, b""))
    t.ok(got_bytes == crlf(sent), "IMAP serves %s exactly" % name)

appended = message("appended", filler(CHUNK + 100))
typ, resp = m.append("INBOX", "(\\Seen)", None, appended)
t.is_(typ, "OK", "APPEND of a message over one chunk")
m.select("INBOX")
typ, data = m.uid("SEARCH", "ALL")
uids = [int(x) for x in data[0].split()]
t.is_(uids, sorted(set(uids)), "UIDs unique and ascending")
t.is_(len(uids), len(CASES) + 1, "the appended one is there too")
typ, data = m.uid("FETCH", str(uids[-1]), "(FLAGS BODY.PEEK[])")
t.ok(data and isinstance(data[0], tuple) and data[0][1] == appended,
     "the appended message reads back byte for byte")
t.like(data[0][0].decode() if data and isinstance(data[0], tuple) else "", "\\Seen",
       "with its flag")
m.logout()

# Writers at once: two LMTP connections and an IMAP client APPENDing, all
# to one mailbox; every message arrives and the UIDs stay unique.
EACH = 10


def lmtp_writer(tag, errors):
    try:
        lm = smtplib.LMTP(s.lmtp_socket, timeout=SLOW)
        for i in range(EACH):
            lm.sendmail("sender@outside.example", [USER], message("%s-%d" % (tag, i), b"x\r\n"))
        lm.quit()
    except (OSError, smtplib.SMTPException) as e:
        errors.append("%s: %r" % (tag, e))


def append_writer(errors):
    try:
        a = s.connect()
        for i in range(EACH):
            typ, _ = a.append("INBOX", None, None, message("append-%d" % i, b"y\r\n"))
            if typ != "OK":
                errors.append("APPEND %d: %s" % (i, typ))
        a.logout()
    except (OSError, imaplib.IMAP4.error) as e:
        errors.append("append: %r" % e)


errors = []
threads = [threading.Thread(target=lmtp_writer, args=("lmtp-a", errors)),
           threading.Thread(target=lmtp_writer, args=("lmtp-b", errors)),
           threading.Thread(target=append_writer, args=(errors,))]
for th in threads:
    th.start()
for th in threads:
    th.join(SLOW)
t.is_(errors, [], "two LMTP connections and an APPENDing client at once, no error")
total = len(CASES) + 1 + 3 * EACH
got = s.wait_messages(USER, total, timeout=SLOW)
t.is_(len(got), total, "every one of them is filed")
m = s.connect()
m.select("INBOX", readonly=True)
typ, data = m.uid("SEARCH", "ALL")
uids = [int(x) for x in data[0].split()]
t.ok(len(uids) == total and uids == sorted(set(uids)), "UIDs unique and ascending")
m.logout()

c = emspg.cluster()
dbname = re.search(r"dbname=(\S+)", conninfo).group(1)
t.is_(c.psql("SELECT count(*) FROM entries", dbname).strip(), str(total),
      "the entries are rows in PostgreSQL")
t.ok(int(c.psql("SELECT count(*) FROM message_chunks", dbname)) > len(CASES),
     "and the bodies are chunks there")
t.ok(not os.path.exists(os.path.join(s.state, "store.db")), "no SQLite store was made")
s.stop()
t.done()
