#!/usr/bin/env python3
"""lmtp_listener.t - LMTP on a port iolistener accepts: with an "lmtp"
entry in listeners, the guardian binds the port, iolistener takes the
clients and hands them to smtpgw, which registers as the lmtp worker.
An MTA speaking LMTP to that port gets its message into the mailbox;
with smtpgw stopped it gets a 421 busy line instead of a hang."""
import os
import smtplib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import MailSuite, make_message  # noqa: E402

t = emstest.Tap()
for prog in ("guardian", "oomgr", "iolistener", "smtpgw", "postman"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

PORT = emstest.free_port()
s = MailSuite({"lmtp": {"port": 0}}, name="lmtplsnr")
s.conf["user"] = ""
s.conf["group"] = ""
s.conf["processes"] = [
    {"name": "IOLISTENER", "program": "iolistener",
     "instances": [{"autostart": True}]},
    {"name": "SMTPGW", "program": "smtpgw", "instances": [{"autostart": True}]},
    {"name": "Postman", "program": "postman", "instances": [{"autostart": True}]},
]
s.conf["listeners"] = [{"service": "lmtp", "address": "127.0.0.1", "port": PORT}]
s.write_conf()
s.admin("insert domain qualifiedname=example.test",
        "insert person username=ann@example.test password=x")

g = s.start("guardian", "-F", "-c", s.conf_path)
t.ok(emstest.wait_for(lambda: emstest.port_open(PORT)), "the guardian binds the LMTP port")


def registered():
    return "worker_register" in s.log_text("iolistener") or \
        "lmtp#1" in s.log_text("iolistener")


emstest.wait_for(lambda: "lmtp" in s.log_text("iolistener") and registered())


def deliver():
    with smtplib.LMTP("127.0.0.1", PORT, timeout=emstest.DEFAULT_TIMEOUT) as c:
        c.ehlo("mta.example")
        return c.sendmail("sender@outside.example", ["ann@example.test"],
                          make_message("through the listener"))


refused = None
for attempt in range(20):
    try:
        refused = deliver()
        break
    except smtplib.SMTPServerDisconnected:
        emstest.wait_for(lambda: False, timeout=0.5)   # not registered yet
    except smtplib.SMTPConnectError as e:
        refused = e
        emstest.wait_for(lambda: False, timeout=0.5)
t.is_(refused, {}, "an LMTP client on the listener's port delivers to ann")
msgs = s.wait_messages("ann@example.test", 1)
t.is_([m.subject for m in msgs], ["through the listener"], "the message is in ann's INBOX")

r = s.run("oomgr", "-c", s.conf_path, "shutdown SMTPGW;")
t.is_(r.returncode, 0, "oomgr shutdown SMTPGW")
code = None
for attempt in range(20):
    try:
        with smtplib.LMTP("127.0.0.1", PORT, timeout=emstest.DEFAULT_TIMEOUT) as c:
            pass
        emstest.wait_for(lambda: False, timeout=0.5)  # still registered
    except smtplib.SMTPConnectError as e:
        code = e.smtp_code
        break
    except (smtplib.SMTPServerDisconnected, OSError):
        emstest.wait_for(lambda: False, timeout=0.5)
t.is_(code, 421, "with smtpgw stopped the listener answers 421")
s.stop()
t.done()
