#!/usr/bin/env python3
"""lmtp_starttls.t - what smtpgw's LHLO offers and LMTP STARTTLS (RFC
3207): on the TCP port with a certificate, STARTTLS is offered, smtplib's
starttls() and `openssl s_client -starttls lmtp` get TLS, LHLO must be
said again, mail sent inside TLS arrives byte for byte with "with LMTPS"
in its Received field (RFC 3848), and STARTTLS is not offered twice.  On
the unix socket it is neither offered nor taken.  Commands pipelined
behind STARTTLS are refused.  8BITMIME is offered (8-bit text is stored
as it came); SMTPUTF8 is not (addresses are ASCII), and MAIL's SMTPUTF8
parameter is refused."""
import os
import smtplib
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import crlf, make_message, strip_trace  # noqa: E402
from emsproto import USER, ProtoSuite, tls_context  # noqa: E402

t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = ProtoSuite({"log": {"level": "info"}}, name="lmtptls")
s.start_daemons()

# --- TCP: what LHLO offers, then STARTTLS with smtplib
lm = smtplib.LMTP("127.0.0.1", s.lmtp_port, timeout=emstest.DEFAULT_TIMEOUT)
code, text = lm.ehlo("client.test")
t.is_(code, 250, "LHLO on TCP")
t.ok(lm.has_extn("starttls"), "TCP with a certificate: STARTTLS offered")
t.ok(lm.has_extn("8bitmime"), "8BITMIME offered")
t.ok(not lm.has_extn("smtputf8"), "SMTPUTF8 not offered")
code, text = lm.docmd("MAIL FROM:<sender@outside.example> SMTPUTF8")
t.is_(code, 555, "MAIL with SMTPUTF8: 555 (not offered)")
lm.rset()
code, text = lm.starttls(context=tls_context())
t.is_(code, 220, "STARTTLS: 220, TLS follows")
t.ok(lm.sock.version() in ("TLSv1.2", "TLSv1.3"), "TLS is on (%s)" % lm.sock.version())
code, text = lm.mail("sender@outside.example")
t.is_(code, 503, "after STARTTLS the client must say LHLO again")
code, text = lm.ehlo("client.test")
t.is_(code, 250, "LHLO inside TLS")
t.ok(not lm.has_extn("starttls"), "STARTTLS is not offered again")
t.is_(lm.docmd("STARTTLS")[0], 503, "a second STARTTLS: 503")
msg = make_message("inside tls").replace(b"hello\n", "\u00e9t\u00e9\n".encode())
t.is_(lm.sendmail("sender@outside.example", [USER], msg), {}, "a message inside TLS: 250")
lm.quit()
got = s.wait_messages(USER, 1)
t.is_(len(got), 1, "it arrived")
stored = s.message(USER, got[0].uid) if got else b""
t.is_(strip_trace(stored), crlf(msg), "byte for byte")
t.like(stored.split(b"\r\n\r\n", 1)[0], b"with LMTPS", "Received says LMTPS")

# --- openssl s_client -starttls lmtp
r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % s.lmtp_port,
                    "-starttls", "lmtp", "-crlf", "-quiet", "-verify_quiet"],
                   input=b"NOOP\nQUIT\n", capture_output=True,
                   timeout=emstest.DEFAULT_TIMEOUT)
t.like(r.stdout, b"221 2.0.0", "openssl s_client -starttls lmtp: commands answered inside TLS")


# --- raw: pipelining behind STARTTLS is refused
def raw_tcp():
    c = socket.create_connection(("127.0.0.1", s.lmtp_port), timeout=emstest.DEFAULT_TIMEOUT)
    f = c.makefile("rb")
    f.readline()
    return c, f


c, f = raw_tcp()
c.sendall(b"LHLO client.test\r\n")
while f.readline()[3:4] == b"-":
    pass
c.sendall(b"STARTTLS\r\nNOOP\r\n")
t.like(f.readline(), b"503", "STARTTLS with a command pipelined behind it: 503")
t.like(f.readline(), b"250", "and the command runs in the clear")
c.close()

# --- the unix socket: local, no STARTTLS
lm = smtplib.LMTP(s.lmtp_socket, timeout=emstest.DEFAULT_TIMEOUT)
lm.ehlo("client.test")
t.ok(not lm.has_extn("starttls"), "unix socket: STARTTLS not offered")
t.ok(lm.has_extn("8bitmime") and not lm.has_extn("smtputf8"),
     "unix socket: 8BITMIME, no SMTPUTF8")
t.is_(lm.docmd("STARTTLS")[0], 502, "unix socket: STARTTLS refused with 502")
lm.quit()

t.done()
