#!/usr/bin/env python3
"""imap_load.py - measures imap4srv: a mixed IMAP workload (SELECT, FETCH
of flags, headers and bodies, STORE, SEARCH, APPEND, EXPUNGE, NOOP) in
operations per second with N concurrent clients, the memory of one
imap4srv holding M idle connections in IDLE, and the IDLE push latency:
from a commit by another session (APPEND) or a delivery (smtpgw's
mailer mode and postman) to the "* n EXISTS" an IDLEing session reads,
measured while the M idle connections are still open.  A benchmark,
not a test: it prints figures and never fails on a time.

    python3 bench/imap_load.py [--clients 10,50] [--seconds 10] [--idle 1000]
                               [--samples 20]

Run it from the top of the checkout after a build; EMS_BUILD picks the
build directory (default build/).

Each client is its own process (the GIL would otherwise measure Python)
and logs in as its own person, so the clients do not queue on one
mailbox; every person starts with 200 messages (oomgr import).
"""
import argparse
import multiprocessing
import os
import random
import resource
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "t", "lib"))
import emstest  # noqa: E402
# A benchmark may wait longer than a test: a LOGIN hashes the password
# in imap4srv's loop, so many logins at once queue behind each other.
emstest.DEFAULT_TIMEOUT = 120.0
from emsimap import ImapSuite, Raw  # noqa: E402

MESSAGE = (b"From: bench@example.org\r\nTo: user@example.test\r\nSubject: load test %d\r\n"
           b"Date: Sun, 1 Mar 2026 10:00:00 +0000\r\nMessage-ID: <%d@bench>\r\n\r\n"
           + b"A line of body text for the benchmark.\r\n" * 60)
MESSAGES = 200


def user(i):
    return "load%d@example.test" % i


def fill(s, i):
    """MESSAGES messages for person I, through `oomgr import` (commits in
    batches: a fill by APPEND would wait on one disk sync per message)."""
    path = os.path.join(s.dir, "fill%d.mbox" % i)
    with open(path, "wb") as f:
        for k in range(MESSAGES):
            f.write(b"From bench@example.org Sun Mar  1 10:00:00 2026\n")
            f.write((MESSAGE % (k, k * 1000 + i)).replace(b"\r\n", b"\n") + b"\n")
    s.admin("import mbox %s person=%s" % (path, user(i)))


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
        try:
            r.command("c%d" % k, c)
        except OSError as e:
            raise RuntimeError("%s: %s" % (c, e)) from e
    body = MESSAGE % (n, n)
    r.send(b"ap APPEND INBOX {%d+}\r\n%s\r\n" % (len(body), body))
    r.until("ap")
    r.command("st", "STORE * +FLAGS.SILENT (\\Deleted)")
    r.command("ex", "EXPUNGE")
    return len(cmds) + 3


def client(port, i, seconds, out, ready):
    """Logs in, waits at READY for the others (logins are not what is
    measured), runs rounds for SECONDS; puts the command count on OUT
    (-1 when the server failed it, said on stderr)."""
    try:
        r = Raw(port)
        r.command("l", "LOGIN %s pw" % user(i))
        ready.wait()
        rnd = random.Random(i)
        ops = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ops += one_round(r, rnd)
        r.command("z", "LOGOUT")
        out.put(ops)
    except (OSError, RuntimeError, threading.BrokenBarrierError) as e:
        print("client %d failed: %s" % (i, e), file=sys.stderr, flush=True)
        ready.abort()
        out.put(-1)


