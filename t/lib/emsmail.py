"""emsmail - what the mail tests (t/smtpgw_*.t, t/lmtp_*.t, t/postman_*.t,
t/sendmail.t, t/import.t) share on top of emstest: a suite with smtpgw
(LMTP on a unix socket and a loopback port, outbound into a capture
directory through t/lib/fake_sendmail.py) and postman, a directory made
with oomgr, and ways to look into mailboxes through oomgr (`list
message`, `show message`) the way an administrator would.
"""

import collections
import os
import pty
import re
import subprocess

import emstest

FAKE_SENDMAIL = os.path.join(emstest.SRC, "t", "lib", "fake_sendmail.py")
Entry = collections.namedtuple("Entry", "uid size message flags subject")
# Trace fields ems puts on top of a delivered message.
TRACE_FIELDS = ("return-path:", "delivered-to:", "received:")


class MailSuite(emstest.Suite):
    """A suite for mail flow.  conf: merged over the mail defaults."""

    def __init__(self, conf=None, name="mail"):
        self.lmtp_port = emstest.free_port()
        base = {
            "lmtp": {"port": self.lmtp_port, "socket": "lmtp.sock"},
            "postman": {"interval_s": 1, "retry_s": 1},
            "outbound": {"retry_initial_s": 1, "retry_max_s": 2},
        }
        for key, value in (conf or {}).items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                base[key].update(value)
            else:
                base[key] = value
        super().__init__(base, name=name)
        self.capture = os.path.join(self.dir, "outbound")
        os.makedirs(self.capture)
        self.conf.setdefault("outbound", {})["command"] = [FAKE_SENDMAIL,
                                                          self.capture]
        self.write_conf()
        self.lmtp_socket = os.path.join(self.state, "run", "lmtp.sock")

    def oomgr(self, *statements):
        """Runs oomgr with STATEMENTS; returns the CompletedProcess."""
        # Each person costs a password hash (tens of ms, more on a busy
        # machine): the bound only catches a hang.
        return self.run("oomgr", "-c", self.conf_path,
                        *[s if s.rstrip().endswith(";") else s + ";"
                          for s in statements], timeout=180)

    def oomgr_on_terminal(self, statement):
        """Runs oomgr with STATEMENT on a pseudo-terminal (where progress
        bars are drawn); returns all it wrote there, as bytes."""
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(self.bin("oomgr"), ["oomgr", "-c", self.conf_path, statement],
                      self.env)
        out = b""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:   # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        os.waitpid(pid, 0)
        os.close(fd)
        return out

    def admin(self, *statements):
        """Like oomgr(), but raises when a statement fails."""
        r = self.oomgr(*statements)
        if r.returncode != 0:
            raise RuntimeError("oomgr %r failed: %s%s" % (statements, r.stdout,
                                                          r.stderr))
        return r

    def start_daemons(self, smtpgw=True, postman=True):
        if smtpgw:
            self.smtpgw = self.start("smtpgw", "-c", self.conf_path)
            if not emstest.wait_for(lambda: emstest.port_open(self.lmtp_port)):
                raise RuntimeError("smtpgw did not listen:\n" + self.logs())
        if postman:
            self.postman = self.start("postman", "-c", self.conf_path)

    def mailer(self, sender, rcpts, data, timeout=emstest.DEFAULT_TIMEOUT):
        """Runs smtpgw in mailer mode; returns the CompletedProcess (bytes)."""
        if isinstance(rcpts, str):
            rcpts = [rcpts]
        return self.run("smtpgw", "-c", self.conf_path, "-f", sender, "--",
                        *rcpts, input=data, timeout=timeout)

    def popen_mailer(self, sender, rcpt):
        """Starts smtpgw in mailer mode; the caller writes the message
        with communicate() and reads returncode."""
        return subprocess.Popen([self.bin("smtpgw"), "-c", self.conf_path, "-f",
                                 sender, "--", rcpt], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=self.env)

    def messages(self, user, folder="INBOX"):
        """[Entry(uid, size, message, flags, subject)] of USER's FOLDER
        (message: the store's id of the single-instance message)."""
        r = self.oomgr("list message username=%s folder=%s" % (user, folder))
        out = []
        for line in r.stdout.splitlines()[1:]:
            m = re.match(r"\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+\S+ \S+\s?(.*)$",
                         line)
            if m:
                out.append(Entry(int(m.group(1)), int(m.group(2)),
                                 int(m.group(3)), m.group(4), m.group(5)))
        return out

    def wait_messages(self, user, count, folder="INBOX",
                      timeout=emstest.DEFAULT_TIMEOUT):
        """USER's FOLDER once it holds at least COUNT messages, or what it
        holds after TIMEOUT."""
        got = emstest.wait_for(
            lambda: (lambda m: m if len(m) >= count else None)(
                self.messages(user, folder)), timeout=timeout)
        return got or self.messages(user, folder)

    def message(self, user, uid, folder="INBOX"):
        """The stored bytes of message UID."""
        r = subprocess.run([self.bin("oomgr"), "-c", self.conf_path,
                            "show message username=%s folder=%s uid=%d;"
                            % (user, folder, uid)],
                           capture_output=True, env=self.env,
                           timeout=emstest.DEFAULT_TIMEOUT)
        return r.stdout

    def outbound(self):
        """[(args, data)] the outbound command received, in order."""
        out = []
        for name in sorted(os.listdir(self.capture)):
            if not name.endswith(".eml"):
                continue
            base = os.path.join(self.capture, name[:-4])
            with open(base + ".args") as f:
                args = f.read().splitlines()
            with open(base + ".eml", "rb") as f:
                out.append((args, f.read()))
        return out

    def wait_outbound(self, count, timeout=emstest.DEFAULT_TIMEOUT):
        got = emstest.wait_for(lambda: (lambda o: o if len(o) >= count else None)(
            self.outbound()), timeout=timeout)
        return got or self.outbound()


