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
from emsproto import ProtoSuite, RawLines  # noqa: E402

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


def start(proto):
    """Starts the worker of PROTO with maxclt 1; returns (Popen, port)."""
    port = emstest.free_port()
    if proto == "lmtp":
        s.conf["lmtp"]["port"] = port
        s.write_conf()
        p = s.start("smtpgw", "-c", s.conf_path, "--maxclt", "1")
        if not emstest.wait_for(lambda: emstest.port_open(port)):
            raise RuntimeError("smtpgw did not listen:\n" + s.logs())
        return p, port
    prog = {"imap": "imap4srv", "pop3": "pop3srv"}[proto]
    return s.start_listening(prog, port, emstest.free_port(), ["--maxclt", "1"]), port


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
