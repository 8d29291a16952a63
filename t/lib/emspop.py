"""emspop - what the POP3 tests (t/pop3_*.t) share on top of emsmail: a
suite with pop3srv listening on its own loopback ports (plain and
implicit TLS, through its --listen options), a self-signed certificate,
the demo person, poplib connections, and a raw line client for exact
protocol checks.

Mail arrives through the real delivery path: smtpgw's mailer mode and
postman.
"""

import os
import poplib
import socket
import ssl
import subprocess
import time

import emsmail
import emstest

USER = "demo@example.test"
PASSWORD = "demo"


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class PopSuite(emsmail.MailSuite):
    """A suite with pop3srv.  conf: merged over the defaults, as in
    emsmail.MailSuite (a "pop3" or "auth" dict joins its group)."""

    def __init__(self, conf=None, name="pop3"):
        super().__init__(conf, name=name)
        self.pop_port = emstest.free_port()
        self.pops_port = emstest.free_port()
        self.make_certificate()
        self.admin("insert domain qualifiedname=example.test",
                   "insert person username=%s password=%s" % (USER, PASSWORD))
        self.pop = None

    def make_certificate(self):
        tls = os.path.join(self.state, "tls")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-days", "2", "-subj", "/CN=localhost",
                        "-keyout", os.path.join(tls, "key.pem"),
                        "-out", os.path.join(tls, "cert.pem")],
                       check=True, capture_output=True)

    def start_pop(self, *extra, port=None, pops_port=None):
        """Starts a pop3srv on the suite's ports (or PORT/POPS_PORT);
        returns the Popen."""
        port = port or self.pop_port
        pops_port = pops_port or self.pops_port
        p = self.start("pop3srv", "-c", self.conf_path, *extra,
                       "--listen", "127.0.0.1:%d" % port,
                       "--listen-tls", "127.0.0.1:%d" % pops_port)
        if not emstest.wait_for(lambda: emstest.port_open(port)):
            raise RuntimeError("pop3srv did not listen:\n" + self.logs())
        self.pop = p
        return p

    def connect(self, login=True, user=USER, password=PASSWORD):
        """A poplib connection on the plain port, logged in with
        USER/PASS unless not LOGIN."""
        m = poplib.POP3("127.0.0.1", self.pop_port, timeout=emstest.DEFAULT_TIMEOUT)
        if login:
            m.user(user)
            m.pass_(password)
        return m

    def connect_tls(self, login=True):
        m = poplib.POP3_SSL("127.0.0.1", self.pops_port, context=tls_context(),
                            timeout=emstest.DEFAULT_TIMEOUT)
        if login:
            m.user(USER)
            m.pass_(PASSWORD)
        return m

    def deliver(self, data, rcpt=USER):
        """Delivers DATA to RCPT through smtpgw's mailer mode (postman
        must run); raises when smtpgw refuses it."""
        r = self.mailer("sender@outside.example", rcpt, data)
        if r.returncode != 0:
            raise RuntimeError("smtpgw failed (%d): %r" % (r.returncode, r.stderr))


class Raw:
    """A raw POP3 connection: send lines, read lines as bytes."""

    def __init__(self, port, host="127.0.0.1", tls=False, source=None):
        s = socket.create_connection((host, port), timeout=emstest.DEFAULT_TIMEOUT,
                                     source_address=(source, 0) if source else None)
        if tls:
            s = tls_context().wrap_socket(s)
        self.sock = s
        self.buf = b""
        self.greeting = self.line()

    def starttls(self):
        self.sock = tls_context().wrap_socket(self.sock)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self, timeout=emstest.DEFAULT_TIMEOUT):
        """The next line without CRLF; b"" when the server closed."""
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                chunk = b""
            if not chunk:
                out, self.buf = self.buf, b""
                return out
            self.buf += chunk
        out, self.buf = self.buf.split(b"\r\n", 1)
        return out

    def command(self, text):
        """Sends TEXT and returns the first reply line."""
        self.send(text + "\r\n")
        return self.line()

    def multi(self, text):
        """Sends TEXT; returns (first line, [lines of the multi-line
        answer, un-stuffed]) -- the list is empty after -ERR."""
        first = self.command(text)
        lines = []
        if first.startswith(b"+OK"):
            while True:
                ln = self.line()
                if ln == b".":
                    break
                lines.append(ln[1:] if ln.startswith(b"..") else ln)
        return first, lines

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
