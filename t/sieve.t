#!/usr/bin/env python3
"""sieve.t - Sieve filtering at delivery (RFC 5228 and extensions): a
person's active script, installed with oomgr, decides where mail that
arrives over LMTP (Python's smtplib.LMTP) goes, seen over IMAP
(imaplib) and in what leaves through the outbound side: fileinto with
and without :create, imap4flags flags in FETCH FLAGS, discard, redirect
to another address, reject as a DSN to the sender, vacation once per
sender within :days, and a script that fails keeps the message.
`oomgr check sieve` reports errors as FILE:LINE:COL."""
import email
import email.policy
import os
import re
import smtplib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "oomgr", "smtpgw", "postman"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

USER = "demo@example.test"
SCRIPT = r'''# the filters of the demo person
require ["fileinto", "mailbox", "imap4flags", "reject", "vacation",
         "variables", "index"];
if header :index 1 :last "x-hop" "origin" { fileinto "Work"; stop; }
if header :contains "subject" "mime-reply" {
    vacation :mime :days 3 "Content-Type: text/html; charset=utf-8
Bcc: sneaky@outside.example

<p>Gone fishing.</p>";
}
if header :contains "subject" "to-lists" { fileinto :create "Lists/ems"; stop; }
if header :contains "subject" "to-work" { fileinto "Work"; stop; }
if header :contains "subject" "to-missing" { fileinto "Missing"; stop; }
if header :contains "subject" "flag-me" {
    addflag "\\Flagged";
    addflag "$Boss";
}
if header :contains "subject" "bounce-me" { reject "I take no mail about that."; stop; }
if header :contains "subject" "trash-me" { discard; stop; }
if header :contains "subject" "pass-on" { redirect "friend@outside.example"; stop; }
if header :matches "subject" "broken*" { redirect "${1}"; }
if header :contains "subject" "away" { vacation :days 3 :subject "Away" "I am away."; }
'''

s = ImapSuite(name="sieve")
s.start_imap()
s.start_daemons()
path = os.path.join(s.dir, "demo.sieve")
with open(path, "w") as f:
    f.write(SCRIPT)


def oomgr(statement):
    return s.oomgr(statement)


r = oomgr("sieve install username=%s name=main file=%s activate=yes" % (USER, path))
t.is_(r.returncode, 0, "oomgr installs and activates a script")
r = oomgr("sieve list username=%s" % USER)
t.like(r.stdout, "main", "sieve list names it")
t.ok(re.search(r"main\s+active", r.stdout), "as the active one")
t.is_(oomgr("sieve show username=%s name=main" % USER).stdout, SCRIPT,
      "sieve show gives it back as installed")
t.ok(oomgr("sieve delete username=%s name=main" % USER).returncode != 0,
     "the active script cannot be deleted")

seq = [0]


def send(subject, sender="sender@outside.example", extra=""):
    seq[0] += 1
    msg = ("%sFrom: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%d.sieve@outside.example>"
           "\r\n\r\nbody %d\r\n" % (extra, sender, USER, subject, seq[0], seq[0]))
    lmtp = smtplib.LMTP("127.0.0.1", s.lmtp_port, timeout=emstest.DEFAULT_TIMEOUT)
    try:
        refused = lmtp.sendmail(sender, [USER], msg)
    finally:
        lmtp.quit()
    return refused


m = s.connect()
m.create("Work")


def subjects(folder="INBOX"):
    """The subjects in FOLDER, None when it does not exist."""
    typ, count = m.select('"%s"' % folder, readonly=True)
    if typ != "OK":
        return None
    if count[0] == b"0":
        return []
    typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    out = []
    for d in data:
        if isinstance(d, tuple):
            out.append(d[1].decode().split(":", 1)[1].strip())
    return out


def wait_subject(subject, folder="INBOX"):
    return emstest.wait_for(lambda: subject in (subjects(folder) or []))


def outbound_to(rcpt):
    return [(a, d) for a, d in s.outbound() if rcpt in a]


# fileinto
send("to-lists 1")
t.ok(wait_subject("to-lists 1", "Lists/ems"),
     "fileinto :create makes the folder and files there")
typ, data = m.list()
names = [d.decode().rsplit(" ", 1)[-1].strip('"') for d in data]
t.ok("Lists" in names and "Lists/ems" in names, "with the folder above it, as CREATE does")
send("to-work 1")
t.ok(wait_subject("to-work 1", "Work"), "fileinto an existing folder without :create")
send("to-missing 1")
t.ok(wait_subject("to-missing 1"), "fileinto a missing folder without :create keeps in INBOX")
t.ok(subjects("Missing") is None, "and creates no folder")
t.ok("to-lists 1" not in subjects(), "fileinto cancels the implicit keep")

# index: the bottom X-Hop field decides, not any of them
send("hop 1", extra="X-Hop: relay\r\nX-Hop: origin\r\n")
t.ok(wait_subject("hop 1", "Work"), "header :index 1 :last tests the bottom field")
send("hop 2", extra="X-Hop: origin\r\nX-Hop: relay\r\n")
t.ok(wait_subject("hop 2"), "and only that one: origin on top is kept in INBOX")
t.ok("hop 2" not in subjects("Work"), "and not filed")

