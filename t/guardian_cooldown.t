#!/usr/bin/env python3
"""guardian_cooldown.t - supervision never gives up, and nobody waits on a
dead port (issue 15, section 2).

A private suite under a real guardian: iolistener with IMAP, POP3 and
LMTP ports, imap4srv, pop3srv and smtpgw (the LMTP worker), with a small
crash-loop limit (3 exits in 60 s) and a small cool-down cap
(guardian.cooldown_max_s = 4).  The test SIGKILLs a process each time a
new one runs, past the crash-loop limit, and checks what a user and an
administrator see:

- imap4srv crash-looped: `oomgr disp process` shows it FAILED with its
  exit count and the time of the next attempt; the guardian keeps trying
  (each wait logged, none longer than the cap); every IMAP client that
  connects meanwhile gets `* BYE [UNAVAILABLE]` (imaplib shows it) or a
  greeting, never silence; once the kills stop it serves again with no
  administrator's help;
- pop3srv crash-looped: POP3 clients get `-ERR [SYS/TEMP]`; `oomgr
  startup POP3SRV` starts it at once, in the middle of the cool-down;
- iolistener crash-looped: while it is down the guardian, which holds
  the listening sockets, answers every port itself (IMAP `* BYE
  [UNAVAILABLE]`, POP3 `-ERR [SYS/TEMP]`, LMTP `421 4.3.0`) instead of
  letting connections queue; then iolistener comes back and clients are
  served.
No timing thresholds: every wait is on a condition, with a generous bound.
"""
import imaplib
import json
import os
import poplib
import re
import signal
import smtplib
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsproto import PASSWORD, USER, ProtoSuite, RawLines  # noqa: E402

