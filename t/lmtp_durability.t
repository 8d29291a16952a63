#!/usr/bin/env python3
"""lmtp_durability.t - the LMTP side of t/smtpgw_durability.t, where
one-hop delivery files mail in the commit that answers it: 160 messages
over LMTP, four sessions at a time, to two plain persons (filed by
smtpgw itself) and to a list of both (queued for postman), while a
killer thread sends SIGKILL to the smtpgw daemon at random moments and
restarts it at once, as the guardian would.  Each message is sent once
and never retried.  Afterwards every message answered 250 is in each of
its mailboxes exactly once, none is there twice (a commit whose answer
was lost may be there once: the client cannot know), nothing else is
there, and SQLite's integrity_check says ok."""
import os
import random
import signal
import smtplib
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import check_durable, durable_rcpt, durable_suite, make_message  # noqa: E402

N = 160
PARALLEL = 4
t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

random.seed(int(os.environ.get("EMS_TEST_SEED", time.time())))
s = durable_suite("lmtp-durability")
s.start_daemons()

lock = threading.Lock()
results = {}          # index -> True when every recipient got 250
kills = [0]
done = threading.Event()


def connect():
    """A session, once smtpgw is back (a refused connection sent
    nothing, so trying again is no retry of the message); None when it
    does not come back."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            c = smtplib.LMTP("127.0.0.1", s.lmtp_port, timeout=30)
            c.ehlo("client.test")
            return c
        except (smtplib.SMTPException, OSError):
            time.sleep(0.05)
    return None


def send(i):
    data = make_message("durable %03d" % i, body="message %d\n" % i, to=durable_rcpt(i))
    c = connect()
    if c is None:
        return False
    try:
        c.sendmail("sender@outside.example", [durable_rcpt(i)], data)
        c.quit()
        return True
    except (smtplib.SMTPException, OSError):
        return False


def deliver(indexes):
    for i in indexes:
        ok = send(i)
        with lock:
            results[i] = ok


def killer():
    while not done.is_set():
        time.sleep(random.uniform(0.02, 0.15))
        with lock:
            s.smtpgw.send_signal(signal.SIGKILL)
            s.smtpgw.wait()
            kills[0] += 1
            s.smtpgw = s.start("smtpgw", "-c", s.conf_path)
        emstest.wait_for(lambda: emstest.port_open(s.lmtp_port), timeout=30)


threads = [threading.Thread(target=deliver, args=(range(k, N, PARALLEL),))
           for k in range(PARALLEL)]
k = threading.Thread(target=killer)
k.start()
for th in threads:
    th.start()
for th in threads:
    th.join()
done.set()
k.join()
t.diag("killed smtpgw %d times" % kills[0])

acked = {i for i, ok in results.items() if ok}
t.is_(len(results), N, "%d messages sent" % N)
t.ok(kills[0] > 0, "smtpgw was killed")
t.ok(len(acked) > N // 4, "%d messages were answered 250" % len(acked))


check_durable(t, s, acked, results)
t.ok(any(durable_rcpt(i) != "both@example.test" for i in acked) and
     "hop=one" in s.log_text("smtpgw"), "plain persons' mail was filed in one hop")

s.postman.terminate()
s.postman.wait()
db = sqlite3.connect(os.path.join(s.state, "store.db"))
t.is_(db.execute("PRAGMA integrity_check").fetchone()[0], "ok", "integrity_check: ok")
db.close()
if t.failed:
    t.diag(s.logs()[-20000:])
s.stop()
t.done()
