#!/usr/bin/env python3
"""bench_two_nodes.t - the two-node rows of `make bench PEER=ems-postgresql`,
small.  The driver: a server of two nodes runs only the loads that spread
over nodes (LMTP x4, IMAP mix, IDLE push) and says "—" for the others,
and the table and SVG compare it with the one PostgreSQL node.  emsbench
against two ems nodes sharing one PostgreSQL database: --connect given
twice spreads LMTP deliveries and IMAP clients over both nodes (each
node's log shows its share), the watcher sees every message in the
shared store, and push with the IDLE client on beta and the LMTP on alpha
sees each EXISTS through beta's relay.  Figures are printed, never judged."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
import emspg  # noqa: E402
import emstest  # noqa: E402
import bench_loads  # noqa: E402
import bench_report  # noqa: E402
import bench_worker  # noqa: E402

t = emstest.Tap()


class TwoNodes:
    """What the loads ask of a server of two nodes."""
    name, nodes = "ems-2nodes", 2


two = TwoNodes()
loads = bench_loads.plan(True, 100000) + bench_worker.plan()
for ld in loads:
    if not ld.applies(two):
        ld.run(two)
t.is_(sorted(ld.title for ld in loads if ld.applies(two)),
      ["IDLE push", "IMAP mix x10", "IMAP mix x50", "LMTP x4, 100 KB", "LMTP x4, 2 KB"],
      "two nodes run the delivery over 4 connections, the IMAP mixes and the push")
t.is_({ld.values.get("ems-2nodes") for ld in loads if not ld.applies(two)}, {"—"},
      "and say — for every other load")

names = ["ems", "ems-pg", "ems-2nodes"]
results = {"machine": {"cores": 2, "cpu": "x", "memory_mb": 1, "kernel": "k"},
           "servers": {n: {} for n in names},
           "figures": [{"name": "LMTP x4, 2 KB: messages/s", "unit": "msg/s",
                        "better": "higher", "notes": {},
                        "values": {"ems": 300.0, "ems-pg": 100.0, "ems-2nodes": 50.0}},
                       {"name": "IDLE push: 250 -> EXISTS p50", "unit": "ms",
                        "better": "lower", "notes": {},
                        "values": {"ems": 1.0, "ems-pg": 2.0, "ems-2nodes": 8.0}}]}
table = bench_report.table(results, names)
head = table.splitlines()[0]
t.ok(head.split("|")[-2:] == [" ems/ems-pg ", " ems-2nodes/ems-pg"],
     "the table has a ratio column for each server against the one PostgreSQL node")
t.is_([(r["ratios"]["ems/ems-pg"], r["ratios"]["ems-2nodes/ems-pg"])
       for r in results["figures"]], [(3.0, 0.5), (2.0, 0.25)],
      "ratios: rates a/b, latencies b/a, the two nodes against the one")
svg = bench_report.svg(results, names)
t.ok("ems vs ems-pg" in svg and "ems-2nodes vs ems-pg" in svg,
     "the SVG draws both comparisons")

# The driver's part above needs no server; the rest needs PostgreSQL.
why = None if emspg.available() else "no PostgreSQL server binaries"
for prog in ("emsbench", "smtpgw", "imap4srv", "notifyrelay", "oomgr"):
    if why is None and not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        why = "%s is not built" % prog
if why:
    t.skip(why, 7)
    t.done()
BENCH = os.path.join(emstest.BIN, "emsbench")
USER = "load%d@example.test"
conninfo = emspg.new_database()


alpha, beta = emspg.node_suite("alpha", conninfo), emspg.node_suite("beta", conninfo)
alpha.admin("insert person username=load0@example.test password=pw",
            "insert person username=load1@example.test password=pw")
for s in (alpha, beta):
    s.start_daemons(postman=False)
    s.start_imap()
    s.start("notifyrelay", "-c", s.conf_path)
if not emstest.wait_for(lambda: all("database_connected" in s.log_text("notifyrelay")
                                    for s in (alpha, beta)), timeout=60):
    t.diag(alpha.logs() + beta.logs())


def bench(*args):
    """Runs emsbench; returns the JSON figures or None."""
    r = subprocess.run([BENCH] + list(args), capture_output=True, text=True,
                       env=alpha.env, timeout=120)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    if r.returncode != 0 or not lines:
        t.diag("emsbench %s: %s%s" % (args[0], r.stdout, r.stderr))
    return json.loads(lines[-1]) if lines else None


def lmtp(s):
    return "127.0.0.1:%d" % s.lmtp_port


def imap(s):
    return "127.0.0.1:%d" % s.imap_port


got = bench("lmtp", "--connect", lmtp(alpha), "--connect", lmtp(beta), "--clients", "2",
            "--count", "10", "--rcpt", "load0@example.test",
            "--watch-store", "postgresql:" + conninfo)
t.ok(got and got["messages"] == 10 and got["errors"] == 0 and got.get("arrived") == 10,
     "lmtp over both nodes: 10 messages delivered, all seen in the shared store")
t.ok(all("event=delivered" in s.log_text("smtpgw") for s in (alpha, beta)),
     "each node's smtpgw delivered some of them")

# load1's INBOX gets mail too: the mix needs messages to fetch.
got = bench("lmtp", "--connect", lmtp(beta), "--count", "2", "--rcpt", "load1@example.test")
t.ok(got and got["messages"] == 2, "beta's LMTP alone delivers 2 messages")
got = bench("imap", "--connect", imap(alpha), "--connect", imap(beta), "--clients", "2",
            "--seconds", "1", "--user", USER, "--users", "2", "--password", "pw")
if not t.ok(got and got["errors"] == 0 and got["ops_per_s"] > 0,
            "the IMAP mix over both nodes runs without errors"):
    t.diag("first error: %s" % (got or {}).get("first_error"))
t.ok(all("event=imap_select" in s.log_text("imap4srv") for s in (alpha, beta)),
     "each node's imap4srv served one of its clients")

got = bench("push", "--connect", imap(beta), "--lmtp", lmtp(alpha), "--count", "3",
            "--user", USER, "--password", "pw", "--rcpt", "load0@example.test")
t.ok(got and got["messages"] == 3 and got["errors"] == 0,
     "push: the client IDLEing on beta saw each of 3 deliveries through alpha")
t.ok("relayed_in" in beta.log_text("notifyrelay"), "through beta's relay")

for s in (alpha, beta):
    s.stop()
t.done()
