#!/usr/bin/env python3
"""relay_latency.py - how long a wake-up takes from one node to another
through the notify relays (notifyrelay(8)) and a private PostgreSQL:
two suites, nodes "alpha" and "beta", each running notifyrelay on its
own run directory; a socket stands in for a reader on beta; wake-ups are
sent on alpha one at a time (the next once the last arrived), then
COUNT at once.  A benchmark, not a test: it prints figures and never
fails on a time.

    EMS_BUILD=build python3 bench/relay_latency.py [--count 1000]
"""
import argparse
import os
import select
import socket
import statistics
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "t", "lib"))
import emspg  # noqa: E402
import emstest  # noqa: E402


def suite(node, conninfo):
    s = emstest.Suite({"node": node, "log": {"level": "debug"},
                       "store": {"conninfo": conninfo}}, name="relay-" + node)
    s.start("notifyrelay", "-c", s.conf_path)
    if not emstest.wait_for(lambda: "event=database_connected" in s.log_text("notifyrelay"),
                            timeout=60):
        sys.exit("notifyrelay on %s did not connect:\n%s" % (node, s.logs()))
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000)
    args = ap.parse_args()
    cluster = emspg.cluster()
    conninfo = emspg.new_database()
    alpha, beta = suite("alpha", conninfo), suite("beta", conninfo)
    wake_dir = os.path.join(alpha.state, "run", "wakeup")
    relay_sock = os.path.join(wake_dir, "notifyrelay01.sock")
    rdir = os.path.join(beta.state, "run", "wakeup")
    reader = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    reader.bind(os.path.join(rdir, "bench.sock"))
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    time.sleep(0.2)
    while select.select([reader], [], [], 0.2)[0]:
        reader.recv(64)             # the "look" of the relays connecting

    lat = []
    for i in range(1, args.count + 1):
        t0 = time.perf_counter()
        out.sendto(struct.pack("=q", i), relay_sock)
        while True:
            if not select.select([reader], [], [], 10)[0]:
                sys.exit("wake-up %d did not arrive" % i)
            if struct.unpack("=q", reader.recv(64))[0] == i:
                break
        lat.append((time.perf_counter() - t0) * 1000)
    lat.sort()
    print("one at a time: %d wake-ups, latency ms median %.2f p90 %.2f p99 %.2f max %.2f"
          % (len(lat), statistics.median(lat), lat[len(lat) * 9 // 10],
             lat[len(lat) * 99 // 100], lat[-1]))

    # A burst: the reader's queue (net.unix.max_dgram_qlen) drops what it
    # cannot hold, by design (readers re-check the store), so the count
    # that matters is what beta's relay received and handed on.
    def relayed_in():
        return beta.log_text("notifyrelay").count("event=relayed_in")
    before = relayed_in()
    base = args.count + 1
    t0 = time.perf_counter()
    accepted = 0
    for i in range(args.count):
        try:        # as a writer sends (wakeup_send: MSG_DONTWAIT, best effort)
            out.sendto(struct.pack("=q", base + i), socket.MSG_DONTWAIT, relay_sock)
            accepted += 1
        except BlockingIOError:
            pass
    done = emstest.wait_for(lambda: relayed_in() - before >= accepted, timeout=60,
                            interval=0.01)
    secs = time.perf_counter() - t0
    got = relayed_in() - before
    print("burst: %d distinct wake-ups sent as a writer sends them, %d taken by alpha's "
          "relay (its socket's queue full: the rest dropped), %d handed on by beta's in "
          "%.3f s%s" % (args.count, accepted, got, secs, "" if done else ", then stopped"))
    reader.close()
    alpha.stop()
    beta.stop()
    del cluster


if __name__ == "__main__":
    main()
