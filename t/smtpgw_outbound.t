#!/usr/bin/env python3
"""smtpgw_outbound.t - smtpgw's outbound side runs the configured
sendmail command for what postman queued (here a bounce), retries a
failing command with a growing delay until it succeeds, gives up with
a log line when the mail has been failing longer than
outbound.max_age_s, and at once when the command refuses the recipient
for good (67 EX_NOUSER)."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import MailSuite, make_message  # noqa: E402

t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)


def attempts(s):
    return len([n for n in os.listdir(s.capture) if n.endswith(".args")])


def start(conf, name, code=75):
    s = MailSuite(conf, name=name)
    s.admin("insert domain qualifiedname=example.test",
            "insert dlist name=list@example.test members=ghost@example.test")
    with open(os.path.join(s.capture, "exitcode"), "w") as f:
        f.write("%d\n" % code)
    s.start_daemons()
    return s


# --- retried until the command succeeds
s = start({"outbound": {"retry_initial_s": 1, "retry_max_s": 2}}, "outbound")
r = s.mailer("sender@outside.example", "list@example.test", make_message("x"))
t.is_(r.returncode, 0, "a message whose only recipient fails: a bounce is queued")
t.ok(emstest.wait_for(lambda: attempts(s) >= 3, timeout=12),
     "the failing command is run again and again")
log = s.log_text("smtpgw")
delays = [int(d) for d in re.findall(r"event=outbound_retry .*?next_in_s=(\d+)", log)]
t.ok(len(delays) >= 2 and delays[0] == 1 and max(delays) == 2,
     "with a growing delay: 1 s, then 2 s (the maximum)")
t.like(log, "error=\"exit 75:", "the log says how the command failed")
os.unlink(os.path.join(s.capture, "exitcode"))
out = s.wait_outbound(1, timeout=8)
t.is_(len(out), 1, "once the command succeeds the bounce is sent")
time.sleep(2.5)
t.is_(len(s.outbound()), 1, "and only once")
t.like(s.log_text("smtpgw"), "event=outbound_sent", "logged as sent")
if t.failed:
    t.diag(s.logs())
s.stop()

# --- given up after outbound.max_age_s
s = start({"outbound": {"retry_initial_s": 1, "retry_max_s": 1, "max_age_s": 3}},
          "giveup")
s.mailer("sender@outside.example", "list@example.test", make_message("y"))
t.ok(emstest.wait_for(lambda: "event=outbound_giveup" in s.log_text("smtpgw"),
                      timeout=12), "failing past max_age_s: given up with a log line")
n = attempts(s)
time.sleep(3)
t.is_(attempts(s), n, "and not tried again")
t.is_(s.outbound(), [], "nothing was sent")
if t.failed:
    t.diag(s.logs())
s.stop()

# --- given up at once when the command refuses the recipient for good
s = start({"outbound": {"retry_initial_s": 1, "retry_max_s": 1}}, "permanent", code=67)
s.mailer("sender@outside.example", "list@example.test", make_message("z"))
t.ok(emstest.wait_for(lambda: "event=outbound_giveup" in s.log_text("smtpgw"),
                      timeout=12), "exit 67 from the command: given up")
t.like(s.log_text("smtpgw"), "reason=permanent", "as permanent")
time.sleep(2.5)
t.is_(attempts(s), 1, "after one attempt, not retried")
if t.failed:
    t.diag(s.logs())
s.stop()
t.done()
