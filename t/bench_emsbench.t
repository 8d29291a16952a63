#!/usr/bin/env python3
"""bench_emsbench.t - emsbench, the load generator of `make bench`,
against a small ems suite: every load runs without protocol errors and
reports what really happened (the messages it delivered are in the
mailbox, the IMAP mix leaves the mailbox as it found it, POP3 sessions
retrieve bytes, IDLE connections are held and a pushed message is seen,
also by the first of many idling connections, a login storm logs every
attempt in), and bad usage is refused.  Figures are printed, never judged."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402

t = emstest.Tap()
for prog in ("emsbench", "smtpgw", "postman", "oomgr", "imap4srv", "pop3srv"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

BENCH = os.path.join(emstest.BIN, "emsbench")
USER = "load%d@example.test"
s = ImapSuite({"log": {"level": "info"}, "store": {"backend": "sqlite"}},   # --watch-store reads the file
              name="emsbench")
s.admin("insert person username=load0@example.test password=pw",
        "insert person username=load1@example.test password=pw")
s.start_daemons()
s.start_imap()
pop3_port = emstest.free_port()
s.start("pop3srv", "-c", s.conf_path, "--listen", "127.0.0.1:%d" % pop3_port)
if not emstest.wait_for(lambda: emstest.port_open(pop3_port)):
    t.diag(s.logs())


def bench(*args, stdin=None):
    """Runs emsbench; returns (exit status, the JSON figures or None)."""
    r = subprocess.run([BENCH] + list(args), capture_output=True, text=True,
                       env=s.env, timeout=60, input=stdin)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    if r.returncode != 0 or not lines:
        t.diag("emsbench %s: %s%s" % (args[0], r.stdout, r.stderr))
    return r.returncode, json.loads(lines[-1]) if lines else None


r = subprocess.run([BENCH, "--help"], capture_output=True, text=True)
t.ok(r.returncode == 0 and "push" in r.stdout, "--help lists the loads")
r = subprocess.run([BENCH, "nonsense"], capture_output=True, text=True)
t.is_(r.returncode, 2, "an unknown load is a usage error")
r = subprocess.run([BENCH, "imap", "--user", "a%s"], capture_output=True, text=True)
t.is_(r.returncode, 2, "a --user format other than one %d is refused")

lmtp = "127.0.0.1:%d" % s.lmtp_port
rc, got = bench("lmtp", "--connect", lmtp, "--clients", "2", "--count", "6",
                "--size", "5000", "--rcpt", "load0@example.test",
                "--watch-store", os.path.join(s.state, "store.db"))
t.ok(rc == 0 and got and got["messages"] == 6 and got["errors"] == 0,
     "lmtp: 6 messages delivered without errors")
t.ok(got and got.get("arrived") == 6 and got["e2e_p99_ms"] > 0,
     "lmtp: the watcher saw all 6 arrive in the INBOX")
inbox = s.wait_messages("load0@example.test", 6)
t.is_(len(inbox), 6, "the INBOX holds the 6 messages")
t.is_(len({m.message for m in inbox}), 6, "each bench message is distinct")

rc, got = bench("mailer", "--count", "2", "--rcpt", "load1@example.test", "--",
                s.bin("smtpgw"), "-c", s.conf_path, "-f", "b@bench.example",
                "load1@example.test")
t.ok(rc == 0 and got and got["messages"] == 2 and got["errors"] == 0,
     "mailer: 2 runs of smtpgw exit 0")
t.is_(len(s.wait_messages("load1@example.test", 2)), 2, "and deliver 2 messages")

imap = "127.0.0.1:%d" % s.imap_port
rc, got = bench("imap", "--connect", imap, "--clients", "2", "--seconds", "1",
                "--user", USER, "--password", "pw")
if not t.ok(rc == 0 and got and got["errors"] == 0, "imap: the mix runs without errors"):
    t.diag("first error: %s" % (got or {}).get("first_error"))
t.ok(got and got["append_per_s"] > 0 and got["expunge_per_s"] > 0
     and got["login_per_s"] > 0, "imap: every kind of command was counted")
t.ok(got and all(0 < got["%s_p50_ms" % c] <= got["%s_p99_ms" % c]
                 for c in ("select", "fetch_flags", "fetch_headers", "fetch_body", "store",
                           "search", "append", "expunge")),
     "imap: each command has its own latency p50 <= p99")
t.is_(len(s.messages("load0@example.test")), 6, "the mix leaves load0's INBOX as it was")

rc, got = bench("imap", "--connect", imap, "--clients", "2", "--seconds", "2", "--pace", "10",
                "--user", USER, "--password", "pw")
t.ok(rc == 0 and got and got["errors"] == 0 and got["pace"] == 10,
     "imap --pace: the mix runs paced without errors")
# LOGIN is sent at once, the rest at most one per due time: never more
# than the pace allows in the time it ran (plus each client's first one)
paced = got and round(got["ops"] - got["seconds"] * got["login_per_s"])
t.ok(got and 0 < paced <= 10 * got["seconds"] + 2,
     "imap --pace: no more commands than the pace allows (%s in %.1f s)"
     % (paced, got["seconds"] if got else 0))

rc, got = bench("pop3", "--connect", "127.0.0.1:%d" % pop3_port, "--seconds", "1",
                "--user", USER, "--users", "2", "--clients", "2", "--password", "pw")
t.ok(rc == 0 and got and got["sessions"] > 0 and got["errors"] == 0,
     "pop3: whole sessions without errors")
t.ok(got and got["mb_per_s"] > 0, "pop3: RETR brought bytes")

rc, got = bench("push", "--connect", imap, "--lmtp", lmtp, "--count", "3",
                "--user", USER, "--password", "pw", "--rcpt", "load0@example.test")
t.ok(rc == 0 and got and got["messages"] == 3 and got["errors"] == 0,
     "push: the IDLE client saw each of 3 deliveries")

rc, got = bench("idle", "--connect", imap, "--count", "20", "--clients", "4",
                "--user", USER, "--users", "2", "--password", "pw", stdin="")
t.ok(rc == 0 and got and got["connections"] == 20 and got["errors"] == 0,
     "idle: 20 connections logged in and in IDLE")

rc, got = bench("idle", "--connect", imap, "--count", "10", "--clients", "2",
                "--user", USER, "--users", "2", "--password", "pw", "--push", "3",
                "--lmtp", lmtp, "--rcpt", "load0@example.test", stdin="")
t.ok(rc == 0 and got and got["connections"] == 10 and got.get("pushed") == 3,
     "idle --push: connection 0 saw each of 3 deliveries with 9 others idling")

rc, got = bench("logins", "--connect", imap, "--rate", "20", "--seconds", "1",
                "--clients", "4", "--user", USER, "--users", "2", "--password", "pw")
t.ok(rc == 0 and got and got["attempted"] == 20 and got["logins"] == 20 and
     got["errors"] == 0, "logins: 20 attempts at 20/s, all logged in")
rc, got = bench("logins", "--connect", imap, "--rate", "5", "--seconds", "1",
                "--clients", "5", "--user", USER, "--users", "2", "--password", "wrong")
t.ok(rc == 0 and got and got["logins"] == 0 and got["errors"] == 5,
     "logins: with a wrong password every attempt counts as an error")

s.stop()
t.done()
