#!/usr/bin/env python3
"""big_body.py - how long one big message takes to read: RETR (over a
raw socket, so the client's own line handling is not what is timed) and
IMAP FETCH BODY.PEEK[] (imaplib) of a message of --mb megabytes,
through the ports `make run` opens (the same private suite as `make
bench`: guardian, iolistener hand-off).  For each it prints the wall
time and the CPU time the serving process (pop3srv, imap4srv) used,
--rounds times.  A benchmark, not a test: it prints figures and never
fails on a time.

    python3 bench/big_body.py [--build DIR] [--mb 40] [--rounds 2]
"""
import argparse
import imaplib
import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "t", "lib")]
import emstest  # noqa: E402
import bench_loads  # noqa: E402
from bench_ems import Ems  # noqa: E402

LINE = "x" * 70 + "\n"


def cpu_seconds(pid):
    """User plus system CPU time of process PID so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(pid, what):
    """(wall seconds, CPU seconds of PID, result) of WHAT()."""
    c0, t0 = cpu_seconds(pid), time.monotonic()
    got = what()
    return time.monotonic() - t0, cpu_seconds(pid) - c0, got


def retr_last(port, user):
    """A logged-in raw POP3 connection's RETR of the last message, to
    call: it returns the octets of the answer."""
    so = socket.create_connection(("127.0.0.1", port), timeout=600)
    f = so.makefile("rb")
    f.readline()
    for cmd in ("USER " + user, "PASS " + bench_loads.PASSWORD, "STAT"):
        so.sendall(cmd.encode() + b"\r\n")
        reply = f.readline()
    n = int(reply.split()[1])

    def retr():
        so.sendall(b"RETR %d\r\n" % n)
        data = bytearray()
        while not data.endswith(b"\r\n.\r\n"):
            chunk = so.recv(1 << 20)
            if not chunk:
                break
            data += chunk
        so.close()
        return len(data)
    return retr


def fetch_last(port, user):
    """A logged-in imaplib connection's FETCH BODY.PEEK[] of the last
    message, to call: it returns the octets of the body."""
    m = imaplib.IMAP4("127.0.0.1", port, timeout=600)
    m.login(user, bench_loads.PASSWORD)
    n = int(m.select("INBOX")[1][0])

    def fetch():
        typ, d = m.fetch(str(n), "(BODY.PEEK[])")
        m.logout()
        return len(d[0][1]) if typ == "OK" else 0
    return fetch


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=emstest.BUILD, help="the ems build directory")
    ap.add_argument("--mb", type=int, default=40, help="message size in MB (default 40)")
    ap.add_argument("--rounds", type=int, default=2, help="reads of each kind (default 2)")
    a = ap.parse_args()
    bindir = os.path.join(os.path.abspath(a.build), "bin")
    bench_loads.USERS = 1      # one INBOX is all this needs
    e = Ems(bindir, None)
    try:
        e.setup()
        user = bench_loads.USER_FMT % 0
        mbox = os.path.join(e.suite.dir, "big.mbox")
        with open(mbox, "w") as f:
            f.write("From big@bench.example Mon Nov 30 10:00:00 2026\n"
                    "From: big@bench.example\nSubject: big\n\n")
            f.write(LINE * (a.mb * 1024 * 1024 // len(LINE)))
        e.suite.admin("import mbox %s person=%s" % (mbox, user))
        procs = e.processes()
        for _ in range(a.rounds):
            for name, prog, start in (("RETR", "POP3SRV", lambda: retr_last(e.ports["pop3"], user)),
                                      ("FETCH BODY[]", "IMAP4SRV",
                                       lambda: fetch_last(e.ports["imap"], user))):
                wall, cpu, octets = timed(procs[prog], start())
                print("%-12s %d octets: %.2f s wall, %s CPU %.2f s"
                      % (name, octets, wall, prog.lower(), cpu), flush=True)
    finally:
        e.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
