#!/usr/bin/env python3
"""lmtp_spool.t - LMTP DATA and the mailer's input larger than a chunk
go to a spool file as they arrive and the queue commit adopts it: the
message is delivered byte for byte (dot-stuffing and bare LFs decoded
across chunk edges); a message over the limit is refused (552 5.3.4, the
mailer's exit 69) with nothing stored and no spool file left; an smtpgw
killed in the middle of DATA leaves nothing behind once restarted; the
queue commit runs on smtpgw's store pool: while another process holds
the store's write lock, a DATA waits for its answer and another
session's NOOP is answered."""
import os
import signal
import smtplib
import socket
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import MailSuite, crlf, make_message, strip_trace  # noqa: E402
from emsproto import RawLines, lock_store  # noqa: E402

t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

LIMIT = 3 * 1000 * 1000
EX_UNAVAILABLE = 69
s = MailSuite({"lmtp": {"max_message_size": LIMIT},
               "store": {"busy_timeout_ms": 120000}}, name="lmtp-spool")
s.admin("insert domain qualifiedname=example.test",
        "insert person username=ann@example.test password=x")
s.start_daemons()
spool = os.path.join(s.state, "spool")


def stored():
    """Rows in the store's message table."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(s.state, "store.db"), uri=True)
    try:
        return db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    finally:
        db.close()


def held(pid):
    """PID's open descriptors on files of the spool directory."""
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith(spool + "/"):
                out.append(fd)
        except OSError:
            pass
    return out


def big_message(subject, size):
    """About SIZE bytes whose lines start with dots now and then and end
    with bare LFs, so decoding rules meet chunk edges."""
    lines = []
    n = 0
    i = 0
    while n < size:
        ln = ("." if i % 7 == 0 else "") + "line %06d " % i + "z" * (i % 90) + "\n"
        lines.append(ln)
        n += len(ln)
        i += 1
    return make_message(subject, body="".join(lines), to="ann@example.test")


# --- LMTP: a message of many chunks, byte for byte ---
msg = big_message("lmtp big", 2 * 1000 * 1000)
lm = smtplib.LMTP("127.0.0.1", s.lmtp_port, timeout=60)
lm.ehlo("client.test")
lm.mail("sender@outside.example")
lm.rcpt("ann@example.test")
code, _ = lm.data(msg)
t.is_(code, 250, "LMTP DATA of %d bytes (many chunks): 250" % len(msg))
got = s.wait_messages("ann@example.test", 1)
t.is_(len(got), 1, "  delivered")
t.ok(strip_trace(s.message("ann@example.test", 1)) == crlf(msg),
     "  byte for byte after the trace fields")
t.is_(held(s.smtpgw.pid), [], "  and smtpgw holds no spool file")

# --- the queue commit is a pool job: a held lock stalls the DATA, not the loop ---
db = lock_store(s)
a = RawLines(s.lmtp_port)
a.send(b"LHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<ann@example.test>\r\nDATA\r\n")
while not a.line().startswith(b"354"):
    pass
a.send(crlf(big_message("waits", 300 * 1000)) + b".\r\n")
t.ok(emstest.wait_for(a.all_taken), "smtpgw read the whole DATA")
# the outbound side's tick (every 2 s) leases queue items: it too must
# wait on its pool, not on the loop the LMTP sessions share
time.sleep(4.5)
b = smtplib.LMTP("127.0.0.1", s.lmtp_port, timeout=60)
t.is_(b.noop()[0], 250, "while a lock holds the DATA's commit, another session's NOOP is answered")
t.ok(a.nothing_yet(), "  and the DATA is not answered yet")
db.rollback()
db.close()
t.ok(a.line().startswith(b"250 2.0.0 <ann@example.test> Delivered"),
     "  once the lock is gone the message is filed")
b.quit()
a.close()
s.wait_messages("ann@example.test", 2)

# --- LMTP over the limit ---
before = stored()
lm.mail("sender@outside.example")
lm.rcpt("ann@example.test")
code, text = lm.data(big_message("too big", LIMIT + 100000))
t.is_(code, 552, "LMTP DATA over the limit: 552")
t.like(text, b"5.3.4", "  with 5.3.4")
t.is_(stored(), before, "  nothing stored")
t.is_(held(s.smtpgw.pid), [], "  no spool file left")
t.is_(os.listdir(spool), [], "  and the spool directory is empty")
lm.quit()

# --- mailer: large input, and input over the limit ---
msg = big_message("mailer big", 1500 * 1000)
r = s.mailer("sender@outside.example", "ann@example.test", msg, timeout=60)
t.is_(r.returncode, 0, "the mailer takes %d bytes (many chunks)" % len(msg))
got = s.wait_messages("ann@example.test", 3)
t.ok(len(got) == 3 and strip_trace(s.message("ann@example.test", got[-1].uid)) == crlf(msg),
     "  delivered byte for byte")
before = stored()
r = s.mailer("sender@outside.example", "ann@example.test",
             big_message("mailer too big", LIMIT + 100000), timeout=60)
t.is_(r.returncode, EX_UNAVAILABLE, "the mailer over the limit: exit 69")
t.like(r.stderr, b"5.3.4", "  saying 5.3.4")
t.is_(stored(), before, "  nothing stored")
t.is_(os.listdir(spool), [], "  no spool file left")

# --- smtpgw killed in the middle of DATA ---
before = stored()
sock = socket.create_connection(("127.0.0.1", s.lmtp_port), timeout=10)
sock.sendall(b"LHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<ann@example.test>\r\nDATA\r\n"
             b"Subject: killed\r\n\r\n" + b"k" * 70 + b"\r\n")
sock.sendall((b"k" * 78 + b"\r\n") * 10000)
emstest.wait_for(lambda: held(s.smtpgw.pid) != [])
t.ok(held(s.smtpgw.pid) != [], "a message on its way is in a spool file")
s.smtpgw.send_signal(signal.SIGKILL)
s.smtpgw.wait()
sock.close()
s.procs.remove(s.smtpgw)
s.start_daemons(postman=False)
t.is_(os.listdir(spool), [], "smtpgw killed in the middle of DATA: no spool file after restart")
t.is_(held(s.smtpgw.pid), [], "  none held")
t.is_(stored(), before, "  and nothing stored")

if t.failed:
    t.diag(s.logs())
s.stop()
t.done()
