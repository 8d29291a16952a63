"""emsimap - what the IMAP tests (t/imap_*.t) share on top of emsproto:
a suite with imap4srv listening on its own loopback ports (plain and
implicit TLS, through its --listen options), a self-signed certificate,
the demo person, and imaplib connections that log in.

Mail arrives through the real delivery path (smtpgw's LMTP and
postman) when a test starts them, or through IMAP APPEND.
"""

import imaplib

import emsproto
import emstest
from emsproto import PASSWORD, USER, tls_context  # noqa: F401 (for the tests)


class ImapSuite(emsproto.ProtoSuite):
    """A suite with imap4srv.  conf: merged over the defaults, as in
    emsmail.MailSuite (an "imap" dict joins the imap group)."""

    def __init__(self, conf=None, name="imap"):
        super().__init__(conf, name=name)
        self.imap_port = emstest.free_port()
        self.imaps_port = emstest.free_port()
        self.imap = None

    def start_imap(self, *extra):
        """Starts imap4srv on the suite's ports; returns the Popen."""
        self.imap = self.start_listening("imap4srv", self.imap_port, self.imaps_port, extra)
        return self.imap

    def connect(self, login=True, user=USER, password=PASSWORD):
        """An imaplib connection on the plain port, logged in unless not
        LOGIN."""
        m = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=emstest.DEFAULT_TIMEOUT)
        if login:
            m.login(user, password)
        return m

    def raw(self, login=True):
        """A Raw connection on the plain port, logged in as the demo
        person unless not LOGIN."""
        r = Raw(self.imap_port)
        if login:
            r.command("l", "LOGIN %s %s" % (USER, PASSWORD))
        return r

    def connect_tls(self, login=True):
        """The same over implicit TLS (the certificate is not verified:
        it is the suite's own)."""
        m = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=tls_context(),
                              timeout=emstest.DEFAULT_TIMEOUT)
        if login:
            m.login(USER, PASSWORD)
        return m


class Raw(emsproto.RawLines):
    """A raw IMAP connection for exact protocol checks: send lines, read
    lines and literals as bytes."""

    def command(self, tag, text):
        """Sends TAG TEXT; returns (untagged lines, tagged line)."""
        self.send("%s %s\r\n" % (tag, text))
        return self.until(tag)

    def append(self, tag, message, mailbox="INBOX", flags=""):
        """APPENDs MESSAGE (text) with FLAGS ("($Kw) " or ""), as a
        non-synchronizing literal; returns like command()."""
        self.send("%s APPEND %s %s{%d+}\r\n%s\r\n" % (tag, mailbox, flags, len(message), message))
        return self.until(tag)

    def until(self, tag):
        lines = []
        while True:
            ln = self.line()
            if ln.startswith(tag.encode() + b" ") or not ln:
                return lines, ln
            lines.append(ln)
