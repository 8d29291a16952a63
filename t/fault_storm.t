#!/usr/bin/env python3
"""fault_storm.t - the whole suite under a kill -9 storm (issue 15, 3).

The guardian runs iolistener, imap4srv, pop3srv, smtpgw and postman.
Mail arrives the three ways an MTA hands it over: LMTP on iolistener's
port (handed to smtpgw), LMTP on smtpgw's own port, and smtpgw run once
per message as a mailer; IMAP and POP3 clients log in meanwhile.  For
STORM_S seconds a killer sends SIGKILL to one of those five processes
every 0.3-1 s (the guardian's children, found in /proc), often enough
that the guardian finds some crash-looping and puts them into its
cool-down (FAILED, retried every cooldown_max_s).  A ledger keeps
every message (unique Message-ID, random body) with what its sender was
told.

Once the suite is back: every message acknowledged (250, exit 0) is in
its mailbox exactly once and byte for byte what was sent (after the
trace fields ems puts on top), read through IMAP and through POP3; a
message whose sender saw a temporary failure or a dropped connection is
there at most once; nothing else is there; IMAP UIDs and POP3 UIDLs
are unique; IMAP, POP3 and both LMTP ports greet; no client waited
CLIENT_TIMEOUT_S for an answer; the store passes integrity_check.
EMS_TEST_SEED repeats a run's random choices (messages, victims, gaps;
thread timing still varies).
"""
import collections
import imaplib
import os
import poplib
import random
import re
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import strip_trace  # noqa: E402
from emsproto import ProtoSuite  # noqa: E402

STORM_S = 20
KILL_GAP_S = (0.3, 1.0)
# Most messages per sending thread: a few hundred in all on a fast
# machine; a slow one sends fewer, each still checked.
PER_THREAD = 75
# A client that hears nothing for this long counts as hung (a failure).
CLIENT_TIMEOUT_S = 30
VICTIMS = ("SMTPGW", "Postman", "IOLISTENER", "IMAP4SRV", "POP3SRV")
USERS = ("demo@example.test", "ann@example.test", "bob@example.test")
PASSWORD = "demo"
SENDER = "sender@outside.example"

