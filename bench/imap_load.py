#!/usr/bin/env python3
"""imap_load.py - measures imap4srv: a mixed IMAP workload (SELECT, FETCH
of flags, headers and bodies, STORE, SEARCH, APPEND, EXPUNGE, NOOP) in
operations per second with N concurrent clients, and the memory of one
imap4srv holding M idle connections in IDLE.  A benchmark, not a test:
it prints figures and never fails on a time.

    python3 bench/imap_load.py [--clients 10,50] [--seconds 10] [--idle 1000]

Each client is its own process (the GIL would otherwise measure Python)
and logs in as its own person, so the clients do not queue on one
mailbox; every person starts with 200 messages delivered by APPEND.
"""
import argparse
import multiprocessing
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "t", "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite, Raw  # noqa: E402

MESSAGE = (b"From: bench@example.org\r\nTo: user@example.test\r\nSubject: load test %d\r\n"
           b"Date: Sun, 1 Mar 2026 10:00:00 +0000\r\nMessage-ID: <%d@bench>\r\n\r\n"
           + b"A line of body text for the benchmark.\r\n" * 60)
MESSAGES = 200


def user(i):
    return "load%d@example.test" % i


def fill(port, i):
    r = Raw(port)
    r.command("l", "LOGIN %s pw" % user(i))
    for k in range(MESSAGES):
        body = MESSAGE % (k, k * 1000 + i)
        r.send(b"a%d APPEND INBOX {%d+}\r\n%s\r\n" % (k, len(body), body))
    r.until("a%d" % (MESSAGES - 1))
    r.command("z", "LOGOUT")
    r.close()


def one_round(r, rnd):
    """One pass of the mix; returns the number of commands sent."""
    n = rnd.randint(1, MESSAGES - 20)
    cmds = [
        "SELECT INBOX",
        "FETCH 1:* (FLAGS)",
        "FETCH %d:%d (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])" % (n, n + 19),
        "FETCH %d (BODY.PEEK[])" % n,
        "STORE %d +FLAGS (\\Seen)" % n,
        "SEARCH UNSEEN SUBJECT test",
        "NOOP",
    ]
    for k, c in enumerate(cmds):
        r.command("c%d" % k, c)
    body = MESSAGE % (n, n)
    r.send(b"ap APPEND INBOX {%d+}\r\n%s\r\n" % (len(body), body))
    r.until("ap")
    r.command("st", "STORE * +FLAGS.SILENT (\\Deleted)")
    r.command("ex", "EXPUNGE")
    return len(cmds) + 3


def client(port, i, seconds, out):
    r = Raw(port)
    r.command("l", "LOGIN %s pw" % user(i))
    rnd = random.Random(i)
    ops = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ops += one_round(r, rnd)
    r.command("z", "LOGOUT")
    out.put(ops)


def workload(s, clients, seconds):
    q = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=client, args=(s.imap_port, i, seconds, q))
             for i in range(clients)]
    start = time.monotonic()
    for p in procs:
        p.start()
    total = sum(q.get() for _ in procs)
    for p in procs:
        p.join()
    return total / (time.monotonic() - start)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def idle_memory(s, count):
    before = rss_kb(s.imap.pid)
    conns = []
    for i in range(count):
        r = Raw(s.imap_port)
        r.command("l", "LOGIN %s pw" % user(i % 4))
        r.command("s", "SELECT INBOX")
        r.send("i IDLE\r\n")
        r.line()
        conns.append(r)
    time.sleep(1)
    after = rss_kb(s.imap.pid)
    for r in conns:
        r.close()
    return before, after


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", default="10,50")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--idle", type=int, default=1000)
    a = ap.parse_args()
    counts = [int(x) for x in a.clients.split(",")]
    s = ImapSuite({"log": {"level": "warn"}}, name="bench")
    people = max(counts + [4])
    s.admin(*["insert person username=%s password=pw" % user(i) for i in range(people)])
    s.start_imap("--maxclt", str(max(a.idle, people) + 10))
    with multiprocessing.Pool(8) as pool:
        pool.starmap(fill, [(s.imap_port, i) for i in range(people)])
    for n in counts:
        rate = workload(s, n, a.seconds)
        print("mixed workload, %3d clients: %8.0f commands/s" % (n, rate), flush=True)
    if a.idle:
        before, after = idle_memory(s, a.idle)
        print("imap4srv RSS: %d KiB before, %d KiB with %d connections in IDLE"
              " (%.1f KiB each)" % (before, after, a.idle, (after - before) / a.idle))
    s.stop()


if __name__ == "__main__":
    main()
