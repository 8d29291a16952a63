#!/usr/bin/env python3
"""sendmail.t - mail through the real sendmail (Debian's sendmail-bin,
the private copy make check unpacks into build-deps/sendmail/) into ems with the shipped mailer definition, etc/sendmail-ems.m4: a
private sendmail.cf built with m4, its own queue, no daemon, -odi.  A
message is then in the person's INBOX byte for byte apart from the trace
fields on top; two recipients in one run each get it; an unknown
recipient makes sendmail report EX_NOUSER (exit 67) and return a
delivery report to the sender, which lands in the sender's ems INBOX
with the null sender; a full mailbox (smtpgw's 75) leaves the message in
sendmail's queue until a queue run delivers it; and no sendmail process
is left behind."""
import email
import email.policy
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import MailSuite, crlf, strip_trace  # noqa: E402
from emssendmail import PRIVATE_SENDMAIL, PrivateSendmail  # noqa: E402

t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = MailSuite({"postman": {"interval_s": 600}}, name="sendmail")
sm = PrivateSendmail(os.path.join(s.dir, "sendmail"), s.conf_path,
                     ["example.test"], s.bin("smtpgw"))
os.makedirs(sm.dir)
why = sm.reason()
if why is not None:
    # mk/deps.sh fetches the private copy (and, as root on Debian,
    # installs its libraries) when the test is run without make check.
    subprocess.run(["sh", os.path.join(emstest.SRC, "mk", "deps.sh"), "check"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    sm = PrivateSendmail(sm.dir, s.conf_path, ["example.test"], s.bin("smtpgw"))
    why = sm.reason()
if why is not None:
    s.stop()
    t.skip_all(why)

err = sm.build()
version = sm.version() if err is None else None
if err is None and version is None and sm.binary != PRIVATE_SENDMAIL:
    # Postfix's or exim's sendmail command, not the one this test is about.
    s.stop()
    t.skip_all("%s is not sendmail 8 (Debian: sendmail-bin)" % sm.binary)
t.ok(err is None, "a private sendmail.cf built from the shipped sendmail-ems.m4")
if err is not None:
    t.diag(err)
    s.stop()
    t.done()
t.ok(version is not None, "%s runs, and is sendmail 8" % sm.binary)
t.diag("%s: %s" % (sm.binary, version))
with open(sm.cf) as f:
    cf = f.read()
t.like(cf, "Mems,", "it defines the ems mailer")

s.admin("insert domain qualifiedname=example.test",
        "insert person username=demo@example.test password=x",
        "insert person username=ann@example.test password=x")
s.start_daemons(smtpgw=False)

# --- a message with everything sendmail might be tempted to touch
MSG = ("Date: Tue, 01 Dec 2026 09:00:00 +0000\n"
       "From: Sender Person <sender@outside.example>\n"
       "To: Demo <demo@example.test>\n"
       "Subject: through sendmail, =?utf-8?q?=C3=A9t=C3=A9?=\n"
       "Message-ID: <sendmail.1@outside.example>\n"
       "MIME-Version: 1.0\n"
       "Content-Type: text/plain; charset=utf-8\n"
       "Content-Transfer-Encoding: 8bit\n"
       "X-Folded: first part\n"
       "\tsecond part\n"
       "\n"
       "line one\n"
       ".a line that starts with a dot\n"
       "..two dots\n"
       ".\n"
       "8 bit: \u00e9t\u00e9 \u00e0 la plage\n"
       "trailing blanks   \n"
       "\n"
       "From the start of a line\n"
       + "a long line " + "x" * 1500 + "\n"
       + "last line\n").encode()

r = sm.send("sender@outside.example", "demo@example.test", MSG)
t.is_(r.returncode, 0, "sendmail -odi exits 0 for a known recipient")
if r.returncode != 0:
    t.diag(r.stdout + r.stderr)
got = s.wait_messages("demo@example.test", 1)
t.is_(len(got), 1, "the message is in demo's INBOX")
stored = s.message("demo@example.test", got[0].uid) if got else b""
t.is_(strip_trace(stored), crlf(MSG),
      "byte for byte apart from the trace fields (in CRLF form)")
head = stored.split(b"\r\n\r\n")[0]
t.ok(head.startswith(b"Return-Path: <sender@outside.example>\r\n"
                     b"Delivered-To: demo@example.test\r\n"),
     "Return-Path has the envelope sender sendmail passed with -f")
t.like(head, b"\r\nReceived: from mailer", "smtpgw's Received field")
t.like(head, b"by mta.example.test (8.", "and sendmail's own")

# --- two recipients: one mailer run each (no F=m), both delivered
r = sm.send("sender@outside.example", ["demo@example.test", "Ann@Example.TEST"],
            MSG.replace(b"sendmail.1@", b"sendmail.2@"))
t.is_(r.returncode, 0, "two recipients in one sendmail run")
t.is_(len(s.wait_messages("demo@example.test", 2)), 2, "demo got it")
ann = s.wait_messages("ann@example.test", 1)
t.is_(len(ann), 1, "ann got it (address case does not matter)")
t.like(s.message("ann@example.test", 1) if ann else b"",
       b"Delivered-To: Ann@example.test\r\n", "delivered to ann")

# --- an unknown recipient: sendmail's EX_NOUSER and its own bounce
r = sm.send("ann@example.test", "nobody@example.test",
            MSG.replace(b"sendmail.1@", b"sendmail.3@"))
t.is_(r.returncode, 67, "an unknown recipient: sendmail exits 67 (EX_NOUSER)")
bounce = s.wait_messages("ann@example.test", 2)
t.is_(len(bounce), 2, "sendmail's delivery report reached the sender's INBOX")
report = s.message("ann@example.test", 2) if len(bounce) == 2 else b""
t.ok(report.startswith(b"Return-Path: <>\r\n"),
     "with the null sender (sendmail's MAILER-DAEMON taken as <>)")
m = email.message_from_bytes(report, policy=email.policy.compat32)
t.is_(m.get_content_type(), "multipart/report", "a multipart/report")
status = [p for p in m.walk() if p.get_content_type() == "message/delivery-status"]
fields = status[0].get_payload()[1] if status else {}
t.is_(fields.get("Action") if status else None, "failed", "Action: failed")
t.is_(fields.get("Status") if status else None, "5.1.1", "Status: 5.1.1")
t.like(fields.get("Final-Recipient", "") if status else "", "nobody@example.test",
       "for nobody@example.test")
t.like(report, b"5.1.1 <nobody@example.test>: no such user here",
       "smtpgw's reason is in sendmail's transcript")
t.is_(len(s.messages("demo@example.test")), 2, "nothing else was delivered")

# --- the same with errors only in the exit status (-oeq)
r = sm.send("ann@example.test", "ghost@example.test", MSG, error_mode="q")
t.is_(r.returncode, 67, "-oeq: exit 67 as well")
t.is_(len(s.messages("ann@example.test")), 2, "and no report is mailed")

# --- a full mailbox: sendmail keeps the message and delivers it later
s.admin("insert person username=full@example.test password=x quotamessages=1")
r = sm.send("sender@outside.example", "full@example.test",
            MSG.replace(b"sendmail.1@", b"sendmail.4@"))
t.is_(r.returncode, 0, "to a mailbox with room: 0")
t.is_(len(s.wait_messages("full@example.test", 1)), 1, "delivered")
r = sm.send("sender@outside.example", "full@example.test",
            MSG.replace(b"sendmail.1@", b"sendmail.5@"))
t.is_(r.returncode, 0, "to the now full mailbox sendmail still says 0 ...")
queued = [f for f in sm.queued() if f.startswith("qf")]
t.is_(len(queued), 1, "... because smtpgw's 75 left the message in sendmail's queue")
t.is_(len(s.messages("full@example.test")), 1, "not delivered yet")
s.admin("update person username=full@example.test quotamessages=2")
r = sm.run_queue()
t.is_(r.returncode, 0, "a queue run once there is room (sendmail -q, no daemon)")
got = s.wait_messages("full@example.test", 2)
t.is_(len(got), 2, "delivers it")
t.like(s.message("full@example.test", got[-1].uid) if len(got) == 2 else b"",
       b"<sendmail.5@outside.example>", "the message that waited")

# --- nothing left behind
t.is_(sm.leftover_processes(), [], "no sendmail process is left running")
t.is_([f for f in sm.queued() if f.startswith("qf")], [],
      "the private queue holds nothing to retry")

if t.failed:
    t.diag("sendmail: %s%s" % (sm.binary, " in a namespace" if sm.namespace else ""))
    t.diag(s.logs())
s.stop()
t.done()
