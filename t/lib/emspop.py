"""emspop - what the POP3 tests (t/pop3_*.t) share on top of emsproto: a
suite with pop3srv listening on its own loopback ports (plain and
implicit TLS, through its --listen options), a self-signed certificate,
the demo person, poplib connections, and a raw line client for exact
protocol checks.

Mail arrives through the real delivery path: smtpgw's mailer mode and
postman.
"""

import poplib
import ssl

import emsproto
import emstest
from emsproto import PASSWORD, USER, tls_context  # noqa: F401 (for the tests)


class PopSuite(emsproto.ProtoSuite):
    """A suite with pop3srv.  conf: merged over the defaults, as in
    emsmail.MailSuite (a "pop3" or "auth" dict joins its group)."""

    def __init__(self, conf=None, name="pop3"):
        super().__init__(conf, name=name)
        self.pop_port = emstest.free_port()
        self.pops_port = emstest.free_port()
        self.pop = None

    def start_pop(self, *extra, port=None, pops_port=None):
        """Starts a pop3srv on the suite's ports (or PORT/POPS_PORT);
        returns the Popen."""
        self.pop = self.start_listening("pop3srv", port or self.pop_port,
                                        pops_port or self.pops_port, extra)
        return self.pop

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


class Raw(emsproto.RawLines):
    """A raw POP3 connection: send lines, read lines as bytes."""

    RESET_ERRORS = (ConnectionResetError, ssl.SSLError)

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