t = emstest.Tap()
for prog in ("guardian", "oomgr", "iolistener", "imap4srv", "pop3srv", "smtpgw",
             "postman"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

seed = int(os.environ.get("EMS_TEST_SEED", time.time()))
random.seed(seed)
t.diag("EMS_TEST_SEED=%d" % seed)

IMAP_PORT = emstest.free_port()
POP_PORT = emstest.free_port()
LMTP_PORT = emstest.free_port()     # iolistener's; smtpgw's own is s.lmtp_port
s = ProtoSuite({
    "store": {"backend": "sqlite"},   # reads the SQLite file
    "user": "", "group": "",
    "guardian": {
        # A killed process is back after a second, also when the storm
        # makes it crash-loop (FAILED, the cool-down): the test stays
        # short and most of the storm finds the suite up.
        "backoff_initial_s": 1, "backoff_max_s": 1, "cooldown_max_s": 1,
        "shutdown_timeout_s": 5},
    "postman": {"interval_s": 1, "retry_s": 1, "lease_s": 10},
    "log": {"level": "info"},
    "processes": [{"name": name, "program": name.lower(),
                   "instances": [{"autostart": True}]} for name in VICTIMS],
    "listeners": [{"service": "imap", "address": "127.0.0.1", "port": IMAP_PORT},
                  {"service": "pop", "address": "127.0.0.1", "port": POP_PORT},
                  {"service": "lmtp", "address": "127.0.0.1", "port": LMTP_PORT}],
}, name="storm")
s.admin(*["insert person username=%s password=%s" % (u, PASSWORD) for u in USERS[1:]])


def parent_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def all_running():
    rows = s.processes()
    return rows if all(rows.get(n, {}).get("state") == "running" and
                       parent_of(rows[n]["pid"]) == guardian.pid
                       for n in VICTIMS) else None


def greeting(port):
    """The first line a client on PORT reads, b"" when none comes."""
    try:
        with socket.create_connection(("127.0.0.1", port),
                                      timeout=emstest.DEFAULT_TIMEOUT) as c:
            data = b""
            while b"\r\n" not in data:
                chunk = c.recv(512)
                if not chunk:
                    break
                data += chunk
            return data.split(b"\r\n")[0]
    except OSError:
        return b""


GREETINGS = (("IMAP", IMAP_PORT, b"* OK"), ("POP3", POP_PORT, b"+OK"),
             ("LMTP on iolistener's port", LMTP_PORT, b"220 "),
             ("LMTP on smtpgw's port", s.lmtp_port, b"220 "))


def serving():
    return all(greeting(port).startswith(want) for _, port, want in GREETINGS)


guardian = s.start("guardian", "-F", "-c", s.conf_path)
up = emstest.wait_for(lambda: all_running() and serving(), timeout=60)
t.ok(up, "the guardian runs the five processes and every port answers")
if not up:
    t.done()


# --- the ledger --------------------------------------------------------------
class Ledger:
    """Every message sent: Message-ID -> {rcpt, data, path, outcome}.
    outcome: "ack" (250 / exit 0), "maybe" (temporary failure, dropped
    connection: may be there, at most once), "refused" (a permanent
    failure: must not happen to a valid recipient), "hung" (no answer
    within CLIENT_TIMEOUT_S)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries = {}
        self.notes = []

    def add(self, mid, rcpt, data, path):
        with self.lock:
            self.entries[mid] = {"rcpt": rcpt, "data": data, "path": path,
                                 "outcome": None}

    def settle(self, mid, outcome, why=""):
        with self.lock:
            self.entries[mid]["outcome"] = outcome
            if outcome in ("refused", "hung"):
                self.notes.append("%s %s: %s" % (outcome, mid, why))

    def note(self, text):
        with self.lock:
            self.notes.append(text)

    def with_outcome(self, *outcomes):
        with self.lock:
            return {m: e for m, e in self.entries.items() if e["outcome"] in outcomes}


ledger = Ledger()
stop = threading.Event()        # set when the storm is over
# Printable ASCII and some UTF-8 (an 8-bit body, as MTAs pass on).
TEXT = "".join(chr(c) for c in range(32, 127)) + "\täöüßéñ€"


def body_line():
    """A random line; some start with a dot (dot-stuffing on LMTP)."""
    line = "".join(random.choice(TEXT) for _ in range(random.randint(0, 120)))
    return random.choice([line, "." + line, ".", "..", line, line])


def make_message(path, n):
    """(Message-ID, message bytes with CRLF line ends) of message N of PATH."""
    mid = "<storm.%s.%04d.%08x@outside.example>" % (path, n, random.getrandbits(32))
    rcpt = random.choice(USERS)
    lines = ["From: Sender <%s>" % SENDER, "To: %s" % rcpt,
             "Subject: storm %s %d" % (path, n), "Message-ID: %s" % mid,
             "Date: Sun, 06 Dec 2026 12:00:00 +0000", ""]
    # One in twenty is large, so that kills land inside DATA and inside
    # the store's write more often.
    count = random.randint(1, 40) if random.random() < 0.95 else random.randint(500, 3000)
    lines += [body_line() for _ in range(count)]
    return mid, rcpt, ("\r\n".join(lines) + "\r\n").encode()


def lmtp_sender(path, port):
    """Delivers over LMTP to PORT, a few messages per connection as an MTA
    caching connections does, reconnecting after every failure."""
    n = 0
    while n < PER_THREAD and not stop.is_set():
        try:
            conn = smtplib.LMTP("127.0.0.1", port, timeout=CLIENT_TIMEOUT_S)
        except socket.timeout:
            ledger.note("hung LMTP greeting on %s's port" % path)
            continue
        except (OSError, smtplib.SMTPException):
            # Refused (smtpgw down), 421 (no worker), closed: try again.
            stop.wait(random.uniform(0.05, 0.2))
            continue
        try:
            for _ in range(random.randint(1, 8)):
                if n >= PER_THREAD or stop.is_set():
                    break
                mid, rcpt, data = make_message(path, n)
                n += 1
                ledger.add(mid, rcpt, data, path)
                lmtp_one(conn, mid, rcpt, data)
            conn.quit()
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            conn.close()


def lmtp_one(conn, mid, rcpt, data):
    try:
        refused = conn.sendmail(SENDER, [rcpt], data)
        ledger.settle(mid, "ack" if not refused else "maybe")
    except socket.timeout:
        ledger.settle(mid, "hung", "LMTP")
        raise
    except smtplib.SMTPResponseException as e:
        permanent = 500 <= e.smtp_code < 600
        ledger.settle(mid, "refused" if permanent else "maybe",
                      "%d %s" % (e.smtp_code, e.smtp_error))
        raise
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
        ledger.settle(mid, "refused" if 500 <= code < 600 else "maybe",
                      "%d %s" % (code, text))
        raise
    except (OSError, smtplib.SMTPException):
        ledger.settle(mid, "maybe")
        raise


def mailer_sender(path):
    """Runs smtpgw as a mailer once per message, as sendmail does."""
    for n in range(PER_THREAD):
        if stop.is_set():
            break
        mid, rcpt, data = make_message(path, n)
        ledger.add(mid, rcpt, data, path)
        try:
            r = subprocess.run([s.bin("smtpgw"), "-c", s.conf_path, "-f", SENDER,
                                "--", rcpt], input=data, capture_output=True,
                               env=s.env, timeout=CLIENT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            ledger.settle(mid, "hung", "mailer")
            continue
        if r.returncode == 0:
            ledger.settle(mid, "ack")
        elif r.returncode == 75:        # EX_TEMPFAIL: the MTA tries again
            ledger.settle(mid, "maybe")
        else:
            ledger.settle(mid, "refused", "exit %d %s" % (r.returncode, r.stderr))


reads = {"ok": 0, "failed": 0}
read_errors = collections.Counter()     # what the failed ones saw


def reader():
    """IMAP and POP3 users reading while the storm goes on; a failure is
    expected now and then, an answer that never comes is not."""
    while not stop.is_set():
        user = random.choice(USERS)
        try:
            if random.random() < 0.5:
                m = imaplib.IMAP4("127.0.0.1", IMAP_PORT, timeout=CLIENT_TIMEOUT_S)
                m.login(user, PASSWORD)
                m.select("INBOX", readonly=True)
                m.fetch("1:*", "(UID FLAGS)")
                m.logout()
            else:
                p = poplib.POP3("127.0.0.1", POP_PORT, timeout=CLIENT_TIMEOUT_S)
                p.user(user)
                p.pass_(PASSWORD)
                p.stat()
                p.quit()
            reads["ok"] += 1
        except socket.timeout:
            ledger.note("hung reader %s" % user)
        except (OSError, imaplib.IMAP4.error, poplib.error_proto) as e:
            reads["failed"] += 1
            read_errors["%s %s" % (type(e).__name__, str(e)[:60])] += 1
        stop.wait(random.uniform(0.05, 0.3))


kills = {name: 0 for name in VICTIMS}


def children():
    """{registry name: pid} of the guardian's children that run their
    program (a child between fork and exec still shows as guardian);
    read from /proc, which is quicker than oomgr under sanitizers."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or parent_of(int(entry)) != guardian.pid:
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                program = os.path.basename(f.read().split(b"\0")[0]).decode()
        except OSError:
            continue
        for name in VICTIMS:
            if program == name.lower():
                out[name] = int(entry)
    return out


def killer():
    """SIGKILL to one of VICTIMS every KILL_GAP_S, for STORM_S: each round
    goes through all five in a random order, skipping one the guardian
    has not restarted yet."""
    end = time.monotonic() + STORM_S
    order = []
    due = time.monotonic()
    while time.monotonic() < end:
        due += random.uniform(*KILL_GAP_S)
        stop.wait(max(0, due - time.monotonic()))
        if not order:
            order = random.sample(VICTIMS, len(VICTIMS))
        running = children()
        for name in list(order):
            if name in running:
                order.remove(name)
                try:
                    os.kill(running[name], signal.SIGKILL)
                    kills[name] += 1
                except ProcessLookupError:
                    pass
                break


PATHS = {"iolistener": 2, "smtpgw": 2, "mailer": 2}    # sending threads
senders = [threading.Thread(target=lmtp_sender, args=("iolistener%d" % i, LMTP_PORT))
           for i in range(PATHS["iolistener"])]
senders += [threading.Thread(target=lmtp_sender, args=("smtpgw%d" % i, s.lmtp_port))
            for i in range(PATHS["smtpgw"])]
senders += [threading.Thread(target=mailer_sender, args=("mailer%d" % i,))
            for i in range(PATHS["mailer"])]
readers = [threading.Thread(target=reader)]
k = threading.Thread(target=killer)
started = time.monotonic()
for th in senders + readers + [k]:
    th.start()
k.join()
stop.set()
for th in senders + readers:
    th.join()
t.diag("storm of %.0f s: kills %s; %d reader sessions, %d failed"
       % (time.monotonic() - started, " ".join("%s=%d" % kv for kv in kills.items()),
          reads["ok"], reads["failed"]))
t.diag("the guardian put a process into the cool-down (FAILED) %d times"
       % s.log_text("guardian").count("event=process_failed "))
for why, n in read_errors.most_common():
    t.diag("  %3d %s" % (n, why))

acked = ledger.with_outcome("ack")
maybe = ledger.with_outcome("maybe")
for path in PATHS:
    n = sum(1 for e in ledger.entries.values() if e["path"].startswith(path))
    a = sum(1 for e in acked.values() if e["path"].startswith(path))
    t.diag("%-10s sent %3d, acknowledged %3d" % (path, n, a))
t.ok(all(kills.values()), "each of the five processes was killed")
t.ok(all(any(e["path"].startswith(p) for e in acked.values()) for p in PATHS),
     "mail was acknowledged on every path (%d messages of %d)"
     % (len(acked), len(ledger.entries)))
t.is_(ledger.notes, [], "no permanent refusal, no client left without an answer")

# --- the suite is back -------------------------------------------------------
back = emstest.wait_for(all_running, timeout=60)
t.ok(back, "the guardian has all five processes running again")
for what, port, want in GREETINGS:
    line = emstest.wait_for(lambda: (lambda g: g if g.startswith(want) else None)(
        greeting(port)), timeout=60)
    t.ok(line, "%s answers with a greeting" % what)
    if not line:
        t.diag("last answer: %r" % greeting(port))


def queued():
    """Items of the submission queue postman has still to finish."""
    try:
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(s.state, "store.db"),
                             uri=True, timeout=10)
        try:
            return db.execute("SELECT count(*) FROM queue WHERE state = 'queued'"
                              ).fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return -1