t = emstest.Tap()
for prog in ("guardian", "oomgr", "iolistener", "imap4srv", "pop3srv", "smtpgw"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

CAP_S = 4                   # guardian.cooldown_max_s
FAIL_COUNT = 3
BOUND = 120                 # the longest any step may take on a busy machine
IMAP_PORT, POP_PORT, LMTP_PORT = (emstest.free_port() for _ in range(3))

s = ProtoSuite({"lmtp": {"port": 0}}, name="cooldown")
s.conf.update({
    "user": "", "group": "",
    "log": {"level": "info"},
    "guardian": {"backoff_initial_s": 1, "backoff_max_s": 1,
                 "fail_count": FAIL_COUNT, "fail_window_s": 60,
                 "cooldown_max_s": CAP_S, "stable_after_s": 30,
                 "shutdown_timeout_s": 5},
    "processes": [
        {"name": "IOLISTENER", "program": "iolistener",
         "instances": [{"autostart": True}]},
        {"name": "IMAP4SRV", "program": "imap4srv",
         "instances": [{"maxclt": 20, "autostart": True}]},
        {"name": "POP3SRV", "program": "pop3srv",
         "instances": [{"maxclt": 20, "autostart": True}]},
        {"name": "SMTPGW", "program": "smtpgw",
         "instances": [{"autostart": True}]},
    ],
    "listeners": [
        {"service": "imap", "address": "127.0.0.1", "port": IMAP_PORT},
        {"service": "pop", "address": "127.0.0.1", "port": POP_PORT},
        {"service": "lmtp", "address": "127.0.0.1", "port": LMTP_PORT},
    ],
})
s.write_conf()


def oomgr(*args):
    return s.run("oomgr", "-c", s.conf_path, *args, timeout=BOUND)


def row(name):
    r = oomgr("--json", "disp", "process")
    try:
        return next((x for x in json.loads(r.stdout) if x["name"] == name), {})
    except ValueError:
        return {}


def greeting(port):
    """The first line a raw client gets on PORT (b"" when closed without
    one, b"<silent>" when nothing came in the test's bound)."""
    try:
        c = RawLines(port)
    except OSError as e:
        return ("<%s>" % e).encode()
    c.close()
    return c.greeting


def imap_serves():
    try:
        m = imaplib.IMAP4("127.0.0.1", IMAP_PORT, timeout=emstest.DEFAULT_TIMEOUT)
        m.login(USER, PASSWORD)
        ok = m.select("INBOX")[0] == "OK"
        m.logout()
        return ok
    except (OSError, imaplib.IMAP4.error):
        return None


def pop_serves():
    try:
        p = poplib.POP3("127.0.0.1", POP_PORT, timeout=emstest.DEFAULT_TIMEOUT)
        p.user(USER)
        p.pass_(PASSWORD)
        p.stat()
        p.quit()
        return True
    except (OSError, poplib.error_proto):
        return None


def imaplib_answer():
    try:
        imaplib.IMAP4("127.0.0.1", IMAP_PORT, timeout=emstest.DEFAULT_TIMEOUT).logout()
        return "served"
    except (OSError, imaplib.IMAP4.error) as e:
        return str(e)


def poplib_answer():
    try:
        poplib.POP3("127.0.0.1", POP_PORT, timeout=emstest.DEFAULT_TIMEOUT).quit()
        return "served"
    except (OSError, poplib.error_proto) as e:
        return str(e)


def lmtp_answer():
    try:
        smtplib.LMTP("127.0.0.1", LMTP_PORT, timeout=emstest.DEFAULT_TIMEOUT).quit()
        return "served"
    except smtplib.SMTPConnectError as e:
        return "%d %s" % (e.smtp_code, e.smtp_error.decode(errors="replace"))
    except (OSError, smtplib.SMTPException) as e:
        return "<%s>" % e


def crash_loop(name, probe, attempts=2):
    """SIGKILLs NAME each time a new one runs, until it has gone FAILED
    and the guardian has tried (and the test killed) it ATTEMPTS more
    times in the cool-down.  Whenever no NAME runs, calls PROBE(state)
    and keeps (state, answer).  Returns (rows seen FAILED, the probes)."""
    killed, failed_rows, probes = set(), [], []
    tries_in_cooldown = 0
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline and tries_in_cooldown <= attempts:
        r = row(name)
        if r.get("state") == "running" and r.get("pid") not in killed:
            tries_in_cooldown += bool(failed_rows)
            killed.add(r["pid"])
            os.kill(r["pid"], signal.SIGKILL)
            # Probe only once the guardian has reaped it: no client can
            # then be handed to the dying process.
            emstest.wait_for(lambda: row(name).get("pid") != r["pid"], timeout=BOUND)
        elif r.get("state") in ("failed", "backoff"):
            if r["state"] == "failed":
                failed_rows.append(r)
            probes.append((r["state"], probe(r["state"])))
        else:
            time.sleep(0.05)
    return failed_rows, probes


def glog():
    return s.log_text("guardian")


g = s.start("guardian", "-F", "-c", s.conf_path)
t.ok(emstest.wait_for(imap_serves, timeout=BOUND), "IMAP serves through the listener")
t.ok(emstest.wait_for(pop_serves, timeout=BOUND), "POP3 too")

# --- imap4srv crash-loops ----------------------------------------------------
table = []


def imap_probe(state):
    if state == "failed" and not table:  # the administrator's view, once
        table.append(oomgr("disp", "process").stdout)
        table.append(imaplib_answer())
    return greeting(IMAP_PORT)


failed_rows, probes = crash_loop("IMAP4SRV", imap_probe)
t.ok(failed_rows, "imap4srv killed %d times in a row goes FAILED" % FAIL_COUNT)
first = failed_rows[0] if failed_rows else {}
t.ok(first.get("exits", 0) >= FAIL_COUNT and first.get("next_attempt", 0) > 0,
     "disp process --json shows its exits (%s) and the next attempt (%s)"
     % (first.get("exits"), first.get("next_attempt")))
line = next((ln for ln in (table[0] if table else "").splitlines()
             if ln.startswith("IMAP4SRV")), "")
t.ok(re.search(r"\bfailed\s+\d+\s+%d\s+-\s+\d\d:\d\d:\d\d$" % first.get("exits", -1),
               line), "disp process shows state, restarts, exits and the next "
     "attempt time: %r" % line)
silent = [a for _, a in probes if not (a.startswith(b"* OK") or
                                       a.startswith(b"* BYE [UNAVAILABLE]"))]
t.is_(silent, [], "every IMAP client connecting meanwhile got a greeting or "
      "* BYE [UNAVAILABLE] (%d clients)" % len(probes))
t.ok(any(st == "failed" and a.startswith(b"* BYE [UNAVAILABLE]") for st, a in probes),
     "clients connecting while it is FAILED get * BYE [UNAVAILABLE] at once")
t.like(table[1] if len(table) > 1 else "", "UNAVAILABLE",
       "imaplib shows the user why")
delays = [int(d) for d in re.findall(
    r"event=process_cooldown name=IMAP4SRV .*delay_ms=(\d+)", glog())]
t.ok(delays and max(delays) <= CAP_S * 1000, "each cool-down wait is logged, "
     "none longer than cooldown_max_s (%s ms)" % delays)
t.ok(len(re.findall(r"event=process_cooldown_attempt name=IMAP4SRV", glog())) >= 2,
     "the guardian went on trying in the cool-down (attempts logged)")
last = row("IMAP4SRV")
t.ok(last.get("state") == "failed" and
     0 < last.get("next_attempt", 0) <= time.time() + CAP_S + 1,
     "after the last kill its next attempt is within the cap")
t.ok(emstest.wait_for(imap_serves, timeout=BOUND), "then it serves IMAP again, "
     "with no administrator's help")
t.is_(row("IMAP4SRV").get("state"), "running", "and disp process shows it running")

# --- pop3srv crash-loops; startup forces a start -----------------------------
failed_rows, probes = crash_loop("POP3SRV", lambda state: poplib_answer(),
                                 attempts=0)
t.ok(failed_rows, "pop3srv crash-looped goes FAILED")
silent = [a for _, a in probes if a != "served" and "[SYS/TEMP]" not in a]
t.ok(probes and not silent, "poplib clients meanwhile are served or get "
     "-ERR [SYS/TEMP] (%r)" % silent)
t.ok(any("[SYS/TEMP]" in a for st, a in probes if st == "failed"),
     "poplib shows -ERR [SYS/TEMP] while it is FAILED")
r = oomgr("startup", "POP3SRV")
t.is_(r.returncode, 0, "oomgr startup POP3SRV during the cool-down")
t.is_(row("POP3SRV").get("state"), "running", "starts it at once")
t.ok(emstest.wait_for(pop_serves, timeout=BOUND), "and POP3 is served")

# --- iolistener crash-loops: the guardian answers the ports ------------------


def all_ports(state):
    return (imaplib_answer(), poplib_answer(), lmtp_answer(), greeting(IMAP_PORT))


failed_rows, probes = crash_loop("IOLISTENER", all_ports)
t.ok(failed_rows, "iolistener crash-looped goes FAILED")
# Each answer is the refusal, or (when the listener was back a moment
# before the client connected) the service itself: never silence.
REFUSED = (lambda a: "UNAVAILABLE" in a, lambda a: "[SYS/TEMP]" in a,
           lambda a: a.startswith("421 4.3.0"),
           lambda a: a.startswith(b"* BYE [UNAVAILABLE]"))
SERVED = (lambda a: a == "served",) * 3 + (lambda a: a.startswith(b"* OK"),)
odd = [p for _, p in probes
       if not all(REFUSED[i](a) or SERVED[i](a) for i, a in enumerate(p))]
t.is_(odd, [], "every client connecting meanwhile got an answer (%d rounds)"
      % len(probes))
down = [p for st, p in probes if st == "failed"]
for i, what in enumerate(("imaplib: * BYE [UNAVAILABLE]",
                          "poplib: -ERR [SYS/TEMP]",
                          "smtplib.LMTP: 421 4.3.0",
                          "a raw IMAP client: * BYE [UNAVAILABLE]")):
    t.ok(any(REFUSED[i](p[i]) for p in down), "%s from the guardian while "
         "iolistener is FAILED (%r)" % (what, [p[i] for p in down[:1]]))
t.like(glog(), "event=standin_refused", "the guardian logged its answers")
t.ok(emstest.wait_for(imap_serves, timeout=BOUND), "iolistener comes back by "
     "itself and IMAP is served")
t.ok(emstest.wait_for(lambda: lmtp_answer() == "served", timeout=BOUND),
     "and LMTP")
t.ok("event=standin_stop" in glog(), "the guardian left the ports to it")

g.send_signal(signal.SIGTERM)
try:
    g.wait(BOUND)
except Exception:  # noqa: BLE001
    pass
t.is_(g.poll(), 0, "guardian -F stops cleanly")
if t.failed:
    t.diag(glog()[-5000:])
s.stop()
t.done()
