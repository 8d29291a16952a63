#!/usr/bin/env python3
"""lmtp_onehop.t - mail for plain local persons is filed by smtpgw in
the commit that answers it (smtpgw/deliver_local.c); the rest still goes
through postman, unchanged.  postman is NOT running at first, so what is
filed in one hop shows as itself:

- LMTP to a plain person: 250, an IMAP client in IDLE gets EXISTS, and
  the submission queue holds nothing for it;
- the copy is the message as it arrived, under the same trace fields
  (Return-Path, Delivered-To, Received) a copy postman files has: one
  sent through an alias of the same person is compared byte for byte;
- an alias, a list, a "+detail", a person with a Sieve script, with an
  auto-reply, with a forward, and a transaction mixing a plain person
  with an alias are queued (250 "Queued as"), and once postman runs
  each lands as before (folders, auto-reply, forward, one copy each);
- the same person named twice gets one copy;
- a message that fits smtpgw's quota check but not postman's (the trace
  fields count) is left to postman, which defers it as before;
- while another process holds the store's write lock the answer is 451
  and nothing is filed.
"""
import imaplib
import os
import re
import smtplib
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite, Raw  # noqa: E402
from emsmail import crlf, make_message  # noqa: E402
from emsproto import PASSWORD, USER, lock_store  # noqa: E402

t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr", "imap4srv"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

SENDER = "sender@outside.example"
s = ImapSuite({"store": {"busy_timeout_ms": 300}}, name="onehop")
s.admin("connect example.test",
        "insert person username=ann password=x",
        "insert person username=bob password=x",
        "insert person username=cat password=x",
        "insert person username=dan password=x",
        "insert person username=eve password=x",
        "insert person username=tight password=x quota=4000",
        "insert alias name=me target=%s" % USER,
        "insert alias name=boss target=ann",
        "insert dlist name=team members=\"ann,bob\"",
        "insert folder username=bob name=Work",
        "update person username=dan autoreply=\"I am away.\"",
        "update person username=eve forward=pal@elsewhere.example keepcopy=yes")
script = os.path.join(s.dir, "cat.sieve")
with open(script, "w") as f:
    f.write('require "fileinto";\nfileinto "Sorted";\n')
s.admin("insert folder username=cat@example.test name=Sorted",
        "sieve install username=cat@example.test name=main file=%s activate=yes" % script)
s.start_imap()
s.start_daemons(postman=False)


def db_count(sql):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(s.state, "store.db"), uri=True)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def queued():
    return db_count("SELECT COUNT(*) FROM queue WHERE state = 'queued'")


