#!/usr/bin/env python3
"""worker_skeleton.t - what libcommon's worker skeleton gives IMAP, POP3
and LMTP alike, seen by a client of each: past maxclt a worker answers
with iolistener's own busy line for the protocol (refusal.c), not a
line of its own; SIGTERM sends each connected client its protocol's
goodbye (IMAP "* BYE", POP3 "-ERR", LMTP "421 4.3.2") before the
connection closes and the worker exits 0; and SIGHUP (oomgr refresh)
takes the log level ems.conf now names."""
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsproto import PASSWORD, USER, ProtoSuite, RawLines  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "pop3srv", "smtpgw", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

# The lines iolistener writes (libcommon/refusal.c): a worker says the same.
BUSY = {
    "imap": b"* BYE [UNAVAILABLE] Server busy, try again later",
    "pop3": b"-ERR [SYS/TEMP] Server busy, try again later",
    "lmtp": b"421 4.3.2 Server busy, try again later",
}
GOODBYE = {"imap": b"* BYE [UNAVAILABLE]", "pop3": b"-ERR [SYS/TEMP]", "lmtp": b"421 4.3.2"}
GREETING = {"imap": b"* OK", "pop3": b"+OK", "lmtp": b"220 "}

s = ProtoSuite({"lmtp": {"port": 0}}, name="skeleton")


def start(proto, maxclt=1):
    """Starts the worker of PROTO with MAXCLT; returns (Popen, port)."""
    port = emstest.free_port()
    if proto == "lmtp":
        s.conf["lmtp"]["port"] = port
        s.write_conf()
        p = s.start("smtpgw", "-c", s.conf_path, "--maxclt", str(maxclt))
        if not emstest.wait_for(lambda: emstest.port_open(port)):
            raise RuntimeError("smtpgw did not listen:\n" + s.logs())
        return p, port
    prog = {"imap": "imap4srv", "pop3": "pop3srv"}[proto]
    return s.start_listening(prog, port, emstest.free_port(),
                             ["--maxclt", str(maxclt)]), port


def served(port, proto):
    """A client the worker greeted; the readiness probe of start() may
    hold the one place for a moment, so a busy answer is retried."""
    def attempt():
        c = RawLines(port)
        if c.greeting.startswith(GREETING[proto]):
            return c
        c.close()
        return None
    return emstest.wait_for(attempt)


def exited(p):
    """The exit code of P once it ended on its own; None when it did not."""
    try:
        return p.wait(emstest.DEFAULT_TIMEOUT)
    except Exception:
        return None


for proto in ("imap", "pop3", "lmtp"):
    p, port = start(proto)
    held = served(port, proto)
    t.ok(held is not None, "%s: a client is served" % proto)
    # its place is taken once the greeting is out: the next one is refused
    busy = RawLines(port)
    t.is_(busy.greeting, BUSY[proto], "%s: past maxclt 1, iolistener's busy line" % proto)
    t.is_(busy.line(), b"", "%s:   and the connection closes" % proto)
    busy.close()

    p.send_signal(signal.SIGTERM)
    bye = held.line()
    t.ok(bye.startswith(GOODBYE[proto]),
         "%s: SIGTERM says goodbye to a connected client (%r)" % (proto, bye))
    t.is_(held.line(), b"", "%s:   then closes it" % proto)
    held.close()
    t.is_(exited(p), 0, "%s: the worker exits 0 once its clients are gone" % proto)

# --- the goodbye reaches a client in the middle of something -------------
# IMAP inside IDLE, POP3 logged in (no UPDATE: nothing is deleted), LMTP
# inside DATA (the message is not acknowledged, so the MTA sends it again).
MIDDLE = {
    "imap": [("a LOGIN %s %s" % (USER, PASSWORD), b"a OK"), ("b IDLE", b"+ ")],
    "pop3": [("USER %s" % USER, b"+OK"), ("PASS %s" % PASSWORD, b"+OK")],
    "lmtp": [("LHLO mta.example", b"250 "), ("MAIL FROM:<a@outside.example>", b"250 "),
             ("RCPT TO:<%s>" % USER, b"250 "), ("DATA", b"354 ")],
}


def until(c, prefix):
    """Reads lines of C until one starts with PREFIX; that line."""
    while True:
        line = c.line()
        if line.startswith(prefix) or line == b"":
            return line


for proto in ("imap", "pop3", "lmtp"):
    p, port = start(proto, maxclt=4)
    c = served(port, proto)
    ready = c is not None
    for line, want in MIDDLE[proto]:
        c.send(line + "\r\n")
        ready = ready and until(c, want).startswith(want)
    t.ok(ready, "%s: a client in the middle of a session" % proto)
    if proto == "lmtp":
        c.send("Subject: half\r\n\r\nnot finished\r\n")
    p.send_signal(signal.SIGTERM)
    bye = c.line()
    t.ok(bye.startswith(GOODBYE[proto]), "%s:   gets the goodbye too (%r)" % (proto, bye))
    t.is_(c.line(), b"", "%s:   and is closed" % proto)
    c.close()
    t.is_(exited(p), 0, "%s:   the worker exits 0" % proto)

# --- refresh: SIGHUP applies ems.conf's log level -------------------------
s.conf["log"]["level"] = "warn"
s.write_conf()
p, port = start("pop3")
c = RawLines(port)
c.close()
s.conf["log"]["level"] = "info"
s.write_conf()
p.send_signal(signal.SIGHUP)
t.ok(emstest.wait_for(lambda: "event=worker_refresh level=info" in s.log_text("pop3srv")),
     "SIGHUP re-reads ems.conf: the level is info now")
before = s.log_text("pop3srv").count("event=pop3_connect")
c = RawLines(port)
c.close()
t.ok(emstest.wait_for(lambda: s.log_text("pop3srv").count("event=pop3_connect") > before),
     "  an info line is logged after the refresh")
p.send_signal(signal.SIGTERM)
t.is_(exited(p), 0, "  the worker still stops cleanly")
s.stop()
t.done()
