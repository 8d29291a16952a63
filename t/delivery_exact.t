#!/usr/bin/env python3
"""delivery_exact.t - a message is stored exactly as the MTA handed it
over.  One table of messages, each fed through smtpgw's mailer mode
(stdin) and through LMTP (Python's smtplib.LMTP), then read back with
imaplib (BODY.PEEK[]) and poplib (RETR) and compared byte for byte after
the trace fields ems puts on top.  The only change allowed is bare LF to
CRLF; besides that:

- LMTP cannot carry a message without a final line end (RFC 5321: the
  CRLF before the final dot ends the last line), and POP3 RETR always
  ends with one, so those two show a final CRLF the mailer's copy lacks;
- IMAP4rev1 literals cannot hold NUL (RFC 3501 CHAR8), so IMAP serves
  NUL as 0x80, as Dovecot does; POP3 serves it as it is.

Then LMTP's end of data with a raw socket: the 2023 SMTP smuggling
sequences (LF . CRLF, LF . LF, CR . CR) are message text, never the end
of a message followed by a second transaction.
"""
import imaplib
import os
import poplib
import smtplib
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402
from emsmail import crlf, strip_trace  # noqa: E402
from emsproto import PASSWORD, USER  # noqa: E402

t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr", "imap4srv", "pop3srv"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

# poplib refuses lines over 2048 bytes; the table has one of 10,000.
poplib._MAXLINE = 1 << 20
BIG = 40 * 1024 * 1024
SLOW = 180      # bound for a step that moves the 40 MB message


def head(name, extra=b""):
    return (b"X-Case: %s\r\nFrom: sender@outside.example\r\nTo: %s\r\n"
            b"Subject: %s\r\n%s" % (name.encode(), USER.encode(), name.encode(), extra))