def lmtp(rcpts, data):
    """One LMTP transaction; {rcpt: (code, text)} of the DATA replies."""
    c = smtplib.LMTP("127.0.0.1", s.lmtp_port, timeout=60)
    try:
        c.ehlo("client.test")
        c.mail(SENDER)
        for r in rcpts:
            c.rcpt(r)
        c.putcmd("data")
        code, _ = c.getreply()
        if code != 354:
            return {r: (code, b"") for r in rcpts}
        q = smtplib.quotedata(data.decode("latin-1")).encode("latin-1")
        c.send(q + (b"" if q.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        return {r: c.getreply() for r in rcpts}
    finally:
        c.close()


def idle_until(raw, pattern, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ln = raw.line(timeout=deadline - time.monotonic())
        except OSError:
            return False
        if not ln:
            return False
        if re.search(pattern, ln):
            return True
    return False


def fetch_all(user, password="x", folder="INBOX"):
    m = imaplib.IMAP4("127.0.0.1", s.imap_port, timeout=emstest.DEFAULT_TIMEOUT)
    m.login(user, password)
    m.select(folder, readonly=True)
    _, data = m.fetch("1:*", "(BODY.PEEK[])")
    m.logout()
    return [d[1] for d in data if isinstance(d, tuple)]


# --- a plain person: filed at once, IDLE hears it, nothing queued ---
raw = Raw(s.imap_port)
raw.command("l", "LOGIN %s %s" % (USER, PASSWORD))
raw.command("s", "SELECT INBOX")
raw.send("i IDLE\r\n")
t.is_(raw.line(), b"+ idling", "an IMAP client of the plain person is in IDLE")
plain = make_message("one hop", body="first line\n.dot line\nlast\n")
got = lmtp([USER], plain)
t.ok(got[USER][0] == 250 and b"Delivered" in got[USER][1],
     "LMTP to a plain person: 250 Delivered (postman is not running)")
t.ok(idle_until(raw, rb"^\* 1 EXISTS"), "  the IDLE client gets * 1 EXISTS")
raw.send("DONE\r\n")
raw.until("i")
raw.close()
t.is_(queued(), 0, "  the submission queue holds nothing for it")
one_hop = fetch_all(USER, PASSWORD)[0]

# --- the same message through an alias of the same person: postman ---
got = lmtp(["me@example.test"], plain)
t.ok(got["me@example.test"][0] == 250 and b"Queued as" in got["me@example.test"][1],
     "LMTP to an alias: 250 Queued as (left to postman)")
t.is_(queued(), 1, "  one item on the submission queue")


def parts(copy):
    """(Return-Path + Delivered-To, Received without its date, the rest)."""
    m = re.match(rb"(Return-Path: [^\r]*\r\nDelivered-To: [^\r]*\r\n)"
                 rb"(Received: (?:[^\r]*\r\n)(?:[ \t][^\r]*\r\n)*)(.*)\Z", copy, re.S)
    if m is None:
        return None
    received = re.sub(rb";[^;]*\Z", b";", m.group(2))
    received = re.sub(rb"for <[^>]*>", b"for <>", received)
    received = re.sub(rb"\([^)]*\)", b"()", received, count=1)   # the client's port
    return m.group(1), received, m.group(3)


s.postman = s.start("postman", "-c", s.conf_path)
copies = s.wait_messages(USER, 2)
t.is_(len(copies), 2, "postman files the aliased copy")
via_postman = fetch_all(USER, PASSWORD)[1]
a, b = parts(one_hop), parts(via_postman)
t.ok(a is not None and b is not None, "both copies start with Return-Path, Delivered-To, Received")
if a and b:
    t.is_(a[0], b[0], "  Return-Path and Delivered-To: byte for byte the same both ways")
    t.is_(a[1], b[1], "  Received: the same but for its date, client port and recipient")
    t.is_(a[2], b[2], "  the message below them: byte for byte the same")
    t.is_(a[2], crlf(plain), "  and what arrived")
s.postman.terminate()
s.postman.wait()
s.postman = None

# --- what needs postman is queued, and lands as before once it runs ---
cases = [
    (["boss@example.test"], "alias"),
    (["team@example.test"], "list"),
    (["bob+Work@example.test"], "+detail"),
    (["cat@example.test"], "Sieve script"),
    (["dan@example.test"], "auto-reply"),
    (["eve@example.test"], "forward"),
    (["bob@example.test", "boss@example.test"], "plain person and alias"),
]
before = queued()
for rcpts, what in cases:
    got = lmtp(rcpts, make_message("needs postman: %s" % what, to=rcpts[0]))
    t.ok(all(c == 250 and b"Queued as" in txt for c, txt in got.values()),
         "%s: 250 Queued as" % what)
t.is_(queued(), before + len(cases), "  every one of them waits on the submission queue")
t.is_(len(s.messages("ann@example.test")) + len(s.messages("bob@example.test")), 0,
      "  and none was filed without postman")

s.postman = s.start("postman", "-c", s.conf_path)
t.ok(emstest.wait_for(lambda: queued() == 0, timeout=60), "postman delivers them all")
ann = [m.subject for m in s.messages("ann@example.test")]
bob = [m.subject for m in s.messages("bob@example.test")]
t.is_(sorted(ann), sorted(["needs postman: alias", "needs postman: list",
                           "needs postman: plain person and alias"]),
      "ann: the alias, the list and the mixed transaction, once each")
t.is_(sorted(bob), sorted(["needs postman: list", "needs postman: plain person and alias"]),
      "bob: the list and the mixed transaction")
t.is_([m.subject for m in s.messages("bob@example.test", "Work")],
      ["needs postman: +detail"], "bob+Work: into Work")
t.is_([m.subject for m in s.messages("cat@example.test", "Sorted")],
      ["needs postman: Sieve script"], "cat's script files into Sorted")
t.is_([m.subject for m in s.messages("eve@example.test")], ["needs postman: forward"],
      "eve keeps a copy of the forward")
out = s.wait_outbound(2)
t.ok(any("pal@elsewhere.example" in " ".join(a) for a, _ in out), "  and it is forwarded")
t.ok(any(SENDER in " ".join(a) and b"I am away." in d for a, d in out),
     "dan's auto-reply goes out")

# --- the same person twice: one copy ---
got = lmtp(["ann@example.test", "ANN@example.test"], make_message("twice"))
t.ok(all(c == 250 for c, _ in got.values()), "the same person named twice: 250 for each")
t.is_([m.subject for m in s.messages("ann@example.test")].count("twice"), 1, "  one copy")

# --- quota: fits smtpgw's check, not postman's (trace fields count) ---
s.postman.terminate()
s.postman.wait()
s.postman = None
body = "x" * 3800 + "\n"
msg = make_message("nearly full", body=body, to="tight@example.test")
size = len(crlf(msg))
t.ok(size < 4000, "a message of %d bytes under tight's quota of 4000" % size)
got = lmtp(["tight@example.test"], msg)
t.ok(got["tight@example.test"][0] == 250 and b"Queued as" in got["tight@example.test"][1],
     "  with the trace fields it would not fit: left to postman")
s.postman = s.start("postman", "-c", s.conf_path)
t.ok(emstest.wait_for(lambda: "over_quota" in s.log_text("postman"), timeout=30),
     "  which defers it for a full mailbox, as before")
t.is_(len(s.messages("tight@example.test")), 0, "  and files nothing")

# --- store locked: 451, nothing filed ---
n = len(s.messages(USER))
lock = lock_store(s)
got = lmtp([USER], make_message("while locked"))
t.is_(got[USER][0], 451, "while another process holds the write lock: 451")
lock.rollback()
lock.close()
time.sleep(0.5)
t.is_(len(s.messages(USER)), n, "  nothing was filed")
got = lmtp([USER], make_message("after the lock"))
t.is_(got[USER][0], 250, "once the lock is gone: 250")
t.is_(len(s.messages(USER)), n + 1, "  filed")

if t.failed:
    t.diag(s.logs()[-20000:])
s.stop()
t.done()
