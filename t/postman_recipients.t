#!/usr/bin/env python3
"""postman_recipients.t - how postman resolves recipients, seen in the
mailboxes: aliases, nested and looping distribution lists, user+tag
sub-addressing into an existing folder, one stored message for 100 local
recipients, forwards with and without a copy (outside ones through the
outbound command) and the site switch that turns forwarding off."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import MailSuite, make_message  # noqa: E402

t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = MailSuite(name="rcpts")
s.admin("insert domain qualifiedname=example.test",
        "connect example.test",
        "insert person username=ann password=x",
        "insert person username=bob password=x",
        "insert person username=cat password=x",
        "insert alias name=boss target=ann",
        "insert alias name=friend target=pal@elsewhere.example",
        "insert dlist name=team members=\"bob,cat\"",
        "insert dlist name=all members=\"ann,team,all\"",
        "update dlist name=team add=all",
        *["insert person username=u%03d password=x" % i for i in range(100)])
s.start_daemons()


def send(rcpts, subject, sender="sender@outside.example", **kw):
    r = s.mailer(sender, rcpts, make_message(subject, **kw))
    if r.returncode != 0:
        t.diag("mailer exit %d: %s" % (r.returncode, r.stderr))
    return r.returncode


def subjects(user, folder="INBOX"):
    return [m.subject for m in s.messages(user, folder)]


t.is_(send("boss@example.test", "via alias"), 0, "an alias is accepted")
t.is_(subjects("ann@example.test") if s.wait_messages("ann@example.test", 1) else [],
      ["via alias"], "and delivered to its person")

t.is_(send("all@example.test", "to everyone"), 0, "a list holding a list holding it")
for who in ("ann", "bob", "cat"):
    s.wait_messages(who + "@example.test", 1)
t.is_(subjects("ann@example.test").count("to everyone"), 1, "ann once")
t.is_(subjects("bob@example.test").count("to everyone"), 1, "bob once, through the nested list")
t.is_(subjects("cat@example.test").count("to everyone"), 1, "cat once: the loop ended")

t.is_(s.oomgr("insert folder username=bob@example.test name=Work").returncode, 0,
      "bob gets a folder Work")
t.is_(send("Bob+Work@Example.TEST", "tagged"), 0, "user+tag in any case")
t.ok(s.wait_messages("bob@example.test", 1, folder="Work") and
     subjects("bob@example.test", "Work") == ["tagged"], "lands in the folder Work")
t.is_(send("bob+nosuch@example.test", "tag without folder"), 0, "user+tag, no such folder")
s.wait_messages("bob@example.test", 2)
t.ok("tag without folder" in subjects("bob@example.test"), "lands in INBOX")

rcpts = ["u%03d@example.test" % i for i in range(100)]
t.is_(send(rcpts, "hundred"), 0, "one message to 100 persons")
ids = set()
for r in rcpts:
    got = s.wait_messages(r, 1)
    ids.update(m.message for m in got)
t.ok(all(len(s.messages(r)) == 1 for r in rcpts), "each of them has it once")
t.is_(len(ids), 1, "all 100 entries point at one stored message")

# Forwards.
s.admin("update person username=cat@example.test forward=pal@elsewhere.example keepcopy=no",
        "update person username=bob@example.test forward=ann@example.test keepcopy=yes")
before_cat = len(s.messages("cat@example.test"))
t.is_(send("cat@example.test", "forward me"), 0, "to cat, who forwards outside")
out = s.wait_outbound(1)
t.ok(len(out) == 1 and "pal@elsewhere.example" in out[0][0],
     "the outbound command got it for pal@elsewhere.example")
args = out[0][0] if out else []
t.ok("-f" in args and args[args.index("-f") + 1] == "sender@outside.example" and
     args[-2:] == ["pal@elsewhere.example", "exit=0"], "with the original sender")
t.like(out[0][1] if out else b"", b"Delivered-To: cat@example.test\r\n",
       "marked Delivered-To the forwarding address")
t.is_(len(s.messages("cat@example.test")), before_cat, "cat kept no copy")
t.is_(send("bob@example.test", "forward with copy"), 0, "to bob, who forwards to ann")
s.wait_messages("ann@example.test", 3)
t.ok("forward with copy" in subjects("ann@example.test"), "ann got it")
t.ok("forward with copy" in subjects("bob@example.test"), "bob kept a copy")
t.is_(send("friend@example.test", "alias outside"), 0, "an alias to an outside address")
out = s.wait_outbound(2)
t.ok(len(out) == 2 and "pal@elsewhere.example" in out[1][0], "goes out too")

# Forwarding off for the whole site (the seeds' AutoForwardSet No).
s.postman.terminate()
s.postman.wait()
s.conf["postman"]["autoforward"] = False
s.write_conf()
s.postman = s.start("postman", "-c", s.conf_path)
t.is_(send("cat@example.test", "no forwarding"), 0, "with autoforward = false")
s.wait_messages("cat@example.test", before_cat + 1)
t.ok("no forwarding" in subjects("cat@example.test"), "cat keeps it")
t.is_(len(s.outbound()), 2, "and nothing more went out")

t.ok(s.postman.poll() is None and s.smtpgw.poll() is None, "daemons still running")
if t.failed:
    t.diag(s.logs())
s.stop()
t.done()