# A message postman leased before it was killed waits out lease_s.
t.ok(emstest.wait_for(lambda: queued() == 0, timeout=60),
     "postman finishes the submission queue")


# --- what a client sees --------------------------------------------------------
def message_id(data):
    for line in data.split(b"\r\n"):
        if not line:
            break
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    return None


def imap_mailbox(user):
    """[(Message-ID, bytes, UID)] of USER's INBOX through IMAP, in
    sequence order."""
    m = imaplib.IMAP4("127.0.0.1", IMAP_PORT, timeout=CLIENT_TIMEOUT_S)
    m.login(user, PASSWORD)
    typ, data = m.select("INBOX", readonly=True)
    out = []
    if int(data[0]) > 0:
        typ, data = m.fetch("1:*", "(UID BODY.PEEK[])")
        out = [(message_id(item[1]), item[1],
                int(re.search(rb"UID (\d+)", item[0]).group(1)))
               for item in data if isinstance(item, tuple)]
    m.logout()
    return out


def pop_mailbox(user):
    """[(Message-ID, bytes, UIDL)] of USER's maildrop through POP3."""
    p = poplib.POP3("127.0.0.1", POP_PORT, timeout=CLIENT_TIMEOUT_S)
    p.user(user)
    p.pass_(PASSWORD)
    uidl = [line.split()[1] for line in p.uidl()[1]]
    out = []
    for i in range(1, len(uidl) + 1):
        lines = p.retr(i)[1]
        data = b"\r\n".join(lines) + b"\r\n"
        out.append((message_id(data), data, uidl[i - 1]))
    p.quit()
    return out


