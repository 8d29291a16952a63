#!/usr/bin/env python3
"""login_load.py - measures how logins load imap4srv and pop3srv: the
time until COUNT IMAP sessions started at once are all logged in
(emsbench idle with one thread per connection, so every LOGIN is sent
together), how long a NOOP of another session, logged in before, waits
meanwhile (what a user of the same worker feels), and POP3 whole
sessions per second with 4 clients (emsbench pop3).  A benchmark, not a
test: it prints figures and never fails on a time.

    EMS_BUILD=build-x python3 bench/login_load.py [--count 200] [--pop3-clients 4]
                                                   [--seconds 10] [--threads N]

--threads sets auth.threads (the password-check threads of each worker);
without it the installed default applies.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "t", "lib"))
import emstest  # noqa: E402
from emsmail import MailSuite  # noqa: E402
from emsimap import Raw  # noqa: E402

USER_FMT = "bench%d@bench.test"
PASSWORD = "bench"
USERS = 50


def start(s, program):
    port = emstest.free_port()
    s.start(program, "-c", s.conf_path, "--maxclt", "1000",
            "--listen", "127.0.0.1:%d" % port)
    if not emstest.wait_for(lambda: emstest.port_open(port)):
        raise RuntimeError("%s did not start:\n%s" % (program, s.logs()))
    return "127.0.0.1:%d" % port


def probe(addr, stop, waits):
    """A session logged in before the load: NOOP after NOOP until STOP,
    each one's wait (ms) into WAITS."""
    host, port = addr.split(":")
    r = Raw(int(port), host=host)
    r.command("p0", 'LOGIN "%s" "%s"' % (USER_FMT % 0, PASSWORD))
    n = 0
    while not stop.is_set():
        n += 1
        t0 = time.monotonic()
        r.send("p%d NOOP\r\n" % n)
        # the old servers made a NOOP wait for every login in progress
        ln = b"*"
        while ln and not ln.startswith(b"p%d " % n):
            ln = r.line(timeout=600)
        if not ln:
            break
        waits.append((time.monotonic() - t0) * 1000)
        time.sleep(0.05)
    r.close()


def imap_logins(s, emsbench, addr, count):
    """Seconds until COUNT connections are logged in and in IDLE, and
    the NOOP waits of another session meanwhile."""
    stop, waits = threading.Event(), []
    th = threading.Thread(target=probe, args=(addr, stop, waits))
    th.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    p = subprocess.Popen([emsbench, "idle", "--connect", addr, "--count", str(count),
                          "--clients", str(count), "--seconds", "300",
                          "--user", USER_FMT, "--users", str(USERS),
                          "--password", PASSWORD],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, env=s.env)
    line = p.stdout.readline()
    took = time.monotonic() - t0
    stop.set()
    th.join()
    p.stdin.close()
    p.wait(120)
    got = json.loads(line) if line.startswith("{") else {}
    got["noop_ms"] = waits
    return took, got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--pop3-clients", type=int, default=4)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--threads", type=int)
    a = ap.parse_args()
    build = os.environ.get("EMS_BUILD", "build")
    emstest.BIN = os.path.join(os.path.abspath(build), "bin")
    emsbench = os.path.join(emstest.BIN, "emsbench")
    conf = {"log": {"level": "info"}}
    if a.threads is not None:
        conf["auth"] = {"threads": a.threads}
    s = MailSuite(conf, name="login")
    try:
        people = ["insert person username=%s password=%s" % (USER_FMT % i, PASSWORD)
                  for i in range(USERS)]
        s.admin("insert domain qualifiedname=bench.test", *people)
        imap = start(s, "imap4srv")
        pop3 = start(s, "pop3srv")
        took, got = imap_logins(s, emsbench, imap, a.count)
        r = subprocess.run([emsbench, "pop3", "--connect", pop3,
                            "--clients", str(a.pop3_clients), "--seconds", str(a.seconds),
                            "--user", USER_FMT, "--users", str(USERS),
                            "--password", PASSWORD],
                           capture_output=True, text=True, env=s.env, timeout=600)
        pop = json.loads(r.stdout) if r.stdout.startswith("{") else {}
        print(json.dumps({
            "imap_logins": a.count, "imap_logged_in": got.get("connections"),
            "imap_login_all_s": round(took, 2),
            "noop_during_logins_ms": {
                "n": len(got["noop_ms"]),
                "p50": round(statistics.median(got["noop_ms"]), 1) if got["noop_ms"] else None,
                "max": round(max(got["noop_ms"]), 1) if got["noop_ms"] else None},
            "pop3_clients": a.pop3_clients,
            "pop3_sessions_per_s": pop.get("sessions_per_s"),
            "pop3_errors": pop.get("errors"),
        }))
    finally:
        s.stop()


if __name__ == "__main__":
    main()