def workload(s, clients, seconds):
    q = multiprocessing.Queue()
    ready = multiprocessing.Barrier(clients + 1)
    procs = [multiprocessing.Process(target=client,
                                     args=(s.imap_port, i, seconds, q, ready))
             for i in range(clients)]
    for p in procs:
        p.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        pass
    start = time.monotonic()
    counts = [q.get() for _ in procs]
    for p in procs:
        p.join()
    if -1 in counts:
        print("%d of %d clients failed" % (counts.count(-1), clients), flush=True)
    return sum(n for n in counts if n > 0) / (time.monotonic() - start)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def idle_memory(s, count):
    """RSS of imap4srv before and with COUNT sessions in IDLE, and the
    open connections (the caller closes them)."""
    before = rss_kb(s.imap.pid)
    conns = []
    start = time.monotonic()
    for i in range(count):
        r = Raw(s.imap_port)
        r.command("l", "LOGIN %s pw" % user(i % 4))
        r.command("s", "SELECT INBOX")
        r.send("i IDLE\r\n")
        r.line()
        conns.append(r)
    print("%d sessions logged in and IDLEing after %.1f s (%.1f ms each, mostly the"
          " password hash)" % (count, time.monotonic() - start,
                               (time.monotonic() - start) * 1000 / max(count, 1)), flush=True)
    time.sleep(1)
    after = rss_kb(s.imap.pid)
    return before, after, conns


def wait_exists(r):
    """Reads lines of IDLEing R until an EXISTS; returns when it came."""
    while b"EXISTS" not in r.line():
        pass
    return time.monotonic()


def idle_latency(s, samples, deliver):
    """Milliseconds from a change to the EXISTS an IDLEing session sees,
    SAMPLES times: by APPEND of another session, or (DELIVER) by a
    delivery through smtpgw and postman."""
    idler, writer = Raw(s.imap_port), Raw(s.imap_port)
    who = user(0)
    idler.command("l", "LOGIN %s pw" % who)
    idler.command("s", "SELECT INBOX")
    writer.command("l", "LOGIN %s pw" % who)
    out = []
    for k in range(samples):
        idler.send("i%d IDLE\r\n" % k)
        idler.line()   # "+ idling"
        body = MESSAGE % (k, k)
        if deliver:
            start = time.monotonic()
            s.mailer("bench@example.org", who, body)
        else:
            writer.send(b"ap APPEND INBOX {%d+}\r\n%s\r\n" % (len(body), body))
            writer.until("ap")
            start = time.monotonic()
        out.append((wait_exists(idler) - start) * 1000)
        idler.send("DONE\r\n")
        idler.until("i%d" % k)
    idler.close()
    writer.close()
    return out


def report_latency(what, ms):
    print("IDLE push, %s: median %.1f ms, max %.1f ms over %d"
          % (what, statistics.median(ms), max(ms), len(ms)), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", default="10,50")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--idle", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=20)
    a = ap.parse_args()
    counts = [int(x) for x in a.clients.split(",")]
    # two descriptors per idle connection (ours and imap4srv's), and some
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, a.idle + 256)), hard))
    s = ImapSuite({"log": {"level": "warn"}, "postman": {"interval_s": 600}}, name="bench")
    people = max(counts + [4])
    s.admin(*["insert person username=%s password=pw" % user(i) for i in range(people)])
    s.start_imap("--maxclt", str(max(a.idle, people) + 10))
    for i in range(people):
        fill(s, i)
    for n in counts:
        rate = workload(s, n, a.seconds)
        print("mixed workload, %3d clients: %8.0f commands/s" % (n, rate), flush=True)
    conns = []
    if a.idle:
        # a fresh process: the workload's sessions are not in its memory
        s.imap.terminate()
        s.imap.wait()
        s.start_imap("--maxclt", str(max(a.idle, people) + 10))
        before, after, conns = idle_memory(s, a.idle)
        print("imap4srv RSS: %d KiB before, %d KiB with %d connections in IDLE"
              " (%.1f KiB each)" % (before, after, a.idle, (after - before) / a.idle),
              flush=True)
    if a.samples:
        report_latency("APPEND commit -> EXISTS", idle_latency(s, a.samples, False))
        s.start_daemons(smtpgw=False)
        report_latency("mailer run -> EXISTS (delivery included)",
                       idle_latency(s, a.samples, True))
    for r in conns:
        r.close()
    s.stop()


if __name__ == "__main__":
    main()
