"""bench_worker - the ems-only loads of `make bench` that measure the
worker model (issue 17): how long imap4srv's event loop stalls while one
client's store call waits on a lock, and how the peak memory of imap4srv
and of smtpgw grows with large APPEND literals and LMTP messages.  They
talk IMAP and LMTP from Python (they measure a stall of seconds and a
memory peak, not a rate, so emsbench's C is not needed) to the one
imap4srv process started with --listen and to smtpgw.
A peer server gets "—": the figures are about ems's own process.
"""
import math
import smtplib
import subprocess
import sys
import threading
import time

from emsimap import Raw
from bench_loads import Figure, Load, PASSWORD, USER_FMT

# The helper process that holds the store's write lock: BEGIN IMMEDIATE
# takes SQLite's write lock (readers go on in WAL mode, writers wait).
HOLD_LOCK = r"""
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
"""
# Generous bound on any one answer (a stalled loop answers late, not never).
ANSWER_S = 300


def percentile(values, p):
    """The nearest-rank P-th percentile of VALUES (not empty)."""
    v = sorted(values)
    return v[max(0, math.ceil(p / 100.0 * len(v)) - 1)]


def login(server, i):
    r = Raw(int(server.connect("imap").rsplit(":", 1)[1]))
    _, done = r.command("l", "LOGIN %s %s" % (USER_FMT % i, PASSWORD))
    if not done.startswith(b"l OK"):
        raise RuntimeError("LOGIN %s: %r" % (USER_FMT % i, done[:60]))
    return r


def tagged(r, tag):
    """The tagged answer to TAG, skipping untagged lines; b"" if closed."""
    while True:
        ln = r.line(ANSWER_S)
        if not ln or ln.startswith(tag + b" "):
            return ln


class EmsOnly(Load):
    def run(self, server):
        if not hasattr(server, "worker_pid"):
            self.values[server.name] = "—"
            return
        try:
            super().run(server)
        except (OSError, RuntimeError) as e:
            # a benchmark reports what went wrong and goes on
            self.values[server.name] = str(e)[:60] or type(e).__name__


class LockStall(EmsOnly):
    """Client A's STORE waits HOLD seconds on a write lock held by another
    process; meanwhile client B, on the same imap4srv, sends NOOP and
    CAPABILITY on a fixed schedule (every PERIOD seconds, pipelined, not
    waiting for answers, so a stall shows in every command sent during
    it rather than in one).  B's latency: from sending a command to its
    tagged answer."""

    PERIOD = 0.02

    def __init__(self, hold):
        super().__init__("NOOP while STORE waits %g s on a lock" % hold, "imap", [
            Figure("NOOP/CAPABILITY p50", "p50_ms", "ms", "lower"),
            Figure("NOOP/CAPABILITY p99", "p99_ms", "ms", "lower"),
            Figure("NOOP/CAPABILITY max", "max_ms", "ms", "lower"),
            Figure("the waiting STORE", "store_ms", "ms", "lower"),
        ])
        self.hold = hold

    def measure(self, server):
        a, b = login(server, 0), login(server, 1)
        try:
            _, ok = a.command("s", "SELECT INBOX")
            if not ok.startswith(b"s OK"):
                return None, "SELECT failed"
            holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, server.store(),
                                       str(self.hold)], stdout=subprocess.PIPE, text=True)
            try:
                if holder.stdout.readline().strip() != "locked":
                    return None, "could not lock the store"
                return self.stall(a, b), None
            finally:
                holder.wait(ANSWER_S)
        finally:
            a.close()
            b.close()

    def stall(self, a, b):
        start = time.monotonic()
        a.send("st STORE 1 +FLAGS (\\Flagged)\r\n")
        sent = {}
        sender = threading.Thread(target=self.send_schedule, args=(b, sent, start))
        sender.start()
        got = {}
        while True:
            ln = b.line(ANSWER_S)
            if not ln or ln.startswith(b"nend "):
                break
            if ln.startswith(b"n"):
                got[ln.split(b" ", 1)[0]] = time.monotonic()
        sender.join()
        store = tagged(a, b"st")
        store_ms = (time.monotonic() - start) * 1000.0
        a.command("un", "STORE 1 -FLAGS (\\Flagged)")
        lat = [(got[t] - sent[t]) * 1000.0 for t in sent if t in got]
        if not lat:
            raise RuntimeError("no answers to NOOP")
        return {"p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99),
                "max_ms": max(lat), "store_ms": store_ms, "commands": len(lat),
                "errors": (len(sent) - len(lat)) + (0 if store.startswith(b"st OK") else 1)}

    def send_schedule(self, b, sent, start):
        k = 0
        while time.monotonic() < start + self.hold:
            tag = b"n%d" % k
            sent[tag] = time.monotonic()
            b.send(tag + (b" NOOP\r\n" if k % 2 == 0 else b" CAPABILITY\r\n"))
            k += 1
            time.sleep(max(0.0, start + k * self.PERIOD - time.monotonic()))
        b.send(b"nend NOOP\r\n")   # answers come in order: this one is the last


