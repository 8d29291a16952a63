#!/usr/bin/env python3
"""postfix.t - mail through a real Postfix into ems with the shipped
examples, etc/postfix-main.cf and etc/postfix-master.cf: Debian's
Postfix, fetched and unpacked (never installed, so the machine's MTA is
left alone), runs privately with those lines, SMTP on a loopback port and
the ems-lmtp transport to smtpgw's LMTP port (t/lib/emspostfix.py).

A message submitted over SMTP (smtplib) is in the IMAP INBOX (imaplib)
byte for byte below the trace fields; Postfix takes the shipped files
without a warning; an unknown recipient is refused at RCPT with ems's own
LMTP answer (address verification); a recipient whose mailbox is too full
for the message gets a temporary failure from ems and the message waits
in Postfix's queue (postqueue -p) until there is room; at the end no
process of that Postfix is left.
"""

import imaplib
import os
import smtplib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emspostfix  # noqa: E402
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402
from emsmail import crlf, strip_trace  # noqa: E402
from emsproto import PASSWORD, USER  # noqa: E402

FULL = "full@example.test"
QUOTA = 4096              # bytes: the big message does not fit
LONG = 120                # bound of a wait for Postfix's queue, seconds

t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr", "imap4srv"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)
why = emspostfix.reason()
if why is not None:
    t.skip_all(why)
root, why = emspostfix.fetch()
if root is None:
    t.skip_all(why)

s = ImapSuite(name="postfix")
os.chmod(s.dir, 0o755)   # Postfix's daemons run as its mail owner
s.admin("insert person username=%s password=x quota=%d" % (FULL, QUOTA))
s.start_imap()
s.start_daemons()
pf = emspostfix.PrivatePostfix(root, os.path.join(s.dir, "postfix"),
                               emstest.free_port(), s.lmtp_port, ["example.test"])
pf.write()
why = pf.start()
t.ok(why is None, "a private Postfix runs with the shipped main.cf and master.cf lines")
if why is not None:
    t.diag(why)
    t.diag(pf.log())
    pf.stop()
    s.stop()
    t.done()
r = pf.command("postconf", "-n")
t.is_([ln for ln in r.stderr.splitlines() if "warning" in ln], [],
      "Postfix finds nothing to warn about in them")

# ---- a message over SMTP arrives byte for byte ----
DATA = crlf(b"From: Ann Sender <ann@outside.example>\n"
            b"To: demo@example.test\n"
            b"Subject: through Postfix\n"
            b"Date: Sat, 05 Dec 2026 10:00:00 +0000\n"
            b"Message-ID: <postfix-1@outside.example>\n"
            b"MIME-Version: 1.0\n"
            b"Content-Type: text/plain; charset=utf-8\n"
            b"Content-Transfer-Encoding: 8bit\n"
            b"\n"
            b"Gr\xc3\xbc\xc3\x9fe aus dem Postfix.\n"
            b".\n"
            b"..a line that starts with two dots\n"
            b"trailing blanks   \n"
            + b"x" * 990 + b"\n"
            b"\n"
            b"last line\n")
c = smtplib.SMTP("127.0.0.1", pf.smtp_port, timeout=LONG)
refused = c.sendmail("ann@outside.example", [USER], DATA)
t.is_(refused, {}, "Postfix accepts the message for %s" % USER)


def inbox_message(user, password, msgid):
    """The whole message with Message-ID MSGID in USER's INBOX, or None."""
    try:
        m = imaplib.IMAP4("127.0.0.1", s.imap_port, timeout=30)
        m.login(user, password)
        m.select("INBOX", readonly=True)
        _, ids = m.search(None, "HEADER", "Message-ID", msgid)
        nums = ids[0].split()
        data = m.fetch(nums[0], "(BODY.PEEK[])")[1] if nums else None
        m.logout()
    except (OSError, imaplib.IMAP4.error):
        return None
    return data[0][1] if data else None


got = emstest.wait_for(lambda: inbox_message(USER, PASSWORD, "<postfix-1@outside.example>"),
                       timeout=LONG)
t.ok(got is not None, "it reaches the IMAP INBOX through ems's LMTP")
t.is_(strip_trace(got or b""), DATA,
      "byte for byte below the trace fields (Postfix's and ems's)")
t.like((got or b"").decode(errors="replace"), "by %s (Postfix)" % emspostfix.HOSTNAME,
       "Postfix's Received field is among them")

# ---- an unknown recipient: refused at RCPT with ems's answer ----
c.mail("ann@outside.example")
code, text = c.rcpt("nobody@example.test")
t.is_(code, 550, "an unknown recipient is refused at RCPT time: 550")
t.like(text.decode(errors="replace"), "550 5.1.1 <nobody@example.test> No such user here",
       "with ems's LMTP answer in the text")
code, _ = c.rcpt(USER)
t.is_(code, 250, "a known recipient in the same transaction is accepted")
c.rset()

# ---- a recipient whose mailbox is full: Postfix keeps the message ----
BIG = crlf(b"From: ann@outside.example\nTo: %s\nSubject: too big\n"
           b"Date: Sat, 05 Dec 2026 10:05:00 +0000\n"
           b"Message-ID: <postfix-big@outside.example>\n\n" % FULL.encode()
           + (b"y" * 70 + b"\n") * 200)
refused = c.sendmail("ann@outside.example", [FULL], BIG)
c.quit()
t.is_(refused, {}, "Postfix accepts the message for %s (the probe fits)" % FULL)
listing = emstest.wait_for(
    lambda: (lambda q: q if "4.2.2" in q else None)(pf.queue_listing()),
    timeout=LONG, interval=0.5) or pf.queue_listing()
t.like(listing, FULL, "postqueue -p shows the message still queued for %s" % FULL)
t.like(listing, "452 4.2.2 <%s> Mailbox full" % FULL,
       "deferred with ems's temporary failure")
t.is_(s.messages(FULL), [], "nothing was stored for %s" % FULL)

s.admin("update person username=%s quota=0" % FULL)
pf.flush()
delivered = emstest.wait_for(lambda: emspostfix.queue_empty(pf) and s.messages(FULL),
                             timeout=LONG, interval=0.5)
t.ok(delivered, "once there is room, Postfix's retry delivers it and its queue is empty")

# ---- nothing of Postfix stays behind ----
master = pf.master_pid
pf.stop()
t.ok(master is not None and not emstest.pid_alive(master), "Postfix's master is gone")
t.is_(pf.processes(), [], "and so is every process of that Postfix")
if t.failed:
    t.diag(pf.log())
    t.diag(s.logs())
s.stop()
t.done()
