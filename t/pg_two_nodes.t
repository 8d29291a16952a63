#!/usr/bin/env python3
"""pg_two_nodes.t - two ems nodes sharing one PostgreSQL store.

Nodes alpha and beta are two suites on their own ports and run
directories, with the same store.conninfo and a notifyrelay each.  An
IMAP client IDLEing on beta gets EXISTS for mail delivered through
alpha's LMTP; APPENDs through both nodes at once to one mailbox get
unique, ascending UIDs; alpha's smtpgw killed in the middle of a stream
of deliveries loses and duplicates nothing it acknowledged (seen from
beta); and only one node's collector collects while it holds the lead.
"""

import os
import re
import signal
import smtplib
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emspg  # noqa: E402
import emstest  # noqa: E402
from emsproto import USER  # noqa: E402

SLOW = 60

t = emstest.Tap()
emspg.require(t, ("smtpgw", "postman", "imap4srv", "notifyrelay", "collector"))

conninfo = emspg.new_database()


alpha = emspg.node_suite("alpha", conninfo)
beta = emspg.node_suite("beta", conninfo)
for s in (alpha, beta):
    s.start_daemons()
    s.start_imap()
    s.relay = s.start("notifyrelay", "-c", s.conf_path)
t.ok(emstest.wait_for(lambda: all("database_connected" in s.log_text("notifyrelay")
                                  for s in (alpha, beta)), timeout=SLOW),
     "both nodes' relays are connected to the database")


def message(subject):
    return (b"From: sender@outside.example\r\nTo: %s\r\nSubject: %s\r\n\r\nhi\r\n"
            % (USER.encode(), subject.encode()))


def deliver(s, subject):
    with smtplib.LMTP("127.0.0.1", s.lmtp_port, timeout=SLOW) as lm:
        return lm.sendmail("sender@outside.example", [USER], message(subject))


# IDLE on beta, delivery through alpha.
r = beta.raw()
r.command("s", "SELECT INBOX")
r.send("i IDLE\r\n")
t.like(r.line().decode(errors="replace"), "+ ", "beta: IDLE is accepted")
t.is_(deliver(alpha, "through-alpha"), {}, "alpha's LMTP takes a message")
# Bounded below imap4srv's own 30 s recheck (RECHECK_MS): only a relayed
# wake-up explains an EXISTS before it.
seen = b""
deadline = time.monotonic() + 20
while time.monotonic() < deadline and b"EXISTS" not in seen:
    seen += r.line(timeout=max(0.1, deadline - time.monotonic())) + b"\n"
t.like(seen.decode(errors="replace"), "* 1 EXISTS",
       "the client IDLEing on beta is told of it")
t.ok("relayed_in" in beta.log_text("notifyrelay"), "through beta's relay")
r.send(b"DONE\r\n")
r.until("i")

# APPENDs through both nodes at once.
EACH = 15
errors = []


def appender(s, tag):
    try:
        m = s.connect()
        for i in range(EACH):
            typ, _ = m.append("INBOX", None, None, message("%s-%d" % (tag, i)))
            if typ != "OK":
                errors.append("%s %d: %s" % (tag, i, typ))
        m.logout()
    except Exception as e:   # noqa: BLE001 - any failure is the finding
        errors.append("%s: %r" % (tag, e))


threads = [threading.Thread(target=appender, args=(alpha, "a")),
           threading.Thread(target=appender, args=(beta, "b"))]
for th in threads:
    th.start()
for th in threads:
    th.join(SLOW)
t.is_(errors, [], "APPENDs through alpha and beta at once all succeed")
m = beta.connect()
m.select("INBOX", readonly=True)
typ, data = m.uid("SEARCH", "ALL")
uids = [int(x) for x in data[0].split()]
t.is_(len(uids), 1 + 2 * EACH, "every message is in the mailbox")
t.is_(uids, sorted(set(uids)), "with unique, ascending UIDs")
m.logout()

# alpha's smtpgw killed in the middle of a stream of deliveries.
acked, stop = [], threading.Event()


def stream():
    i = 0
    while not stop.is_set() and i < 400:
        subject = "storm-%d" % i
        try:
            if deliver(alpha, subject) == {}:
                acked.append(subject)
        except (OSError, smtplib.SMTPException):
            time.sleep(0.05)
        i += 1


th = threading.Thread(target=stream)
th.start()
emstest.wait_for(lambda: len(acked) >= 20, timeout=SLOW)
os.kill(alpha.smtpgw.pid, signal.SIGKILL)
alpha.smtpgw.wait()
alpha.start_daemons(postman=False)
emstest.wait_for(lambda: len(acked) >= 40, timeout=SLOW)
stop.set()
th.join(SLOW)
t.ok(len(acked) >= 40, "deliveries went on after alpha's smtpgw was killed (%d acked)"
     % len(acked))


def storm_subjects():
    m = beta.connect()
    m.select("INBOX", readonly=True)
    typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    m.logout()
    return [re.search(rb"Subject: (\S+)", item[1]).group(1).decode()
            for item in data if isinstance(item, tuple)
            and re.search(rb"Subject: storm-", item[1])]


emstest.wait_for(lambda: set(acked) <= set(storm_subjects()), timeout=SLOW)
got = storm_subjects()
t.is_(sorted(set(acked) - set(got)), [], "nothing acknowledged is lost (seen from beta)")
t.is_(sorted(x for x in set(got) if got.count(x) > 1), [], "nothing is filed twice")

# One collector collects at a time.
collector = alpha.start("collector", "-c", alpha.conf_path)
t.ok(emstest.wait_for(lambda: "event=collected" in alpha.log_text("collector"),
                      timeout=SLOW), "alpha's collector collects")
r = beta.run("collector", "-c", beta.conf_path, "--once", timeout=SLOW)
t.ok("collect_skipped" in beta.log_text("collector") and
     "event=collected" not in beta.log_text("collector"),
     "beta's collector skips while alpha's holds the lead")
collector.send_signal(signal.SIGTERM)
collector.wait(SLOW)
r = beta.run("collector", "-c", beta.conf_path, "--once", timeout=SLOW)
t.ok("event=collected" in beta.log_text("collector"),
     "with alpha's collector gone, beta's collects")

for s in (alpha, beta):
    s.stop()
t.done()
