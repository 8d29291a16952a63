#!/usr/bin/env python3
"""smtpgw_mailer.t - smtpgw as the MTA's mailer (`smtpgw -f SENDER --
RCPT`, message on stdin): the sysexits codes sendmail acts on, and that a
message acknowledged with 0 reaches the mailbox byte for byte (apart from
the trace fields on top and CRLF line ends), through postman woken by
smtpgw."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import MailSuite, crlf, make_message, strip_trace  # noqa: E402

t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = MailSuite({"lmtp": {"max_message_size": 20000},
               "postman": {"interval_s": 600}}, name="mailer")
s.admin("insert domain qualifiedname=example.test description=\"test domain\"",
        "insert person username=demo@example.test password=demo",
        "insert person username=small@example.test password=x quota=3000",
        "insert person username=off@example.test password=x",
        "update person username=off@example.test services=imap,pop",
        "insert person username=sub@example.test password=x",
        "insert alias name=postmaster@example.test target=demo@example.test")
s.start_daemons(smtpgw=False)

# A message with LF line ends, a leading-dot line and 8-bit text.
msg = make_message("first", body="line one\n.leading dot\n8 bit: \u00e9t\u00e9\n")
r = s.mailer("sender@outside.example", "demo@example.test", msg)
t.is_(r.returncode, 0, "a known recipient: exit 0")
got = s.wait_messages("demo@example.test", 1)
t.is_(len(got), 1, "postman delivered it without waiting for its timer "
      "(interval 600 s): smtpgw woke it")
stored = s.message("demo@example.test", 1) if got else b""
t.is_(strip_trace(stored), crlf(msg), "byte for byte after the trace fields, "
      "in CRLF form")
head = stored.split(b"\r\n\r\n")[0]
t.ok(head.startswith(b"Return-Path: <sender@outside.example>\r\n"
                     b"Delivered-To: demo@example.test\r\nReceived: from mailer"),
     "Return-Path, Delivered-To and Received on top")

r = s.mailer("sender@outside.example", "demo@example.test",
             crlf(make_message("crlf input")))
t.is_(r.returncode, 0, "CRLF input is fine too")
got = s.wait_messages("demo@example.test", 2)
t.is_(s.message("demo@example.test", 2).count(b"\r\r"), 0,
      "and is not doubled into CR CR LF")

r = s.mailer("sender@outside.example", "nobody@example.test", make_message("x"))
t.is_(r.returncode, 67, "unknown recipient: 67 EX_NOUSER")
t.like(r.stderr, b"5.1.1", "with a 5.1.1 sentence for the bounce")
r = s.mailer("sender@outside.example", "someone@not-hosted.example", make_message("x"))
t.is_(r.returncode, 67, "a domain ems does not host: 67")
r = s.mailer("sender@outside.example", "off@example.test", make_message("x"))
t.is_(r.returncode, 67, "a person who may not receive mail: 67")
r = s.mailer("sender@outside.example", ["demo@example.test", "nobody@example.test"],
             make_message("two"))
t.is_(r.returncode, 67, "one unknown among two recipients refuses the run")

r = s.mailer("sender@outside.example", "demo@example.test", b"")
t.is_(r.returncode, 65, "empty input: 65 EX_DATAERR")
r = s.mailer("sender@outside.example", "demo@example.test",
             b"\x00\x01binary junk\nmore\n")
t.is_(r.returncode, 65, "input without a header: 65")
r = s.mailer("not an address", "demo@example.test", make_message("x"))
t.is_(r.returncode, 65, "a bad sender: 65")

big = make_message("big", body="x" * 30000 + "\n")
r = s.mailer("sender@outside.example", "demo@example.test", big)
t.is_(r.returncode, 69, "over lmtp.max_message_size: 69 EX_UNAVAILABLE")
r = s.mailer("sender@outside.example", "small@example.test",
             make_message("huge", body="y" * 5000 + "\n"))
t.is_(r.returncode, 73, "larger than the whole mailbox quota: 73 EX_CANTCREAT")
r = s.mailer("sender@outside.example", "small@example.test",
             make_message("fits", body="z" * 2000 + "\n"))
t.is_(r.returncode, 0, "a message that fits the quota: 0")
s.wait_messages("small@example.test", 1)
r = s.mailer("sender@outside.example", "small@example.test",
             make_message("too much", body="z" * 2000 + "\n"))
t.is_(r.returncode, 75, "a full mailbox: 75 EX_TEMPFAIL, the MTA retries")
t.like(r.stderr, b"4.2.2", "with 4.2.2")

r = s.mailer("", "postmaster@example.test", make_message("null sender"))
t.is_(r.returncode, 0, "the null sender and an alias")
r = s.mailer("sender@outside.example", "sub+Work@example.test", make_message("sub"))
t.is_(r.returncode, 0, "a +detail recipient")
t.ok(len(s.wait_messages("demo@example.test", 3)) == 3,
     "the alias delivered to its person")
t.ok(len(s.wait_messages("sub@example.test", 1)) == 1,
     "user+detail without such a folder lands in INBOX")

# The null sender as MTAs hand it to a mailer: MAILER-DAEMON.
for daemon in ("MAILER-DAEMON", "mailer-daemon@mta.outside.example"):
    r = s.mailer(daemon, "demo@example.test", make_message("bounce from " + daemon))
    t.is_(r.returncode, 0, "sender %s is accepted" % daemon)
got = s.wait_messages("demo@example.test", 5)
t.ok(len(got) == 5 and all(s.message("demo@example.test", e.uid).startswith(
     b"Return-Path: <>\r\n") for e in got[3:]),
     "and taken as the null sender (Return-Path: <>)")

# A quota in messages: the second message fits, the third waits.
s.admin("insert person username=few@example.test password=x quotamessages=2")
for n in (1, 2):
    r = s.mailer("sender@outside.example", "few@example.test", make_message("few %d" % n))
    t.is_(r.returncode, 0, "message %d within a quota of 2 messages: 0" % n)
    s.wait_messages("few@example.test", n)
r = s.mailer("sender@outside.example", "few@example.test", make_message("few 3"))
t.is_(r.returncode, 75, "the third: 75 EX_TEMPFAIL (mailbox full)")
t.like(r.stderr, b"4.2.2", "with 4.2.2")
s.admin("update person username=few@example.test quotamessages=3")
r = s.mailer("sender@outside.example", "few@example.test", make_message("few 3"))
t.is_(r.returncode, 0, "after the quota is raised, the retry is stored")
t.is_(len(s.wait_messages("few@example.test", 3)), 3, "three messages in the mailbox")

# A store that cannot be opened: temporary, never lost and acknowledged.
bad = dict(s.env)
broken = os.path.join(s.dir, "broken.conf")
with open(broken, "w") as f:
    for key, value in s.conf.items():
        if key == "paths":
            value = dict(value, store="/nonexistent/dir/store.db")
        if key == "store" and value.get("backend") == "postgresql":
            value = dict(value, conninfo="host=/nonexistent/dir dbname=none user=ems")
        f.write("%s = %s;\n" % (key, emstest.libconfig(value)))
bad["EMS_CONFIG"] = broken
r = s.run("smtpgw", "-c", broken, "-f", "a@b.example", "--", "demo@example.test",
          input=make_message("x"), env=bad)
t.is_(r.returncode, 75, "the store cannot be opened: 75 EX_TEMPFAIL")
r = s.run("smtpgw", "-c", s.conf_path, "-f", "a@b.example", input=b"")
t.is_(r.returncode, 64, "-f without a recipient: 64 EX_USAGE")

t.like(s.log_text("mailer"), "event=queued", "the mailer logs what it queued")
if t.failed:
    t.diag(s.logs())
s.stop()
t.done()
