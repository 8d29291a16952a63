#!/usr/bin/env python3
"""pop3_auth.t - POP3 logins (RFC 5034 AUTH, RFC 1939 APOP): AUTH
PLAIN with and without an initial response, AUTH LOGIN, cancelling
with "*", malformed base64, an authorization identity for someone else,
login separators and the default domain, and with retrievable secrets
on: the APOP timestamp in the banner, APOP and AUTH CRAM-MD5 (with
poplib's apop() and a hand-made HMAC), and a changed password voiding
the kept secret."""
import base64
import hashlib
import hmac
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emspop import PASSWORD, USER, PopSuite, Raw  # noqa: E402
import poplib  # noqa: E402

t = emstest.Tap()
for prog in ("pop3srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)


def b64(text):
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


s = PopSuite({"auth": {"retrievable_secrets": True, "login_separators": "@+",
                       "default_domain": "example.test", "fail_delay_ms": 50,
                       "fail_delay_max_ms": 100}}, name="pop3auth")
s.start_pop()

r = Raw(s.pop_port)
t.ok(r.greeting.startswith(b"+OK ems POP3 server ready <") and r.greeting.endswith(b">"),
     "with retrievable secrets the banner carries APOP's timestamp")
first, caps = r.multi("CAPA")
t.ok(b"SASL PLAIN LOGIN CRAM-MD5" in caps, "CAPA offers CRAM-MD5")
first, mechs = r.multi("AUTH")
t.is_(mechs, [b"PLAIN", b"LOGIN", b"CRAM-MD5"], "AUTH alone lists the mechanisms")
t.ok(r.command("AUTH GSSAPI").startswith(b"-ERR"), "an unknown mechanism is refused")
t.ok(r.command("AUTH PLAIN ####").startswith(b"-ERR invalid base64"), "bad base64 is refused")
t.is_(r.command("AUTH PLAIN"), b"+ ", "AUTH PLAIN without response gets an empty challenge")
t.ok(r.command("*").startswith(b"-ERR authentication cancelled"), "* cancels")
t.is_(r.command("AUTH PLAIN"), b"+ ", "AUTH PLAIN again")
t.ok(r.command(b64("\0demo@example.test\0demo")).startswith(b"+OK maildrop"),
     "the response logs in")
r.command("QUIT")
r.close()

r = Raw(s.pop_port)
t.ok(r.command("AUTH PLAIN %s" % b64("root@example.test\0%s\0%s" % (USER, PASSWORD)))
     .startswith(b"-ERR [AUTH]"), "PLAIN acting for another identity is refused")
t.ok(r.command("AUTH PLAIN %s" % b64("%s\0%s\0%s" % (USER, USER, PASSWORD)))
     .startswith(b"+OK"), "PLAIN naming itself as authzid logs in")
r.command("QUIT")
r.close()

r = Raw(s.pop_port)
t.is_(r.command("AUTH LOGIN"), b"+ " + b64("Username:").encode(), "AUTH LOGIN asks the name")
t.is_(r.command(b64("demo+example.test")), b"+ " + b64("Password:").encode(),
      "  then the password (the name uses the second separator)")
t.ok(r.command(b64(PASSWORD)).startswith(b"+OK"), "  and logs in")
r.command("QUIT")
r.close()

r = Raw(s.pop_port)
r.command("USER demo")
t.ok(r.command("PASS %s" % PASSWORD).startswith(b"+OK"), "a bare name takes the default domain")
r.command("QUIT")
r.close()

# --- APOP and CRAM-MD5 ---
m = poplib.POP3("127.0.0.1", s.pop_port, timeout=emstest.DEFAULT_TIMEOUT)
t.ok(m.apop(USER, PASSWORD).startswith(b"+OK"),
     "poplib's APOP logs in (the secret was kept at the last clear login)")
m.quit()
m = poplib.POP3("127.0.0.1", s.pop_port, timeout=emstest.DEFAULT_TIMEOUT)
try:
    m.apop(USER, "wrong")
    t.ok(False, "APOP with a wrong secret fails")
except poplib.error_proto as e:
    t.ok(str(e).startswith("b'-ERR [AUTH]"), "APOP with a wrong secret fails with [AUTH]")
m.close()


def cram(r, user, secret):
    ch = r.command("AUTH CRAM-MD5")
    if not ch.startswith(b"+ "):
        return ch
    challenge = base64.b64decode(ch[2:])
    digest = hmac.new(secret.encode(), challenge, hashlib.md5).hexdigest()
    return r.command(b64("%s %s" % (user, digest)))


r = Raw(s.pop_port)
t.ok(cram(r, USER, PASSWORD).startswith(b"+OK maildrop"), "AUTH CRAM-MD5 logs in")
r.command("QUIT")
r.close()
r = Raw(s.pop_port)
t.ok(cram(r, USER, "nope").startswith(b"-ERR [AUTH]"), "CRAM-MD5 with a wrong secret fails")
r.close()
s.admin("update person username=%s password=newpw" % USER)
r = Raw(s.pop_port)
t.ok(cram(r, USER, "newpw").startswith(b"-ERR [AUTH]"),
     "after a password change CRAM-MD5 waits for a clear login")
r.command("USER %s" % USER)
t.ok(r.command("PASS newpw").startswith(b"+OK"), "the clear login with the new password")
r.command("QUIT")
r.close()
r = Raw(s.pop_port)
t.ok(cram(r, USER, "newpw").startswith(b"+OK"), "  and CRAM-MD5 works with it")
r.command("QUIT")
r.close()
log = s.log_text("pop3srv")
t.ok("newpw" not in log and PASSWORD + " " not in log, "no password in the log")
t.like(log, "event=auth_failed service=pop", "failures are logged")
s.stop()

# --- without retrievable secrets ---
s = PopSuite(name="pop3auth2")
s.start_pop()
r = Raw(s.pop_port)
t.is_(r.greeting, b"+OK ems POP3 server ready", "without secrets there is no timestamp")
t.ok(r.command("APOP %s 0123456789abcdef0123456789abcdef" % USER).startswith(b"-ERR"),
     "APOP is refused")
t.ok(r.command("AUTH CRAM-MD5").startswith(b"-ERR unsupported mechanism"),
     "CRAM-MD5 is refused")
r.close()
s.stop()
t.done()
