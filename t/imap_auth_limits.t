#!/usr/bin/env python3
"""imap_auth_limits.t - imap4srv on the shared authentication of
libcommon/auth.h and sasl.h: AUTHENTICATE CRAM-MD5 with a retrievable
secret (kept at a cleartext login), and the lock-out of an address
after repeated failures, which another address does not share and which
POP3 and IMAP count together (the counters are in the store)."""
import base64
import hashlib
import hmac
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import PASSWORD, USER, ImapSuite, Raw  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = ImapSuite({"auth": {"retrievable_secrets": True, "fail_delay_ms": 20,
                        "fail_delay_max_ms": 40, "addr_lock_failures": 4}},
              name="imapauth")
s.start_imap()


class From(Raw):
    """A raw IMAP connection from a chosen loopback source address."""

    def __init__(self, port, source):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=emstest.DEFAULT_TIMEOUT,
                                             source_address=(source, 0))
        self.buf = b""
        self.greeting = self.line()


def cram(r, tag, user, secret):
    r.send("%s AUTHENTICATE CRAM-MD5\r\n" % tag)
    ch = r.line()
    if not ch.startswith(b"+ "):
        return ch
    digest = hmac.new(secret.encode(), base64.b64decode(ch[2:]), hashlib.md5).hexdigest()
    r.send(base64.b64encode(("%s %s" % (user, digest)).encode()) + b"\r\n")
    return r.until(tag)[1]


r = Raw(s.imap_port)
lines, tagged = r.command("a1", 'LOGIN "%s" "%s"' % (USER, PASSWORD))
t.ok(tagged.startswith(b"a1 OK"), "a cleartext LOGIN keeps the secret")
r.close()
r = Raw(s.imap_port)
lines, tagged = r.command("c0", "CAPABILITY")
t.ok(b"AUTH=CRAM-MD5" in lines[0], "CRAM-MD5 is offered")
t.ok(cram(r, "c1", USER, PASSWORD).startswith(b"c1 OK"), "AUTHENTICATE CRAM-MD5 logs in")
r.close()
r = Raw(s.imap_port)
t.ok(cram(r, "c2", USER, "wrong").startswith(b"c2 NO [AUTHENTICATIONFAILED]"),
     "CRAM-MD5 with a wrong secret fails")
r.close()

for i in range(4):
    r = From(s.imap_port, "127.0.0.4")
    r.command("d%d" % i, 'LOGIN "%s" "guess%d"' % (USER, i))
    r.close()
r = From(s.imap_port, "127.0.0.4")
lines, tagged = r.command("e1", 'LOGIN "%s" "%s"' % (USER, PASSWORD))
t.ok(tagged.startswith(b"e1 NO [AUTHENTICATIONFAILED] too many failed logins"),
     "after four failures the address is locked, right password or not")
r.close()
r = From(s.imap_port, "127.0.0.5")
lines, tagged = r.command("e2", 'LOGIN "%s" "%s"' % (USER, PASSWORD))
t.ok(tagged.startswith(b"e2 OK"), "another address still logs in")
r.close()
log = s.log_text("imap4srv")
t.like(log, "event=auth_lockout service=imap peer=127.0.0.4", "the lock-out is logged")
t.ok("guess" not in log, "no password is logged")
s.stop()
t.done()