def proc_status(pid, key):
    """KEY's value (kB) from /proc/PID/status, or None."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


class PeakMemory(EmsOnly):
    """CLIENTS clients each send a SIZE octet message at the same moment
    to the one process serving PART; its peak RSS above its RSS before
    (VmHWM, reset through clear_refs first; also VmRSS sampled every
    20 ms, in case the kernel does not let the peak be reset).  A
    subclass says how a client connects (open) and sends (send)."""

    CHUNK = 1 << 20

    def __init__(self, title, part, program, clients, size):
        super().__init__(title, part, [
            Figure("%s peak RSS increase" % program, "peak_mb", "MB", "lower"),
            Figure("%s RSS kept after" % program, "kept_mb", "MB", "lower"),
            Figure("time to the last OK", "seconds", "s", "lower"),
        ])
        self.clients, self.size = clients, size

    def measure(self, server):
        pid = server.worker_pid(self.part)
        conns = [self.open(server, i) for i in range(self.clients)]
        message = memoryview(self.message())
        results = [None] * self.clients
        go = threading.Barrier(self.clients + 1)
        threads = [threading.Thread(target=self.client, args=(c, message, go, results, k))
                   for k, c in enumerate(conns)]
        for t in threads:
            t.start()
        try:
            rss0 = proc_status(pid, "VmRSS")
            reset = self.reset_peak(pid)
        except OSError:
            go.abort()   # the clients give up rather than wait for ever
            raise
        peak, stop = [rss0], threading.Event()
        sampler = threading.Thread(target=self.sample, args=(pid, peak, stop))
        sampler.start()
        go.wait()
        start = time.monotonic()
        for t in threads:
            t.join()
        seconds = time.monotonic() - start
        stop.set()
        sampler.join()
        hwm = proc_status(pid, "VmHWM") if reset else 0
        kept = proc_status(pid, "VmRSS")
        for c in conns:
            c.close()
        return {"peak_mb": (max(hwm, peak[0]) - rss0) / 1024.0,
                "sampled_peak_mb": (peak[0] - rss0) / 1024.0,
                "kept_mb": (kept - rss0) / 1024.0, "seconds": seconds,
                "rss_before_mb": rss0 / 1024.0,
                "errors": sum(1 for r in results if r != "ok")}, None

    def message(self):
        head = (b"From: bench@bench.example\r\nTo: bench@bench.test\r\n"
                b"Subject: large message\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\n")
        line = b"x" * 76 + b"\r\n"
        body = line * ((self.size - len(head)) // len(line))
        return (head + body + b"y" * self.size)[:self.size]

    def client(self, c, message, go, results, k):
        try:
            go.wait()
            results[k] = self.send(c, message)
        except (OSError, threading.BrokenBarrierError, smtplib.SMTPException) as e:
            results[k] = str(e) or type(e).__name__

    @staticmethod
    def reset_peak(pid):
        """Resets the process's VmHWM to its RSS (Linux clear_refs 5)."""
        try:
            with open("/proc/%d/clear_refs" % pid, "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    @staticmethod
    def sample(pid, peak, stop):
        while not stop.wait(0.02):
            try:
                peak[0] = max(peak[0], proc_status(pid, "VmRSS") or 0)
            except OSError:   # the process is gone: the clients will say so
                return


class BigAppend(PeakMemory):
    """CLIENTS clients, each logged in as its own person, APPEND a SIZE
    octet literal at the same moment: imap4srv's peak RSS."""

    def __init__(self, clients, size):
        super().__init__("APPEND x%d, %d MB" % (clients, size // 1000000), "imap",
                         "imap4srv", clients, size)

    def open(self, server, i):
        return login(server, i)

    def send(self, c, message):
        c.send("a APPEND INBOX {%d}\r\n" % len(message))
        if not c.line(ANSWER_S).startswith(b"+"):
            return "no continuation"
        c.sock.settimeout(ANSWER_S)
        for off in range(0, len(message), self.CHUNK):
            c.sock.sendall(message[off:off + self.CHUNK])
        c.send(b"\r\n")
        return "ok" if tagged(c, b"a").startswith(b"a OK") else "refused"


class BigLmtp(PeakMemory):
    """CLIENTS LMTP clients each send smtpgw a SIZE octet message (DATA,
    to a person of its own) at the same moment: smtpgw's peak RSS."""

    def __init__(self, clients, size):
        super().__init__("LMTP x%d, %d MB" % (clients, size // 1000000), "lmtp",
                         "smtpgw", clients, size)

    def open(self, server, i):
        host, port = server.connect("lmtp").rsplit(":", 1)
        lm = smtplib.LMTP(host, int(port), timeout=ANSWER_S)
        lm.ehlo("bench.example")
        lm.rcpt_to = USER_FMT % i
        return lm

    def send(self, lm, message):
        lm.mail("bench@bench.example")
        lm.rcpt(lm.rcpt_to)
        # already CRLF, no line starts with a dot: the bytes go as they are
        lm.send(b"DATA\r\n")
        if lm.getreply()[0] != 354:
            return "no 354"
        for off in range(0, len(message), self.CHUNK):
            lm.sock.sendall(message[off:off + self.CHUNK])
        lm.send(b"\r\n.\r\n")
        return "ok" if lm.getreply()[0] == 250 else "refused"


def plan():
    """The worker-model loads, after the others (the large messages stay
    in their INBOXes)."""
    return [LockStall(3.0), BigAppend(20, 40 * 1000 * 1000), BigLmtp(4, 40 * 1000 * 1000)]
