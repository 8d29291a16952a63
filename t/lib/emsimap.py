"""emsimap - what the IMAP tests (t/imap_*.t) share on top of emsmail: a
suite with imap4srv listening on its own loopback ports (plain and
implicit TLS, through its --listen options), a self-signed certificate,
the demo person, and imaplib connections that log in.

Mail arrives through the real delivery path (smtpgw's LMTP and
postman) when a test starts them, or through IMAP APPEND.
"""

import imaplib
import os
import socket
import ssl
import subprocess
import time

import emsmail
import emstest

USER = "demo@example.test"
PASSWORD = "demo"


class ImapSuite(emsmail.MailSuite):
    """A suite with imap4srv.  conf: merged over the defaults, as in
    emsmail.MailSuite (an "imap" dict joins the imap group)."""

    def __init__(self, conf=None, name="imap"):
        super().__init__(conf, name=name)
        self.imap_port = emstest.free_port()
        self.imaps_port = emstest.free_port()
        self.make_certificate()
        self.admin("insert domain qualifiedname=example.test",
                   "insert person username=%s password=%s" % (USER, PASSWORD))
        self.imap = None

    def make_certificate(self):
        tls = os.path.join(self.state, "tls")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-days", "2", "-subj", "/CN=localhost",
                        "-keyout", os.path.join(tls, "key.pem"),
                        "-out", os.path.join(tls, "cert.pem")],
                       check=True, capture_output=True)

    def start_imap(self, *extra):
        """Starts imap4srv on the suite's ports; returns the Popen."""
        self.imap = self.start("imap4srv", "-c", self.conf_path, *extra,
                               "--listen", "127.0.0.1:%d" % self.imap_port,
                               "--listen-tls", "127.0.0.1:%d" % self.imaps_port)
        if not emstest.wait_for(lambda: emstest.port_open(self.imap_port)):
            raise RuntimeError("imap4srv did not listen:\n" + self.logs())
        return self.imap

    def connect(self, login=True, user=USER, password=PASSWORD):
        """An imaplib connection on the plain port, logged in unless not
        LOGIN."""
        m = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=emstest.DEFAULT_TIMEOUT)
        if login:
            m.login(user, password)
        return m

    def connect_tls(self, login=True):
        """The same over implicit TLS (the certificate is not verified:
        it is the suite's own)."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        m = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=ctx,
                              timeout=emstest.DEFAULT_TIMEOUT)
        if login:
            m.login(USER, PASSWORD)
        return m

    def deliver(self, data, rcpt=USER):
        """Delivers DATA to RCPT through smtpgw's mailer mode (postman
        must run); raises when smtpgw refuses it."""
        r = self.mailer("sender@outside.example", rcpt, data)
        if r.returncode != 0:
            raise RuntimeError("smtpgw failed (%d): %r" % (r.returncode, r.stderr))


class Raw:
    """A raw IMAP connection for exact protocol checks: send lines, read
    lines and literals as bytes."""

    def __init__(self, port, host="127.0.0.1", tls=False):
        s = socket.create_connection((host, port), timeout=emstest.DEFAULT_TIMEOUT)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s)
        self.sock = s
        self.buf = b""
        self.greeting = self.line()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self, timeout=emstest.DEFAULT_TIMEOUT):
        """The next line without CRLF; b"" when the server closed."""
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                out, self.buf = self.buf, b""
                return out
            self.buf += chunk
        out, self.buf = self.buf.split(b"\r\n", 1)
        return out

    def take(self, n):
        """Exactly N bytes (a literal's contents)."""
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def command(self, tag, text):
        """Sends TAG TEXT; returns (untagged lines, tagged line)."""
        self.send("%s %s\r\n" % (tag, text))
        return self.until(tag)

    def until(self, tag):
        lines = []
        while True:
            ln = self.line()
            if ln.startswith(tag.encode() + b" ") or not ln:
                return lines, ln
            lines.append(ln)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
