#!/usr/bin/env python3
"""lmtp_session.t - smtpgw's LMTP server (RFC 2033) with Python's
smtplib.LMTP and a raw socket: LHLO capabilities, per-recipient RCPT
replies (known 250, unknown 550 5.1.1, over quota 452 4.2.2), one DATA
reply per accepted recipient, a message over the size limit refused,
pipelined commands answered in order, clean errors for bad commands, and
the mail in the mailboxes afterwards."""
import os
import smtplib
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import MailSuite, crlf, make_message, strip_trace  # noqa: E402

t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

LIMIT = 50000
s = MailSuite({"lmtp": {"max_message_size": LIMIT}}, name="lmtp")
s.admin("insert domain qualifiedname=example.test",
        "insert person username=ann@example.test password=x",
        "insert person username=bob@example.test password=x",
        "insert person username=full@example.test password=x quota=2000",
        "insert dlist name=team@example.test members=\"ann@example.test,bob@example.test\"")
s.start_daemons()
# Fill full@ to its quota.
s.mailer("a@outside.example", "full@example.test",
         make_message("filler", body="f" * 1500 + "\n"))
s.wait_messages("full@example.test", 1)

# --- smtplib over the unix socket: capabilities and a mixed transaction
lm = smtplib.LMTP(s.lmtp_socket, timeout=10)
code, text = lm.ehlo("client.test")
t.is_(code, 250, "LHLO over the unix socket")
for ext in ("pipelining", "enhancedstatuscodes", "8bitmime", "size"):
    t.ok(lm.has_extn(ext), "offers %s" % ext.upper())
t.is_(lm.esmtp_features.get("size"), str(LIMIT), "SIZE names the limit")

t.is_(lm.mail("sender@outside.example", ["BODY=8BITMIME", "SIZE=300"])[0], 250,
      "MAIL FROM with SIZE and BODY=8BITMIME")
replies = [lm.rcpt(r) for r in ("ann@example.test", "nobody@example.test",
                                "full@example.test", "bob@example.test",
                                "someone@elsewhere.example")]
t.is_([c for c, _ in replies], [250, 550, 452, 250, 550],
      "RCPT: known 250, unknown 550, over quota 452, known 250, not hosted 550")
t.like(replies[1][1], b"5.1.1", "unknown recipient: 5.1.1")
t.like(replies[2][1], b"4.2.2", "over quota: 4.2.2")
msg = crlf(make_message("mixed", body="to ann and bob\n", to="ann@example.test"))
first = lm.data(msg)
second = lm.getreply()
t.is_((first[0], second[0]), (250, 250), "DATA: one reply per accepted recipient")
t.like(first[1], b"ann@example.test", "the first names ann")
t.like(second[1], b"bob@example.test", "the second names bob")
lm.quit()
got_a = s.wait_messages("ann@example.test", 1)
got_b = s.wait_messages("bob@example.test", 1)
t.ok(len(got_a) == 1 and len(got_b) == 1, "both got it")
t.is_(strip_trace(s.message("ann@example.test", 1)), crlf(msg),
      "byte for byte after the trace fields")

