#!/usr/bin/env python3
"""postman_bounce.t - what postman does with mail it cannot deliver: an
RFC 3464 delivery status notification from the null sender reaches the
outbound command (checked with Python's email parser), nothing is
bounced for a message with the null sender, loops (a Delivered-To of the
recipient, too many Received fields) are bounced, and a full mailbox is
retried during postman.quota_grace_s (delivered when room appears) and
bounced after it."""
import email
import email.policy
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import MailSuite, make_message  # noqa: E402

t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

GRACE = 4
s = MailSuite({"postman": {"quota_grace_s": GRACE, "max_received": 10}}, name="bounce")
s.admin("insert domain qualifiedname=example.test",
        "connect example.test",
        "insert person username=ann password=x",
        "insert person username=full password=x quota=2500",
        "insert person username=roomy password=x quota=2500",
        "insert dlist name=team members=\"ann,ghost\"",
        "insert dlist name=fulls members=\"full,roomy\"")
s.start_daemons()


def dsn(data):
    return email.message_from_bytes(data, policy=email.policy.compat32)


def status_fields(msg):
    """The per-recipient fields of a parsed delivery report."""
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            blocks = part.get_payload()
            return blocks[0], blocks[1:]
    return None, []


# --- an unknown member of a list: ann gets it, the sender a report
r = s.mailer("sender@outside.example", "team@example.test",
             make_message("to the team", to="team@example.test"))
t.is_(r.returncode, 0, "the list is accepted")
t.ok(s.wait_messages("ann@example.test", 1), "ann got it")
out = s.wait_outbound(1)
t.is_(len(out), 1, "one message went out")
args, data = out[0] if out else ([], b"")
t.ok(args[args.index("-f") + 1] == "<>" if "-f" in args else False,
     "from the null sender")
t.ok(args[-2:] == ["sender@outside.example", "exit=0"], "to the sender")
m = dsn(data)
t.is_(m.get_content_type(), "multipart/report", "a multipart/report")
t.is_(m.get_param("report-type"), "delivery-status", "report-type=delivery-status")
t.like(m.get("From", ""), "MAILER-DAEMON@example.test", "from MAILER-DAEMON")
t.is_(m.get("Auto-Submitted"), "auto-replied", "marked Auto-Submitted")
parts = [p.get_content_type() for p in m.get_payload()] if m.is_multipart() else []
t.is_(parts, ["text/plain", "message/delivery-status", "text/rfc822-headers"],
      "human text, delivery status, original header")
per_msg, per_rcpt = status_fields(m)
t.ok(per_msg is not None and per_msg.get("Reporting-MTA", "").startswith("dns;"),
     "Reporting-MTA: dns; ...")
t.ok(per_msg is not None and per_msg.get("Arrival-Date"), "Arrival-Date")
t.is_(len(per_rcpt), 1, "one failed recipient")
rc = per_rcpt[0] if per_rcpt else {}
t.is_(rc.get("Final-Recipient"), "rfc822; ghost@example.test", "Final-Recipient")
t.is_(rc.get("Action"), "failed", "Action: failed")
t.is_(rc.get("Status"), "5.1.1", "Status: 5.1.1")
t.like(rc.get("Diagnostic-Code", ""), "smtp; 550 5.1.1", "Diagnostic-Code")
headers = m.get_payload()[2].get_payload() if len(parts) == 3 else ""
t.like(headers, "Subject: to the team", "the original header is quoted")

# --- the null sender never gets a bounce
r = s.mailer("", "team@example.test", make_message("bounce of a bounce"))
t.is_(r.returncode, 0, "a message from the null sender to the list")
s.wait_messages("ann@example.test", 2)
time.sleep(1.5)
t.is_(len(s.outbound()), 1, "no report for it")
t.like(s.log_text("postman"), "event=no_bounce", "the log says why")

# --- loops
r = s.mailer("looper@outside.example", "ann@example.test",
             make_message("loop", extra="Delivered-To: ann@example.test\n"))
t.is_(r.returncode, 0, "a message that was delivered to ann before")
out = s.wait_outbound(2)
t.ok(len(out) == 2 and b"Status: 5.4.6" in out[1][1], "is bounced as a loop (5.4.6)")
t.ok("loop" not in [x.subject for x in s.messages("ann@example.test")], "not delivered")
hops = "".join("Received: from hop%d by relay%d; Mon, 1 Jan 2026 00:00:00 +0000\n" % (i, i)
               for i in range(12))
r = s.mailer("hops@outside.example", "ann@example.test", make_message("hops", extra=hops))
out = s.wait_outbound(3)
t.ok(len(out) == 3 and b"Received fields" in out[2][1],
     "too many Received fields is bounced too")

# --- quotas: retried during the grace, then bounced or delivered
s.mailer("a@outside.example", "full@example.test", make_message("fill", body="f" * 1800 + "\n"))
s.mailer("a@outside.example", "roomy@example.test", make_message("fill", body="f" * 1800 + "\n"))
s.wait_messages("full@example.test", 1)
s.wait_messages("roomy@example.test", 1)
start = time.monotonic()
r = s.mailer("q@outside.example", "fulls@example.test",
             make_message("over quota", body="o" * 1200 + "\n"))
t.is_(r.returncode, 0, "a list of two full mailboxes accepts the message")
time.sleep(1.5)
t.is_(len(s.messages("full@example.test")), 1, "full@ does not get it yet")
t.is_(len(s.outbound()), 3, "and nobody is told yet: it is retried")
s.admin("update person username=roomy@example.test quota=0")
t.ok(len(s.wait_messages("roomy@example.test", 2)) == 2,
     "roomy@'s quota lifted within the grace: delivered on a retry")
out = s.wait_outbound(4, timeout=GRACE + 8)
t.ok(len(out) == 4 and b"Final-Recipient: rfc822; full@example.test" in out[3][1] and
     b"Status: 5.2.2" in out[3][1], "after the grace full@ is bounced with 5.2.2")
t.ok(time.monotonic() - start >= GRACE - 1, "not before the grace ran out")
t.is_(len(s.messages("full@example.test")), 1, "and never delivered")
t.is_(len(s.messages("roomy@example.test")), 2, "roomy@ got it exactly once")

if t.failed:
    t.diag(s.logs())
s.stop()
t.done()
