#!/usr/bin/env python3
"""smtpgw_durability.t - nothing acknowledged is lost, nothing is
delivered twice: 200 deliveries through smtpgw's mailer mode, eight at a
time, while a killer thread sends SIGKILL to running smtpgw processes and
to postman at random moments (postman is restarted at once, as the
guardian would).  Afterwards every delivery that exited 0 is in its
mailbox exactly once, no message is there twice, and SQLite's
integrity_check says ok."""
import os
import random
import signal
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import check_durable, durable_rcpt, durable_suite, make_message  # noqa: E402

N = 200
PARALLEL = 8
t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

random.seed(int(os.environ.get("EMS_TEST_SEED", time.time())))
s = durable_suite("durability")
s.start_daemons(smtpgw=False)

lock = threading.Lock()
running = {}          # index -> Popen of a mailer in flight
results = {}          # index -> exit status
kills = {"smtpgw": 0, "postman": 0}
# The mailers the killer may hit: a fixed share, so that on a slow machine
# (sanitizers, busy CI) it cannot kill nearly every delivery.
killable = set(random.sample(range(N), N * 4 // 10))
done = threading.Event()


def deliver(indexes):
    for i in indexes:
        data = make_message("durable %03d" % i, body="message %d\n" % i)
        p = s.popen_mailer("sender@outside.example", durable_rcpt(i))
        with lock:
            running[i] = p
        try:
            p.communicate(data, timeout=30)
        except (BrokenPipeError, OSError):
            p.wait()
        with lock:
            running.pop(i, None)
            results[i] = p.returncode


def killer():
    while not done.is_set():
        time.sleep(random.uniform(0.005, 0.06))
        with lock:
            victims = [p for i, p in running.items() if i in killable]
        if victims and random.random() < 0.7:
            try:
                random.choice(victims).send_signal(signal.SIGKILL)
                kills["smtpgw"] += 1
            except ProcessLookupError:
                pass
        elif random.random() < 0.3:
            s.postman.send_signal(signal.SIGKILL)
            s.postman.wait()
            kills["postman"] += 1
            s.postman = s.start("postman", "-c", s.conf_path)


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
t.diag("killed %d smtpgw and %d postman processes" % (kills["smtpgw"], kills["postman"]))

ok_set = {i for i, rc in results.items() if rc == 0}
t.is_(len(results), N, "%d deliveries attempted" % N)
t.ok(all(rc in (0, 75, -9) for rc in results.values()),
     "every run exited 0, 75 or died by the SIGKILL")
t.ok(kills["smtpgw"] > 0 and kills["postman"] > 0, "both kinds were killed")
t.ok(len(ok_set) > N // 4, "%d deliveries were acknowledged" % len(ok_set))


check_durable(t, s, ok_set, results)

s.postman.terminate()
s.postman.wait()
db = sqlite3.connect(os.path.join(s.state, "store.db"))
t.is_(db.execute("PRAGMA integrity_check").fetchone()[0], "ok", "integrity_check: ok")
db.close()
if t.failed:
    t.diag(s.logs()[-20000:])
s.stop()
t.done()
