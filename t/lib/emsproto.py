"""emsproto - what the IMAP and POP3 test helpers (emsimap, emspop)
share on top of emsmail: a suite with a self-signed certificate and the
demo person whose server listens on its own loopback ports (plain and
implicit TLS), and a raw line client for exact protocol checks."""

import json
import os
import socket
import ssl
import subprocess
import time

import emsmail
import emstest

USER = "demo@example.test"
PASSWORD = "demo"


def tls_context():
    """A client context that takes the suite's own certificate unchecked."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class ProtoSuite(emsmail.MailSuite):
    """A suite with a certificate and the demo person.  conf: merged over
    the defaults, as in emsmail.MailSuite."""

    def __init__(self, conf=None, name="proto"):
        super().__init__(conf, name=name)
        self.make_certificate()
        self.admin("insert domain qualifiedname=example.test",
                   "insert person username=%s password=%s" % (USER, PASSWORD))

    def make_certificate(self):
        tls = os.path.join(self.state, "tls")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-days", "2", "-subj", "/CN=localhost",
                        "-keyout", os.path.join(tls, "key.pem"),
                        "-out", os.path.join(tls, "cert.pem")],
                       check=True, capture_output=True)

    def start_listening(self, program, port, tls_port, extra):
        """Starts PROGRAM with EXTRA and --listen PORT, --listen-tls
        TLS_PORT; returns the Popen once PORT accepts."""
        p = self.start(program, "-c", self.conf_path, *extra,
                       "--listen", "127.0.0.1:%d" % port,
                       "--listen-tls", "127.0.0.1:%d" % tls_port)
        if not emstest.wait_for(lambda: emstest.port_open(port)):
            raise RuntimeError("%s did not listen:\n%s" % (program, self.logs()))
        return p

    def counters(self, program):
        """The counters of PROGRAM's running instance, from `oomgr --json
        disp stats`; {} when there is none."""
        r = self.run("oomgr", "-c", self.conf_path, "--json", "disp", "stats", program)
        try:
            rows = json.loads(r.stdout)
            return rows[0]["counters"] if rows else {}
        except (ValueError, KeyError, IndexError):
            return {}

    def quiet_counters(self, program):
        """counters() once PROGRAM has no client connected (a readiness
        probe is a connection too); {} when that does not come."""
        return emstest.wait_for(lambda: (lambda c: c if c.get("conn_current") == 0
                                         else None)(self.counters(program))) or {}

    def deliver(self, data, rcpt=USER):
        """Delivers DATA to RCPT through smtpgw's mailer mode (postman
        must run); raises when smtpgw refuses it."""
        r = self.mailer("sender@outside.example", rcpt, data)
        if r.returncode != 0:
            raise RuntimeError("smtpgw failed (%d): %r" % (r.returncode, r.stderr))


def lock_store(suite):
    """Takes SUITE's store write lock as another process would (BEGIN
    IMMEDIATE: readers go on in WAL mode, writers wait) until the
    connection returned is .rollback()'ed."""
    import sqlite3
    con = sqlite3.connect(os.path.join(suite.state, "store.db"), timeout=60,
                          isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    return con


def _tcp_queues(port_a, port_b):
    """(send, receive) queue sizes of the IPv4 TCP socket from PORT_A to
    PORT_B, or None when there is none."""
    with open("/proc/net/tcp") as f:
        for ln in f.readlines()[1:]:
            x = ln.split()
            if (int(x[1].split(":")[1], 16), int(x[2].split(":")[1], 16)) == (port_a, port_b):
                tx, rx = x[4].split(":")
                return int(tx, 16), int(rx, 16)
    return None


class RawLines:
    """A raw connection: send lines, read lines as bytes.  RESET_ERRORS:
    the exceptions of a read that count as the server having closed."""

    RESET_ERRORS = ()

    def __init__(self, port, host="127.0.0.1", tls=False, source=None, context=None):
        """TLS: implicit TLS, with CONTEXT (default tls_context())."""
        s = socket.create_connection((host, port), timeout=emstest.DEFAULT_TIMEOUT,
                                     source_address=(source, 0) if source else None)
        if tls:
            s = (context or tls_context()).wrap_socket(s)
        self.sock = s
        self.buf = b""
        self.greeting = self.line()

    def starttls(self, context=None):
        self.sock = (context or tls_context()).wrap_socket(self.sock)

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
            except self.RESET_ERRORS:
                chunk = b""
            if not chunk:
                out, self.buf = self.buf, b""
                return out
            self.buf += chunk
        out, self.buf = self.buf.split(b"\r\n", 1)
        return out

    def take(self, n):
        """Exactly N bytes (a literal's contents); fewer when the server
        closed first."""
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def nothing_yet(self):
        """True when the server has sent nothing more yet (nothing read,
        nothing buffered): an answer that must come later has not."""
        if self.buf:
            return False
        self.sock.setblocking(False)
        try:
            self.sock.recv(1, socket.MSG_PEEK)
            return False
        except BlockingIOError:
            return True
        finally:
            self.sock.setblocking(True)

    def all_taken(self):
        """True when the server has read everything sent on this
        connection so far (loopback TCP only: both directions' queues in
        /proc/net/tcp are empty), so a command sent is being worked on."""
        mine = self.sock.getsockname()[1]
        theirs = self.sock.getpeername()[1]
        return (_tcp_queues(mine, theirs) == (0, 0) and
                _tcp_queues(theirs, mine) == (0, 0))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