CASES = [
    ("final-newline", head("final-newline") + b"\r\nbody\r\n"),
    ("no-final-newline", head("no-final-newline") + b"\r\nthe last line has no end"),
    ("only-headers", head("only-headers")),
    ("dot-stuffed", head("dot-stuffed") + b"\r\n..\r\n.\r\n.x\r\n...\r\n. \r\nend\r\n"),
    ("crlf", head("crlf") + b"\r\nline one\r\n\r\nline three\r\n"),
    ("bare-lf", head("bare-lf").replace(b"\r\n", b"\n") + b"\nline one\n\nFrom the start\n"),
    ("bare-lf-dots", head("bare-lf-dots").replace(b"\r\n", b"\n")
     + b"\n.a\n..b\n.\nend\n"),
    ("bare-cr", head("bare-cr") + b"\r\na\rb\r\nc\r\r\n\r\r\nend\r\n"),
    ("nul", head("nul") + b"\r\nbefore\0after\r\n\0\r\n"),
    ("8bit", head("8bit", b"Content-Type: text/plain; charset=utf-8\r\n"
                  b"Content-Transfer-Encoding: 8bit\r\n")
     + "\r\nGr\u00fc\u00dfe, \u65e5\u672c\r\n".encode() + bytes(range(128, 256)) + b"\r\n"),
    ("long-line", head("long-line") + b"\r\n" + b"x" * 10000 + b"\r\nend\r\n"),
    ("40mb", head("40mb") + b"\r\n"
     + (b"0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 01234\r\n"
        * (BIG // 72))),
]


def expected(data, path, reader):
    """What READER ("imap"/"pop3") must show of DATA sent through PATH."""
    want = crlf(data)
    if (path == "lmtp" or reader == "pop3") and not want.endswith(b"\r\n"):
        want += b"\r\n"
    if reader == "imap":
        want = want.replace(b"\0", b"\x80")
    return want


s = ImapSuite({"log": {"level": "info"}}, name="exact")
s.start_daemons()
s.start_imap()
pop_port, pops_port = emstest.free_port(), emstest.free_port()
s.start_listening("pop3srv", pop_port, pops_port, ())

# --- deliver every case both ways
for name, data in CASES:
    tagged = data.replace(b"X-Case: " + name.encode(), b"X-Case: mailer-" + name.encode(), 1)
    r = s.mailer("sender@outside.example", USER, tagged, timeout=SLOW)
    t.is_(r.returncode, 0, "mailer takes %s" % name)
    tagged = data.replace(b"X-Case: " + name.encode(), b"X-Case: lmtp-" + name.encode(), 1)
    lm = smtplib.LMTP(s.lmtp_socket, timeout=SLOW)
    try:
        refused = lm.sendmail("sender@outside.example", [USER], tagged)
        t.is_(refused, {}, "LMTP takes %s" % name)
    except smtplib.SMTPException as e:
        t.ok(False, "LMTP takes %s: %r" % (name, e))
    lm.quit()
total = 2 * len(CASES)
got = s.wait_messages(USER, total, timeout=SLOW)
t.is_(len(got), total, "all %d copies delivered" % total)


def case_of(data):
    """(path, name) from the X-Case field of a served message."""
    for line in data.split(b"\r\n", 12):
        if line.startswith(b"X-Case: "):
            path, _, name = line[8:].decode().partition("-")
            return path, name
    return None, None


def check(reader, served):
    """Compares each served message with its case."""
    seen = set()
    for raw in served:
        path, name = case_of(raw)
        data = dict(CASES).get(name)
        if data is None:
            t.ok(False, "%s served a message of no case: %r" % (reader, raw[:200]))
            continue
        seen.add((path, name))
        tag = b"X-Case: %s-%s" % (path.encode(), name.encode())
        want = expected(data.replace(b"X-Case: " + name.encode(), tag, 1), path, reader)
        body = strip_trace(raw)
        if body == want:
            t.ok(True, "%s shows %s via %s byte for byte" % (reader, name, path))
        else:
            at = next((i for i, (a, b) in enumerate(zip(body, want)) if a != b),
                      min(len(body), len(want)))
            t.ok(False, "%s shows %s via %s byte for byte" % (reader, name, path))
            t.diag("lengths %d / %d, first difference at %d: got %r, want %r"
                   % (len(body), len(want), at, body[max(0, at - 20):at + 20],
                      want[max(0, at - 20):at + 20]))
    t.is_(len(seen), total, "%s served every copy" % reader)


# --- IMAP: BODY.PEEK[] of every message
m = imaplib.IMAP4("127.0.0.1", s.imap_port, timeout=SLOW)
m.login(USER, PASSWORD)
m.select("INBOX", readonly=True)
served = []
typ, data = m.fetch("1:*", "(BODY.PEEK[])")
for item in data:
    if isinstance(item, tuple):
        served.append(item[1])
m.logout()
check("imap", served)

# --- POP3: RETR of every message (poplib undoes the dot-stuffing)
p = poplib.POP3("127.0.0.1", pop_port, timeout=SLOW)
p.user(USER)
p.pass_(PASSWORD)
count = p.stat()[0]
served = []
for i in range(1, count + 1):
    resp, lines, octets = p.retr(i)
    served.append(b"\r\n".join(lines) + b"\r\n")
p.quit()
check("pop3", served)


# --- an mbox "From " line is the mailer's (sendmail's U flag); over LMTP
# it is not a header: refused, never stored with its first line cut off
lm = smtplib.LMTP(s.lmtp_socket, timeout=emstest.DEFAULT_TIMEOUT)
try:
    lm.sendmail("sender@outside.example", [USER],
                b"From sender Tue Dec  1 09:00:00 2026\r\nSubject: x\r\n\r\nhi\r\n")
    t.ok(False, "LMTP: a first line \"From \" refused, not cut off")
except smtplib.SMTPDataError as e:
    t.is_(e.smtp_code, 554, "LMTP: a first line \"From \" refused, not cut off")
lm.quit()

# --- LMTP end of data: the smuggling sequences are text
class Lmtp:
    """A raw LMTP connection on the unix socket."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(emstest.DEFAULT_TIMEOUT)
        self.sock.connect(s.lmtp_socket)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        out, self.buf = self.buf.split(b"\r\n", 1)
        return out

    def reply(self):
        """The lines of one reply."""
        lines = [self.line()]
        while lines[-1] is not None and lines[-1][3:4] == b"-":
            lines.append(self.line())
        return lines

    def rest(self):
        """Every reply line until the server closes."""
        out = []
        while True:
            line = self.line()
            if line is None:
                return out
            out.append(line)


SMUGGLED = (b"MAIL FROM:<forger@outside.example>\r\nRCPT TO:<%s>\r\nDATA\r\n"
            b"X-Case: forged\r\nSubject: forged\r\n\r\nforged\r\n.\r\n" % USER.encode())
for what, seq in (("LF . CRLF", b"\n.\r\n"), ("LF . LF", b"\n.\n"),
                  ("CR . CR", b"\r.\r")):
    before = len(s.messages(USER))
    c = Lmtp()
    c.reply()
    c.sock.sendall(b"LHLO client.test\r\n")
    c.reply()
    text = (b"X-Case: smuggle\r\nSubject: smuggle %s\r\n\r\nline" % what.encode()
            + seq + SMUGGLED)
    c.sock.sendall(b"MAIL FROM:<sender@outside.example>\r\nRCPT TO:<%s>\r\nDATA\r\n"
                   % USER.encode() + text + b"QUIT\r\n")
    replies = c.rest()
    codes = [r[:3] for r in replies]
    t.is_(codes, [b"250", b"250", b"354", b"250", b"221"],
          "%s inside DATA: one transaction, ended at the real <CRLF>.<CRLF>" % what)
    c.sock.close()
    got = s.wait_messages(USER, before + 1)
    t.is_(len(got), before + 1, "%s: one message stored, no forged second one" % what)
    stored = strip_trace(s.message(USER, max(e.uid for e in got)))
    want = crlf(text[:-len(b".\r\n")])
    t.is_(stored, want, "%s: the sequence and what follows are the message's text" % what)

t.done()
