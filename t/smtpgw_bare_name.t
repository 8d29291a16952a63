#!/usr/bin/env python3
"""smtpgw_bare_name.t - a recipient given as a bare user name (sendmail's
$u, `smtpgw -f a@b demo`, LMTP RCPT TO:<demo> as Dovecot's LMTP takes
it) is a person of the default domain (auth.default_domain, the same
setting that lets "demo" log in); with no default domain it is refused
with a reply that says why."""
import os
import smtplib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import MailSuite, crlf, make_message, strip_trace  # noqa: E402

t = emstest.Tap()
for prog in ("smtpgw", "postman", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)


def suite(name, default_domain):
    s = MailSuite({"auth": {"default_domain": default_domain}}, name=name)
    s.admin("insert domain qualifiedname=example.test",
            "insert person username=demo@example.test password=demo")
    s.start_daemons()
    return s


def lmtp(s, rcpt, data):
    """(code, text) of RCPT TO:<RCPT>; the message follows when accepted."""
    with smtplib.LMTP("127.0.0.1", s.lmtp_port, timeout=emstest.DEFAULT_TIMEOUT) as c:
        c.ehlo_or_helo_if_needed()
        c.mail("a@b.example")
        code, text = c.rcpt(rcpt)
        if code == 250:
            c.data(data)
        return code, text


# --- a default domain: bare names are its persons
s = suite("barename", "example.test")
msg = make_message("bare mailer", to="demo")
r = s.mailer("a@b.example", "demo", msg)
t.is_(r.returncode, 0, "smtpgw -f a@b demo: exit 0")
got = s.wait_messages("demo@example.test", 1)
t.is_(len(got), 1, "delivered to demo@example.test")
stored = s.message("demo@example.test", 1) if got else b""
t.ok(stored.startswith(b"Return-Path: <a@b.example>\r\nDelivered-To: demo@example.test\r\n"),
     "Delivered-To names the qualified address")
t.is_(strip_trace(stored), crlf(msg), "the message byte for byte")

code, text = lmtp(s, "demo", make_message("bare lmtp", to="demo"))
t.is_(code, 250, "LMTP RCPT TO:<demo>: 250")
t.like(text, b"<demo@example.test>", "  naming the qualified address")
t.is_(len(s.wait_messages("demo@example.test", 2)), 2, "delivered to demo too")

r = s.mailer("a@b.example", "nobody", make_message("nobody"))
t.is_(r.returncode, 67, "a bare name nobody has: 67 EX_NOUSER")
t.like(r.stderr, b"5.1.1 <nobody@example.test>", "  no such user, qualified")
code, text = lmtp(s, "<de mo>", b"x\r\n")
t.ok(code == 501, "LMTP: a bare name with a blank is a syntax error (%d)" % code)
s.stop()

# --- none: a bare name is refused, and the reply says why
s = suite("barename-none", "")
r = s.mailer("a@b.example", "demo", make_message("nowhere"))
t.is_(r.returncode, 67, "no default domain: smtpgw -f a@b demo exits 67")
t.like(r.stderr, b"5.1.3 <demo>: a user name without a domain needs a default domain",
       "  saying a bare name needs a default domain")
code, text = lmtp(s, "demo", b"x\r\n")
t.is_(code, 550, "LMTP RCPT TO:<demo>: 550")
t.like(text, b"5.1.3 <demo> A user name without a domain needs a default domain",
       "  with the same reason")
r = s.mailer("a@b.example", "demo@example.test", make_message("qualified"))
t.is_(r.returncode, 0, "a whole address still goes through")
t.done()
s.stop()
