#!/usr/bin/env python3
"""bench_worker.t - the ems-only loads of `make bench` (bench/
bench_worker.py), small, against a small suite: the lock-stall load gets
its STORE through after the helper's lock and every NOOP/CAPABILITY
answered, and leaves the flag as it found it; the large-APPEND load
stores every message whole and reports imap4srv's memory, the large-LMTP
load has each message accepted and reports smtpgw's; a peer server
gets "—"; run.py --only refuses a text no load has.  Figures are
printed, never judged."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402
import bench_loads  # noqa: E402
import bench_worker  # noqa: E402

t = emstest.Tap()
for prog in ("emsbench", "oomgr", "imap4srv", "smtpgw"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

CLIENTS, SIZE = 3, 1000000
s = ImapSuite({"log": {"level": "info"}}, name="benchworker")
s.admin("insert domain qualifiedname=bench.test",
        *["insert person username=%s password=%s"
          % (bench_loads.USER_FMT % i, bench_loads.PASSWORD) for i in range(CLIENTS)])
imap = s.start_imap()
s.start_daemons(postman=False)


class Server:
    """What the loads ask of bench_ems.Ems, on this suite."""
    name = "ems"

    def missing(self, part):
        return None

    def connect(self, part):
        return "127.0.0.1:%d" % (s.lmtp_port if part == "lmtp" else s.imap_port)

    def store(self):
        return os.path.join(s.state, "store.db")

    def worker_pid(self, part):
        return s.smtpgw.pid if part == "lmtp" else imap.pid


class Peer:
    name = "peer"

    def missing(self, part):
        return None


def user(i):
    return s.connect(user=bench_loads.USER_FMT % i, password=bench_loads.PASSWORD)


m = user(0)
m.append("INBOX", None, None, b"Subject: one\r\n\r\nbody\r\n")
m.logout()

stall = bench_worker.LockStall(0.5)
stall.run(Server())
stall.run(Peer())
got = stall.values["ems"]
t.diag("lock stall: %s" % (got,))
t.ok(isinstance(got, dict) and got["errors"] == 0 and got["commands"] > 0,
     "lock stall: the STORE and every NOOP/CAPABILITY answered OK")
t.is_(stall.values["peer"], "—", "lock stall: a peer server gets a dash")
rows = stall.figures(["ems", "peer"])
t.ok(all(r["values"]["ems"] is not None and r["values"]["peer"] is None
         and r["notes"]["peer"] == "—" for r in rows),
     "lock stall: every row has an ems figure and a dash for the peer")
m = user(0)
m.select("INBOX")
typ, data = m.fetch("1", "(FLAGS)")
m.logout()
t.ok(typ == "OK" and b"\\Flagged" not in data[0],
     "lock stall: the message's flags are as they were")

for load, what, answer in ((bench_worker.BigAppend(CLIENTS, SIZE), "large APPEND", "OK"),
                          (bench_worker.BigLmtp(CLIENTS, SIZE), "large LMTP", "250")):
    load.run(Server())
    got = load.values["ems"]
    t.diag("%s: %s" % (what, got))
    t.ok(isinstance(got, dict) and got["errors"] == 0 and got["peak_mb"] >= 0,
         "%s: every message answered %s and the peak RSS is reported" % (what, answer))
t.ok("LMTP x3, 1 MB: smtpgw peak RSS increase" in [r["name"] for r in load.figures(["ems"])],
     "large LMTP: its rows name smtpgw")
sizes = []
for i in range(CLIENTS):
    m = user(i)
    m.select("INBOX", readonly=True)
    # the large LMTP message is there too (filed in one hop), so look at all
    typ, data = m.fetch("1:*", "(RFC822.SIZE)")
    sizes.append(b" ".join(d for d in data if isinstance(d, bytes)))
    m.logout()
t.ok(all(b"RFC822.SIZE %d)" % SIZE in d for d in sizes),
     "large APPEND: each person's INBOX holds the whole %d octet message" % SIZE)

r = subprocess.run([sys.executable, os.path.join(HERE, "..", "bench", "run.py"),
                    "--build", os.path.dirname(emstest.BIN), "--only", "no such load"],
                   capture_output=True, text=True, timeout=60)
t.ok(r.returncode == 1 and "no load's title contains" in r.stdout,
     "run.py --only: a text no load's title has is refused")

s.stop()
t.done()
