#!/usr/bin/env python3
"""postman_vacation.t - auto-replies (RFC 3834): sent once per sender,
from the null sender with Auto-Submitted: auto-replied and In-Reply-To;
never to the null sender, to bulk or list mail, to automatic mail, to
mail that came through a distribution list, outside the person's
period, or when the site switch (the seeds' AutoReplySet) is off."""
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

year = time.localtime().tm_year
s = MailSuite(name="vacation")
s.admin("insert domain qualifiedname=example.test",
        "connect example.test",
        "insert person username=ann password=x",
        "insert person username=bob password=x",
        "insert person username=cat password=x",
        "insert dlist name=team members=ann",
        "update person username=ann autoreply=\"I am away until Monday.\"",
        "update person username=bob autoreply=\"later\" autoreplyfrom=%d-01-01"
        % (year + 2),
        "update person username=cat autoreply=\"over\" autoreplyfrom=%d-01-01 "
        "autoreplyuntil=%d-01-02" % (year - 2, year - 2))
s.start_daemons()

def send(sender, rcpt, subject, extra=""):
    r = s.mailer(sender, rcpt, make_message(subject, sender=sender, to=rcpt, extra=extra))
    return r.returncode


def settle(n_expected, rcpt="ann@example.test", delivered=None):
    """Waits until RCPT holds DELIVERED messages, then a little for
    outbound mail, and returns what went out."""
    if delivered:
        s.wait_messages(rcpt, delivered)
    time.sleep(1.2)
    return s.wait_outbound(n_expected, timeout=2)


t.is_(send("s1@outside.example", "ann@example.test", "hello ann"), 0, "mail to ann")
out = settle(1, delivered=1)
t.is_(len(out), 1, "one auto-reply went out")
args, data = out[0] if out else ([], b"")
t.ok("-f" in args and args[args.index("-f") + 1] == "<>", "from the null sender")
t.ok(args[-2:] == ["s1@outside.example", "exit=0"], "to the sender")
m = email.message_from_bytes(data, policy=email.policy.compat32)
t.is_(m.get("Auto-Submitted"), "auto-replied", "Auto-Submitted: auto-replied")
t.is_(m.get("Subject"), "Auto: hello ann", "Subject: Auto: ...")
t.is_(m.get("In-Reply-To"), "<hello.ann@outside.example>", "In-Reply-To the original")
t.is_(m.get("From"), "<ann@example.test>", "from ann")
t.like(m.get_payload(), "I am away until Monday.", "with ann's text")

send("s1@outside.example", "ann@example.test", "again")
t.is_(len(settle(1, delivered=2)), 1, "a second message from the same sender: no reply")
send("S2@Outside.example", "ann@example.test", "other sender")
t.is_(len(settle(2, delivered=3)), 2, "another sender gets one")

n = 3
for sender, extra, why in (
        ("s3@outside.example", "Precedence: bulk\n", "Precedence: bulk"),
        ("s4@outside.example", "Auto-Submitted: auto-generated\n", "Auto-Submitted"),
        ("s5@outside.example", "List-Id: <news.outside.example>\n", "a mailing list"),
        ("MAILER-DAEMON@outside.example", "", "a mailer daemon")):
    send(sender, "ann@example.test", "no reply: " + why, extra=extra)
    n += 1
    t.is_(len(settle(2, delivered=n)), 2, "no reply to %s" % why)
s.mailer("", "ann@example.test", make_message("from nobody"))
n += 1
t.is_(len(settle(2, delivered=n)), 2, "no reply to the null sender")
s.mailer("s6@outside.example", "team@example.test", make_message("via list"))
n += 1
t.is_(len(settle(2, delivered=n)), 2, "no reply to mail through a distribution list")
s.mailer("s7@outside.example", "bob@example.test", make_message("bob"))
t.is_(len(settle(2, "bob@example.test", 1)), 2, "no reply before the period starts")
s.mailer("s7@outside.example", "cat@example.test", make_message("cat"))
t.is_(len(settle(2, "cat@example.test", 1)), 2, "no reply after the period ended")

s.postman.terminate()
s.postman.wait()
s.conf["postman"]["autoreply"] = False
s.write_conf()
s.postman = s.start("postman", "-c", s.conf_path)
s.mailer("s8@outside.example", "ann@example.test", make_message("switched off"))
n += 1
t.is_(len(settle(2, delivered=n)), 2, "autoreply = false: no reply")

if t.failed:
    t.diag(s.logs())
s.stop()
t.done()
