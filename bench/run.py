#!/usr/bin/env python3
"""run.py - the driver of `make bench`: starts a private ems suite (and,
with --peer dovecot, a private Dovecot) on free loopback ports in a
temporary directory, runs every load of emsbench against each server in
turn, load by load, and prints a table; writes bench-results.json and an
SVG chart of the ratios.  A benchmark, not a test: it never fails on a
figure, and a part whose ems program is not built yet is reported as
"not built" while the rest still runs.

--peer ems-postgresql adds, in one private PostgreSQL cluster, ems on
PostgreSQL (one node, "ems-pg") and two ems nodes sharing one database
("ems-2nodes"; the delivery, IMAP mix and IDLE push loads spread over
both nodes): ems on SQLite and the two nodes are each compared with the
one PostgreSQL node.

    python3 bench/run.py [--peer dovecot|ems-postgresql] [--build DIR] [--out FILE.json]
                         [--svg FILE.svg] [--quick] [--only TEXT]...

The servers under load and the load generator share the machine; the
load generator is C (emsbench) so it is not the bottleneck.
"""
import argparse
import json
import os
import platform
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "t", "lib"))
sys.path.insert(0, HERE)
import emstest  # noqa: E402
import bench_report  # noqa: E402
from bench_dovecot import Dovecot  # noqa: E402
from bench_ems import Ems, PgCluster  # noqa: E402
from bench_loads import plan  # noqa: E402
from bench_nodes import EmsNodes  # noqa: E402
import bench_worker  # noqa: E402


def machine():
    """The machine's description for the results."""
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cores": os.cpu_count(), "cpu": model,
            "memory_mb": mem_kb // 1024, "kernel": platform.release(),
            "os": platform.platform()}


def raise_fd_limit():
    """Room for 10,000 connections: servers started from here inherit it."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peer", default="",
                    help="dovecot; ems-postgresql (ems with its store in a private "
                         "PostgreSQL cluster, one node and two nodes sharing one "
                         "database, beside ems on SQLite); or empty for ems alone")
    ap.add_argument("--build", default=emstest.BUILD, help="the ems build directory")
    ap.add_argument("--out", default="bench-results.json")
    ap.add_argument("--svg", default="bench-results.svg")
    ap.add_argument("--quick", action="store_true",
                    help="shorter loads and 1,000 idle connections only")
    ap.add_argument("--idle-seconds", type=int, default=None,
                    help="time each IDLE step allows for its logins "
                         "(default 60 and 150 s)")
    ap.add_argument("--only", action="append", default=[], metavar="TEXT",
                    help="run only the loads whose title contains TEXT "
                         "(case-insensitive; may be repeated)")
    a = ap.parse_args()
    if a.peer not in ("", "dovecot", "ems-postgresql"):
        ap.error("--peer: dovecot or ems-postgresql")
    bindir = os.path.join(os.path.abspath(a.build), "bin")
    emsbench = os.path.join(bindir, "emsbench")
    if not os.access(emsbench, os.X_OK):
        print("bench: %s is not built (make BUILD=%s all)" % (emsbench, a.build))
        return 1
    fds = raise_fd_limit()
    loads = plan(a.quick, fds, a.idle_seconds) + bench_worker.plan()
    if a.only:
        loads = [ld for ld in loads
                 if any(o.lower() in ld.title.lower() for o in a.only)]
        if not loads:
            print("bench: no load's title contains %s" % " or ".join(a.only))
            return 1
    started = time.monotonic()
    servers = [Ems(bindir, emsbench)]
    cluster = PgCluster()
    if a.peer == "ems-postgresql":
        servers.append(Ems(bindir, emsbench, cluster))
        servers.append(EmsNodes(bindir, emsbench, cluster))
    if a.peer == "dovecot":
        peer = Dovecot(emsbench)
        if peer.available():
            servers.append(peer)
        else:
            print("bench: dovecot could not be installed; measuring ems alone")
    # A server none of the chosen loads runs on is not started (--only).
    servers = [s for s in servers if any(ld.applies(s) for ld in loads)]
    results = {"machine": machine(), "fd_limit": fds, "servers": {}, "figures": [],
               "raw": {}}
    try:
        for s in servers:
            print("bench: preparing %s ..." % s.name, flush=True)
            s.setup()
            results["servers"][s.name] = s.settings()
        for load in loads:
            # Alternating: each load runs on every server before the next load.
            for s in servers:
                print("bench: %-28s %s" % (load.title, s.name), flush=True)
                load.run(s)
        for load in loads:
            results["figures"].extend(load.figures([s.name for s in servers]))
            results["raw"][load.title] = load.values
    finally:
        for s in servers:
            s.stop()
        cluster.stop()
    results["seconds"] = round(time.monotonic() - started, 1)
    names = [s.name for s in servers]
    print()
    print(bench_report.table(results, names))
    with open(a.out, "w") as f:
        json.dump(results, f, indent=1)
    if len(names) > 1:
        with open(a.svg, "w") as f:
            f.write(bench_report.svg(results, names))
        print("bench: wrote %s and %s (%.0f s)" % (a.out, a.svg, results["seconds"]))
    else:
        print("bench: wrote %s (%.0f s)" % (a.out, results["seconds"]))
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