DURABLE_USERS = ("ann@example.test", "bob@example.test")


def durable_suite(name):
    """A suite for a durability storm: ann, bob and the list "both" of
    them; postman retries and looks every second."""
    s = MailSuite({"postman": {"lease_s": 10, "retry_s": 1, "interval_s": 1}}, name=name)
    s.admin("insert domain qualifiedname=example.test",
            "insert person username=ann@example.test password=x",
            "insert person username=bob@example.test password=x",
            "insert dlist name=both@example.test "
            "members=\"ann@example.test,bob@example.test\"")
    return s


def durable_rcpt(i):
    """The recipient of message I of a durability storm: ann, bob, or
    the list "both" of the two, in turn."""
    return ("ann@example.test", "bob@example.test", "both@example.test")[i % 3]


def durable_keys(i):
    """[(user, subject)] message I of a durability storm must reach."""
    r = durable_rcpt(i)
    users = DURABLE_USERS if r.startswith("both") else [r]
    return [(u, "durable %03d" % i) for u in users]


def check_durable(t, suite, acked, sent):
    """The checks of a durability storm (t/smtpgw_durability.t,
    t/lmtp_durability.t) on SUITE's mailboxes: every message of ACKED
    is in its mailboxes (waited for), none is there twice, and nothing
    but messages of SENT is there."""
    def delivered():
        seen = {}
        for user in DURABLE_USERS:
            for m in suite.messages(user):
                seen[(user, m.subject)] = seen.get((user, m.subject), 0) + 1
        return seen
    want = [key for i in acked for key in durable_keys(i)]
    seen = emstest.wait_for(lambda: (lambda d: d if all(key in d for key in want)
                                     else None)(delivered()), timeout=60) or delivered()
    t.is_([key for key in want if key not in seen], [],
          "every acknowledged message is in its mailboxes")
    t.is_({key: n for key, n in seen.items() if n > 1}, {},
          "no message is in a mailbox twice")
    allowed = {key for i in sent for key in durable_keys(i)}
    t.is_([key for key in seen if key not in allowed], [], "and nothing else is there")


def strip_trace(data):
    """DATA without the trace fields ems put on top (Return-Path,
    Delivered-To, Received with its continuation lines)."""
    lines = data.split(b"\r\n")
    i = 0
    while i < len(lines) and lines[i].lower().startswith(
            tuple(f.encode() for f in TRACE_FIELDS)):
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
    return b"\r\n".join(lines[i:])


def crlf(data):
    """DATA with every line ending in CRLF, as the store keeps it."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def make_message(subject, body="hello\n", sender="sender@outside.example",
                 to="demo@example.test", extra=""):
    return ("From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s@outside.example>\n"
            "%s\n%s" % (sender, to, subject, re.sub(r"\W", ".", subject),
                        extra, body)).encode()
