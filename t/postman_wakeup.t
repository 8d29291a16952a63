#!/usr/bin/env python3
"""postman_wakeup.t - after each delivery postman wakes the sessions
waiting on the mailboxes it changed (libcommon/wakeup.h: one datagram
with the mailbox id to every socket in <run_dir>/wakeup/, the way
imap4srv's IDLE listens).  A socket of the test stands in for an IMAP
process: a list of two persons wakes it for both mailboxes, only once
the messages are committed (they are visible when the datagram comes),
and a message that is not delivered (a loop) wakes nobody."""
import os
import re
import select
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import MailSuite, make_message  # noqa: E402

t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = MailSuite({"postman": {"interval_s": 600}}, name="wakeup")
s.admin("insert domain qualifiedname=example.test",
        "insert person username=ann@example.test password=x",
        "insert person username=bob@example.test password=x",
        "insert dlist name=team@example.test members=\"ann@example.test,bob@example.test\"")
wake_dir = os.path.join(s.state, "run", "wakeup")
os.makedirs(wake_dir, exist_ok=True)
probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
probe.bind(os.path.join(wake_dir, "probe.sock"))
s.start_daemons(smtpgw=False)


def next_ids(count, timeout=emstest.DEFAULT_TIMEOUT):
    """Mailbox ids of the next COUNT datagrams (fewer after TIMEOUT), and
    whether ann's and bob's messages were visible when the first came."""
    ids, seen = [], None
    while len(ids) < count:
        ready, _, _ = select.select([probe], [], [], timeout)
        if not ready:
            break
        data = probe.recv(64)
        if seen is None:
            seen = (len(s.messages("ann@example.test")), len(s.messages("bob@example.test")))
        if len(data) == 8:
            ids.append(struct.unpack("=q", data)[0])
    return ids, seen


def pending():
    """Datagrams waiting now, without blocking."""
    n = 0
    probe.setblocking(False)
    try:
        while True:
            probe.recv(64)
            n += 1
    except BlockingIOError:
        pass
    probe.setblocking(True)
    return n


def delivered_mailboxes():
    return {int(m) for m in re.findall(r"event=delivered .*?mailbox=(\d+)",
                                       s.log_text("postman"))}


r = s.mailer("sender@outside.example", "team@example.test",
             make_message("to the team", to="team@example.test"))
t.is_(r.returncode, 0, "a message to a list of two")
ids, seen = next_ids(2)
t.is_(len(ids), 2, "two wakeups came (postman's timer is 600 s: not a poll)")
t.is_(set(ids), delivered_mailboxes(), "naming the two mailboxes postman filed into")
t.is_(seen, (1, 1), "both messages were committed when the first wakeup came")

r = s.mailer("looper@outside.example", "ann@example.test",
             make_message("loop", extra="Delivered-To: ann@example.test\n"))
t.is_(r.returncode, 0, "a looping message is accepted (then bounced)")
r = s.mailer("sender@outside.example", "bob@example.test", make_message("to bob"))
ids, _ = next_ids(1)
bob_box = re.findall(r"event=delivered .*?rcpt=bob@example.test mailbox=(\d+)",
                     s.log_text("postman"))
t.ok(len(ids) == 1 and bob_box and ids[0] == int(bob_box[-1]),
     "bob's next message wakes the reader for bob's mailbox")
t.is_(pending(), 0, "and the loop, delivered to nobody, woke nobody")
t.is_(len(s.messages("ann@example.test")), 1, "ann did not get the loop")

if t.failed:
    t.diag(s.logs())
probe.close()
s.stop()
t.done()
