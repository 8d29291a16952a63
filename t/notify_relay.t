#!/usr/bin/env python3
"""notify_relay.t - wake-ups cross machines through PostgreSQL (issue 19):
two ems suites, nodes "alpha" and "beta", each with its own run
directory and guardian, whose notify relays (notifyrelay(8)) share one
database of a private PostgreSQL cluster.  The suites keep their own
SQLite stores, so the test works at the wake-up level: a socket of the
test stands in for a reader (imap4srv's IDLE, postman) in each run
directory, and the test sends a wake-up the way a writer does (one
datagram to every socket of the channel).

It checks: a mailbox wake-up sent on alpha reaches the reader on beta,
and one on the submission channel too; alpha's reader does not hear its
own wake-up back; after kill -9 the guardian starts a new relay, which
relays again; with PostgreSQL stopped both relays log the outage once,
and once it is back they reconnect by themselves, wake every local
reader with the "look" (id 0) and relay again; a burst of wake-ups that
overflows the relay's socket has the other node look too.
"""
import atexit
import json
import os
import select
import shutil
import signal
import socket
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emspg  # noqa: E402
import emstest  # noqa: E402

t = emstest.Tap()
for prog in ("guardian", "oomgr", "notifyrelay"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)
if not emspg.available():
    t.skip_all("no PostgreSQL server binaries")

BOUND = 60
# A cluster of its own: the test stops and starts the server.
PG_DIR = tempfile.mkdtemp(prefix="ems-test-relay-pg-")
cluster = emspg.start(PG_DIR)
atexit.register(lambda: (cluster.stop(), shutil.rmtree(PG_DIR, ignore_errors=True)))
cluster.psql("CREATE DATABASE relay")
CONNINFO = cluster.conninfo("relay")


def make_suite(node):
    s = emstest.Suite({
        "node": node, "user": "", "group": "",
        "log": {"level": "debug"},
        "guardian": {"backoff_initial_s": 1, "backoff_max_s": 2, "shutdown_timeout_s": 5},
        "store": {"conninfo": CONNINFO},
        "processes": [{"name": "NOTIFYRELAY", "program": "notifyrelay",
                       "instances": [{"autostart": True}]}],
    }, name=node)
    s.start("guardian", "-F", "-c", s.conf_path)
    return s


def log_text(s):
    return s.log_text("notifyrelay")


def relay_row(s):
    r = s.run("oomgr", "-c", s.conf_path, "--json", "disp", "process")
    try:
        return next((x for x in json.loads(r.stdout) if x["name"] == "NOTIFYRELAY"), {})
    except ValueError:
        return {}


def reader(s, channel):
    """A datagram socket in S's run directory on CHANNEL, like a reader's."""
    d = os.path.join(s.state, "run", channel)
    os.makedirs(d, exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(os.path.join(d, "testreader.sock"))
    return sock


def wake(s, channel, ident):
    """Sends IDENT to every socket of CHANNEL in S, as wakeup_send() does."""
    d = os.path.join(s.state, "run", channel)
    out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    for name in os.listdir(d):
        if name.endswith(".sock"):
            try:
                out.sendto(struct.pack("=q", ident), os.path.join(d, name))
            except OSError:
                pass
    out.close()


def received(sock, want, timeout=BOUND):
    """Ids read from SOCK until WANT came (or TIMEOUT); the list read."""
    got = []
    while want not in got:
        ready, _, _ = select.select([sock], [], [], timeout)
        if not ready:
            break
        data = sock.recv(64)
        if len(data) == 8:
            got.append(struct.unpack("=q", data)[0])
    return got


def drain(sock):
    sock.setblocking(False)
    try:
        while True:
            sock.recv(64)
    except BlockingIOError:
        pass
    sock.setblocking(True)


def connected(s, count=1):
    return log_text(s).count("event=database_connected") + \
        log_text(s).count("event=database_back") >= count


alpha, beta = make_suite("alpha"), make_suite("beta")
a_box, b_box = reader(alpha, "wakeup"), reader(beta, "wakeup")
b_sub = reader(beta, "submission")
t.ok(emstest.wait_for(lambda: connected(alpha) and connected(beta), timeout=BOUND),
     "both relays connected to the database")
for sock in (a_box, b_box, b_sub):
    drain(sock)

wake(alpha, "wakeup", 4242)
t.ok(4242 in received(b_box, 4242), "a mailbox wake-up on alpha reaches the reader on beta")
wake(alpha, "submission", 77)
t.ok(77 in received(b_sub, 77), "and a submission wake-up reaches beta's postman socket")
wake(beta, "wakeup", 5151)
# (leaving out a late "look" of beta's relay connecting)
got = [i for i in received(a_box, 5151) if i != 0]
t.is_(got, [4242, 5151], "alpha's reader heard its own wake-up once (not echoed), "
      "then beta's")

# A burst as writers send it (never waiting): past the relay's socket
# queue wake-ups are dropped, so the relay has the other nodes look.
burst = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
relay_sock = os.path.join(alpha.state, "run", "wakeup", "notifyrelay01.sock")
looks = log_text(beta).count("from=alpha channel=wakeup id=0 ")
taken = 0
for i in range(1000):
    try:
        burst.sendto(struct.pack("=q", 100000 + i), socket.MSG_DONTWAIT, relay_sock)
        taken += 1
    except BlockingIOError:
        pass
burst.close()
t.ok(taken == 1000 or emstest.wait_for(
    lambda: log_text(beta).count("from=alpha channel=wakeup id=0 ") > looks, timeout=BOUND),
    "a burst that overflows the relay's socket (%d of 1000 taken) has beta look" % taken)
drain(b_box)

before = relay_row(beta)
t.ok(before.get("state") == "running" and before.get("pid"), "beta's relay is running")
os.kill(before["pid"], signal.SIGKILL)
after = emstest.wait_for(lambda: (lambda r: r if r.get("state") == "running" and
                                  r.get("pid") not in (0, before.get("pid"))
                                  else None)(relay_row(beta)), timeout=BOUND)
t.ok(after, "the guardian started a new relay on beta after kill -9")
t.ok(emstest.wait_for(lambda: connected(beta, 2), timeout=BOUND),
     "which connected to the database")
drain(b_box)
wake(alpha, "wakeup", 6161)
t.ok(6161 in received(b_box, 6161), "and relays alpha's wake-ups again")

drain(a_box)
drain(b_box)
cluster.stop()
t.ok(emstest.wait_for(lambda: "event=database_lost" in log_text(alpha) and
                      "event=database_lost" in log_text(beta), timeout=BOUND),
     "PostgreSQL stopped: both relays logged the outage")
t.ok(emstest.wait_for(lambda: "event=database_retry" in log_text(beta), timeout=BOUND),
     "  and keep trying")
cluster.restart()
t.ok(emstest.wait_for(lambda: "event=database_back" in log_text(alpha) and
                      "event=database_back" in log_text(beta), timeout=BOUND),
     "PostgreSQL back: both relays reconnected by themselves")
t.is_(log_text(beta).count("event=database_lost"), 1,
      "the outage was logged once, not at every try")
t.ok(0 in received(b_box, 0), "beta's reader got the look (id 0) after the outage")
t.ok(0 in received(a_box, 0), "and so did alpha's")
wake(alpha, "wakeup", 7171)
t.ok(7171 in received(b_box, 7171), "alpha's wake-ups reach beta again")

if t.failed:
    t.diag(log_text(alpha) + log_text(beta))
for sock in (a_box, b_box, b_sub):
    sock.close()
alpha.stop()
beta.stop()
cluster.stop()
t.done()