# imap4flags
send("flag-me 1")
t.ok(wait_subject("flag-me 1"), "a flagged message is kept")
m.select("INBOX")
typ, data = m.search(None, "SUBJECT", '"flag-me 1"')
typ, data = m.fetch(data[0].split()[-1], "(FLAGS)")
flags = data[0].decode()
t.like(flags, "\\Flagged", "FETCH FLAGS shows \\Flagged from addflag")
t.like(flags, "$Boss", "and the keyword $Boss")
typ, data = m.search(None, "SUBJECT", '"to-missing 1"')
typ, data = m.fetch(data[0].split()[-1], "(FLAGS)")
t.ok("\\Flagged" not in data[0].decode(), "other messages are not flagged")

# discard: a later message arrives, the discarded one never does
send("trash-me 1")
send("marker after discard")
t.ok(wait_subject("marker after discard"), "mail after the discarded one arrives")
t.ok(not any("trash-me" in x for x in subjects()), "discard drops the message")

# redirect
send("pass-on 1")
out = emstest.wait_for(lambda: outbound_to("friend@outside.example"))
t.ok(out, "redirect sends the message to the other address")
if out:
    t.like(out[0][1].decode(errors="replace"), "Subject: pass-on 1", "the message itself")
    t.like(out[0][1].decode(errors="replace"), "Delivered-To: demo@example.test",
           "marked as passed on by the person")
t.ok("pass-on 1" not in (subjects() or []), "redirect cancels the implicit keep")

# reject: a DSN to the sender, nothing kept
send("bounce-me 1", sender="rejected@outside.example")
out = emstest.wait_for(lambda: outbound_to("rejected@outside.example"))
t.ok(out, "reject sends a DSN to the sender")
if out:
    dsn = email.message_from_bytes(out[0][1], policy=email.policy.compat32)
    t.like(dsn.get("Content-Type", ""), "multipart/report", "a delivery status report")
    t.like(out[0][1].decode(errors="replace"), "I take no mail about that.",
           "with the script's reason")
    t.like(out[0][1].decode(errors="replace"), "5.7.1", "status 5.7.1")
t.ok("bounce-me 1" not in subjects(), "the rejected message is not kept")

# vacation: once per sender within :days
send("away 1", sender="asker@outside.example")
first = emstest.wait_for(lambda: outbound_to("asker@outside.example"))
t.ok(first, "vacation replies")
if first:
    reply = email.message_from_bytes(first[0][1], policy=email.policy.compat32)
    t.is_(reply.get("Subject"), "Away", "with the :subject")
    t.like(reply.get_payload(), "I am away.", "and the reason")
    t.is_(reply.get("Auto-Submitted"), "auto-replied", "marked auto-replied")
t.ok(wait_subject("away 1"), "the message is kept too (implicit keep)")
send("away 2", sender="asker@outside.example")
send("away 3", sender="second@outside.example")
t.ok(emstest.wait_for(lambda: outbound_to("second@outside.example")),
     "another sender gets a reply")
t.ok(wait_subject("away 2"), "the second message from the first sender arrives")
t.is_(len(outbound_to("asker@outside.example")), 1,
      "the first sender got one reply within :days")

# vacation :mime: the reason's Content-Type heads the reply
send("mime-reply 1", sender="html-fan@outside.example")
got = emstest.wait_for(lambda: outbound_to("html-fan@outside.example"))
t.ok(got, "vacation :mime replies")
if got:
    reply = email.message_from_bytes(got[0][1], policy=email.policy.compat32)
    t.is_(reply.get_content_type(), "text/html", "with the reason's Content-Type")
    t.like(reply.get_payload(), "<p>Gone fishing.</p>", "and the reason's body")
    t.ok(reply.get("Bcc") is None, "without the reason's other fields")

# a script that fails at run time keeps the message
send("broken not an address")
t.ok(wait_subject("broken not an address"), "a failing script keeps the message")
t.like(s.log_text("postman"), "sieve_error", "and postman logs the error")

# deactivated: mail goes to INBOX again
t.is_(oomgr("sieve deactivate username=%s" % USER).returncode, 0, "deactivate")
send("to-lists 2")
t.ok(wait_subject("to-lists 2"), "without an active script mail goes to INBOX")
t.is_(oomgr("sieve delete username=%s name=main" % USER).returncode, 0,
      "an inactive script can be deleted")
t.is_(oomgr("sieve list username=%s" % USER).stdout.strip(), "", "and is gone")
m.logout()

# oomgr check sieve
bad = os.path.join(s.dir, "bad.sieve")
with open(bad, "w") as f:
    f.write('require "fileinto";\nif true {\n    fileinto "x"\n}\n')
r = oomgr("check sieve %s" % bad)
t.ok(r.returncode != 0, "check sieve fails on a broken script")
t.like(r.stderr, "%s:4:1: expected ';' or '{'" % bad, "FILE:LINE:COL: message")
with open(bad, "w") as f:
    f.write('require "editheader";\nkeep;\n')
r = oomgr("check sieve %s" % bad)
t.like(r.stderr, "%s:1:9: unsupported extension \"editheader\"" % bad,
       "an extension ems lacks is refused at require")
r = oomgr("sieve install username=%s name=bad file=%s" % (USER, bad))
t.ok(r.returncode != 0, "a broken script is not installed")
t.is_(oomgr("check sieve %s" % path).returncode, 0, "a good script checks clean")

if t.failed:
    t.diag(s.logs())
s.stop()
t.done()