def check(what, fetch, ordered):
    """Compares each mailbox as FETCH returns it with the ledger; the
    unique ids of a mailbox are unique (and ascending when ORDERED)."""
    seen = {}           # Message-ID -> [bytes, ...]
    stray = []
    bad_ids = []
    for user in USERS:
        try:
            box = fetch(user)
        except (OSError, imaplib.IMAP4.error, poplib.error_proto) as e:
            t.ok(False, "%s: %s's mailbox can be read (%s)" % (what, user, e))
            return
        ids = [uid for _, _, uid in box]
        if len(set(ids)) != len(ids) or (ordered and ids != sorted(ids)):
            bad_ids.append((user, ids))
        for mid, data, _ in box:
            entry = ledger.entries.get(mid)
            if entry is None or entry["rcpt"] != user:
                stray.append((user, mid))
            seen.setdefault(mid, []).append(data)
    lost = sorted(m for m in acked if m not in seen)
    twice = sorted(m for m, copies in seen.items() if len(copies) > 1)
    altered = sorted(m for m, copies in seen.items() if m in ledger.entries and
                     any(strip_trace(c) != ledger.entries[m]["data"] for c in copies))
    t.is_(lost, [], "%s: every acknowledged message is there (%d)" % (what, len(acked)))
    t.is_(twice, [], "%s: no message is there twice" % what)
    t.is_(altered, [], "%s: each is byte for byte what was sent" % what)
    t.is_(stray, [], "%s: nothing else is there" % what)
    t.is_(bad_ids, [], "%s: the unique ids are unique%s" % (what, " and ascending"
                                                           if ordered else ""))
    t.diag("%s: %d of %d unacknowledged messages were delivered"
           % (what, sum(1 for m in maybe if m in seen), len(maybe)))
    for mid in altered[:3]:
        t.diag("%s sent:   %r" % (mid, ledger.entries[mid]["data"][:300]))
        t.diag("%s stored: %r" % (mid, strip_trace(seen[mid][0])[:300]))


check("IMAP", imap_mailbox, ordered=True)
check("POP3", pop_mailbox, ordered=False)

# --- the store ------------------------------------------------------------------
guardian.send_signal(signal.SIGTERM)
try:
    guardian.wait(30)
except subprocess.TimeoutExpired:
    pass
t.is_(guardian.poll(), 0, "the guardian stops cleanly")
db = sqlite3.connect(os.path.join(s.state, "store.db"))
t.is_(db.execute("PRAGMA integrity_check").fetchone()[0], "ok", "integrity_check: ok")
db.close()
t.diag("whole test: %.0f s" % (time.monotonic() - started))
s.stop()
t.done()
