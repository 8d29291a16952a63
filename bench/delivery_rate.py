#!/usr/bin/env python3
"""delivery_rate.py - messages per second into ems: through smtpgw's
mailer mode (one exec per message, as sendmail runs it), through LMTP
(one connection, one transaction per message, Python's smtplib.LMTP on
the unix socket), and, when the real sendmail can run here, through
`sendmail -odi` with the shipped mailer definition.  For each path and
message size it prints two rates: "accepted" (the sender got its 0 or
250, i.e. the message is committed on the submission queue) and
"delivered" (postman has filed the last message into its mailbox).  A
benchmark, not a test: it prints figures and never fails on a time.

    python3 bench/delivery_rate.py [--count 300] [--sizes 2048,102400]
                                   [--jobs 1] [--sendmail-count 50]
                                   [--store sqlite|postgresql]

EMS_BUILD picks the build (default ./build).  Each path gets a fresh
private suite (smtpgw daemon + one postman) in a temporary directory.
--jobs N runs N mailer processes / LMTP connections at once.
--store postgresql puts each suite's store in a fresh database of a
private PostgreSQL cluster (t/lib/emspg.py, on a unix socket, fsync off
as the tests run it: compare with SQLite on tmpfs-like terms, not with a
production server).
"""
import argparse
import os
import smtplib
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "t", "lib"))
import emstest  # noqa: E402
from emsmail import MailSuite  # noqa: E402
from emssendmail import PrivateSendmail  # noqa: E402
import emspg  # noqa: E402

RCPT = "bench@example.test"
# --store: "sqlite", or "postgresql" (a database per suite, its conninfo)
STORE = {"backend": "sqlite"}


def message(i, size):
    head = ("From: sender@outside.example\r\nTo: %s\r\nSubject: rate %d\r\n"
            "Date: Tue, 01 Dec 2026 09:00:00 +0000\r\n"
            "Message-ID: <rate.%d.%f@outside.example>\r\n\r\n"
            % (RCPT, i, i, time.time())).encode()
    line = b"0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 01234\r\n"
    body = line * max(1, (size - len(head)) // len(line))
    return head + body


def new_suite(name):
    store = dict(STORE)
    if store["backend"] == "postgresql":
        store["conninfo"] = emspg.new_database()
    s = MailSuite({"log": {"level": "info"}, "postman": {"interval_s": 600},
                   "lmtp": {"max_message_size": 10 * 1024 * 1024},
                   "store": store}, name=name)
    s.pg_db = store.get("conninfo", "").rpartition("dbname=")[2].split(" ")[0]
    s.admin("insert domain qualifiedname=example.test",
            "insert person username=%s password=x" % RCPT)
    s.start_daemons()
    return s


def delivered(s):
    if s.pg_db:
        return int(emspg.cluster().psql("SELECT count(*) FROM entries", s.pg_db))
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(s.state, "store.db"),
                         uri=True, timeout=10)
    try:
        return db.execute("SELECT count(*) FROM entries").fetchone()[0]
    finally:
        db.close()


def run_parallel(jobs, count, one):
    """Calls ONE(i) for i in 0..COUNT-1 from JOBS threads; returns the
    number of failures."""
    failures = [0]
    lock = threading.Lock()
    todo = iter(range(count))

    def worker():
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            if not one(i):
                with lock:
                    failures[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(jobs)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return failures[0]


def measure(name, count, size, jobs, send):
    """Sends COUNT messages of SIZE through SEND(suite, jobs, count, size);
    returns (accepted/s, delivered/s, failures)."""
    s = new_suite(name)
    try:
        start = time.monotonic()
        failures = send(s, jobs, count, size)
        accepted = time.monotonic() - start
        want = count - failures
        emstest.wait_for(lambda: delivered(s) >= want, timeout=600, interval=0.02)
        done = time.monotonic() - start
        got = delivered(s)
    finally:
        s.stop()
    if got < want:
        print("  (only %d of %d delivered)" % (got, want), file=sys.stderr)
    return count / accepted, got / done, failures


def via_mailer(s, jobs, count, size):
    msgs = [message(i, size) for i in range(count)]

    def one(i):
        p = s.popen_mailer("sender@outside.example", RCPT)
        p.communicate(msgs[i])
        return p.returncode == 0
    return run_parallel(jobs, count, one)


def via_lmtp(s, jobs, count, size):
    msgs = [message(i, size) for i in range(count)]
    local = threading.local()

    def one(i):
        if not hasattr(local, "lm"):
            local.lm = smtplib.LMTP(s.lmtp_socket, timeout=60)
            local.lm.ehlo("bench.test")
        try:
            refused = local.lm.sendmail("sender@outside.example", [RCPT], msgs[i])
        except smtplib.SMTPException:
            return False
        return not refused
    return run_parallel(jobs, count, one)


def via_sendmail(s, jobs, count, size):
    sm = PrivateSendmail(os.path.join(s.dir, "sendmail"), s.conf_path,
                         ["example.test"], s.bin("smtpgw"))
    os.makedirs(sm.dir)
    if sm.build() is not None:
        return count
    msgs = [message(i, size) for i in range(count)]
    return run_parallel(jobs, count,
                        lambda i: sm.send("sender@outside.example", RCPT,
                                          msgs[i]).returncode == 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=300, help="messages per run")
    ap.add_argument("--sizes", default="2048,102400", help="message sizes in bytes")
    ap.add_argument("--jobs", type=int, default=1, help="senders at once")
    ap.add_argument("--sendmail-count", type=int, default=50,
                    help="messages through the real sendmail (0: skip)")
    ap.add_argument("--store", default="sqlite", choices=("sqlite", "postgresql"),
                    help="the store backend of the suites")
    args = ap.parse_args()
    STORE["backend"] = args.store
    if args.store == "postgresql" and not emspg.available():
        sys.exit("no PostgreSQL server binaries (Debian's postgresql package)")
    for prog in ("smtpgw", "postman", "oomgr"):
        if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
            sys.exit("%s is not built in %s" % (prog, emstest.BIN))
    paths = [("mailer", via_mailer, args.count), ("lmtp", via_lmtp, args.count)]
    probe = PrivateSendmail("/nonexistent", "", [], "")
    if args.sendmail_count > 0 and probe.reason() is None:
        paths.append(("sendmail", via_sendmail, args.sendmail_count))
    elif args.sendmail_count > 0:
        print("# sendmail skipped: %s" % probe.reason())
    print("# %s, %d CPUs, jobs=%d, store=%s" % (emstest.BIN, os.cpu_count(), args.jobs,
                                               args.store))
    print("%-9s %9s %7s %12s %13s %8s" % ("path", "size", "msgs", "accepted/s",
                                          "delivered/s", "failed"))
    for size in (int(x) for x in args.sizes.split(",")):
        for name, send, count in paths:
            acc, dlv, failed = measure("bench-" + name, count, size, args.jobs, send)
            print("%-9s %9d %7d %12.1f %13.1f %8d" % (name, size, count, acc, dlv,
                                                     failed), flush=True)


if __name__ == "__main__":
    main()