# --- TCP port, size limit
lm = smtplib.LMTP("127.0.0.1", s.lmtp_port, timeout=10)
lm.ehlo("client.test")
code, text = lm.mail("sender@outside.example", ["SIZE=%d" % (LIMIT + 1)])
t.is_(code, 552, "MAIL with SIZE over the limit: 552")
t.like(text, b"5.3.4", "with 5.3.4")
lm.rset()
lm.mail("sender@outside.example")
lm.rcpt("ann@example.test")
big = make_message("big", body=("b" * 999 + "\n") * (LIMIT // 1000 + 5))
code, text = lm.data(big)
t.is_(code, 552, "a message over the limit without SIZE: 552 after DATA")
t.like(text, b"5.3.4", "with 5.3.4")
t.is_(lm.noop()[0], 250, "the session goes on")

# --- over quota detected at the end of DATA (no SIZE hint)
lm.mail("sender@outside.example")
t.is_(lm.rcpt("full@example.test")[0], 250, "a nearly full mailbox accepts a RCPT without SIZE")
lm.rcpt("bob@example.test")
code1, text1 = lm.data(make_message("fat", body="x" * 900 + "\n"))
code2, text2 = lm.getreply()
t.is_((code1, code2), (452, 250), "DATA: over quota 452 for full@, 250 for bob")
lm.quit()

# --- errors and sequencing
lm = smtplib.LMTP("127.0.0.1", s.lmtp_port, timeout=10)
t.is_(lm.docmd("MAIL FROM:<a@b.example>")[0], 503, "MAIL before LHLO: 503")
t.is_(lm.docmd("HELO x")[0], 500, "HELO is refused on LMTP: 500")
lm.ehlo("client.test")
t.is_(lm.docmd("RCPT TO:<ann@example.test>")[0], 503, "RCPT before MAIL: 503")
t.is_(lm.docmd("DATA")[0], 503, "DATA before MAIL: 503")
t.is_(lm.docmd("FROB")[0], 500, "unknown command: 500")
t.is_(lm.docmd("MAIL FROM:<a@b.example> BOGUS=1")[0], 555, "unknown MAIL parameter: 555")
t.is_(lm.docmd("MAIL FROM:<a@b.example>")[0], 250, "then a good MAIL")
t.is_(lm.docmd("RCPT TO:<nobody@example.test>")[0], 550, "only an unknown recipient")
t.is_(lm.docmd("DATA")[0], 503, "DATA without an accepted recipient: 503")
t.is_(lm.docmd("MAIL FROM:<a@b.example>")[0], 503, "a second MAIL in a transaction: 503")
t.is_(lm.docmd("RSET")[0], 250, "RSET")
t.is_(lm.docmd("VRFY ann")[0], 252, "VRFY: 252")
t.is_(lm.docmd("X" * 3000)[0], 500, "an over-long command line: 500")
lm.quit()

# --- pipelining: everything in one write, replies in order
sock = socket.create_connection(("127.0.0.1", s.lmtp_port), timeout=10)
f = sock.makefile("rb")
f.readline()
body = crlf(make_message("piped", to="team@example.test"))
sock.sendall(b"LHLO pipe.test\r\nMAIL FROM:<p@outside.example>\r\n"
             b"RCPT TO:<team@example.test>\r\nRCPT TO:<ghost@example.test>\r\n"
             b"RCPT TO:<ann@example.test>\r\nDATA\r\n")
lines = []
while True:
    line = f.readline()
    lines.append(line)
    if line.startswith(b"354") or not line:
        break
codes = [ln[:3] for ln in lines if ln[3:4] == b" "]
t.is_(codes, [b"250", b"250", b"250", b"550", b"250", b"354"],
      "pipelined LHLO, MAIL, 3 RCPT, DATA answered in order")
sock.sendall(body + b".\r\n" + b"QUIT\r\n")
tail = [f.readline()[:3] for _ in range(3)]
t.is_(tail, [b"250", b"250", b"221"], "two DATA replies (list and ann), then QUIT")
sock.close()
ann = s.wait_messages("ann@example.test", 2)
t.is_(len(ann), 2, "ann got the list mail once, though named twice")
t.ok(len(s.wait_messages("bob@example.test", 3)) == 3, "bob got it through the list")

# --- a client that goes away in the middle of DATA: nothing is queued
sock = socket.create_connection(("127.0.0.1", s.lmtp_port), timeout=10)
sock.sendall(b"LHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.test>\r\n"
             b"DATA\r\nSubject: cut\r\n\r\nhalf a mess")
time.sleep(0.3)
sock.close()
time.sleep(1.5)
t.is_(len(s.messages("bob@example.test")), 3, "a message cut off is not delivered")

t.ok(s.smtpgw.poll() is None, "smtpgw is still running")
if t.failed:
    t.diag(s.logs())
s.stop()
t.done()
