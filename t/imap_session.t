#!/usr/bin/env python3
"""imap_session.t - an IMAP session from greeting to LOGOUT: CAPABILITY
in each state, LOGIN and AUTHENTICATE (PLAIN, LOGIN, SASL-IR), the
delay and the limit on failed logins, STARTTLS and implicit TLS,
plaintextmincipher (LOGINDISABLED), a person without IMAP, ID, ENABLE,
NOOP, commands in the wrong state, and the BYE on LOGOUT."""
import base64
import imaplib
import os
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import PASSWORD, USER, ImapSuite, Raw  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = ImapSuite({"imap": {"banner": "Test IMAP at your service"}}, name="session")
s.admin("insert person username=popper@example.test password=pw",
        "insert person username=secret@example.test password=Zq9-secret",
        "update person username=popper@example.test services=pop")
s.start_imap()

# --- greeting and capabilities ---
r = Raw(s.imap_port)
t.ok(r.greeting.startswith(b"* OK [CAPABILITY IMAP4rev1 ") and
     r.greeting.endswith(b"] Test IMAP at your service"),
     "the greeting carries the capabilities and the configured banner")
caps = r.greeting.split(b"[CAPABILITY ", 1)[1].split(b"]")[0].split()
for c in (b"STARTTLS", b"AUTH=PLAIN", b"AUTH=LOGIN", b"SASL-IR", b"LITERAL+", b"IDLE"):
    t.ok(c in caps, "before login: %s" % c.decode())
t.ok(b"UIDPLUS" not in caps, "extensions for logged-in clients are not shown yet")
lines, tagged = r.command("a1", "SELECT INBOX")
t.ok(tagged.startswith(b"a1 BAD"), "SELECT before login is BAD")
lines, tagged = r.command("a2", "FROB")
t.ok(tagged.startswith(b"a2 BAD"), "an unknown command is BAD")
lines, tagged = r.command("a3", "LOGIN")
t.ok(tagged.startswith(b"a3 BAD"), "LOGIN without arguments is BAD")
r.send("\r\n")
lines, tagged = r.command("a4", "NOOP")
t.is_(tagged, b"a4 OK NOOP completed", "an empty line is ignored, NOOP answers OK")
lines, tagged = r.command("a5", 'ID ("name" "emstest" "version" "1")')
t.ok(lines and lines[0].startswith(b'* ID ("name" "ems"') and tagged.startswith(b"a5 OK"),
     "ID answers with the server's name")

# --- LOGIN ---
lines, tagged = r.command("b1", 'LOGIN "%s" "%s"' % (USER, PASSWORD))
t.ok(tagged.startswith(b"b1 OK [CAPABILITY ") and b"UIDPLUS" in tagged and
     b"CONDSTORE" in tagged and b"QUOTA" in tagged,
     "LOGIN succeeds with the full capability list")
lines, tagged = r.command("b2", "LOGIN x y")
t.ok(tagged.startswith(b"b2 BAD"), "LOGIN after login is BAD")
lines, tagged = r.command("b3", "ENABLE CONDSTORE X-UNKNOWN")
t.is_(lines, [b"* ENABLED CONDSTORE"], "ENABLE names what it enabled, ignores the rest")
lines, tagged = r.command("b4", "CAPABILITY")
t.ok(b"NAMESPACE" in lines[0] and b"STARTTLS" not in lines[0],
     "CAPABILITY after login: extensions, no STARTTLS")
lines, tagged = r.command("b6", "GETQUOTAROOT INBOX")
t.is_(lines, [b"* QUOTAROOT INBOX"], "GETQUOTAROOT without a quota: no root (RFC 9208)")
lines, tagged = r.command("b7", 'GETQUOTA ""')
t.ok(tagged.startswith(b"b7 NO [NONEXISTENT]"), "  and GETQUOTA has none to show")
lines, tagged = r.command("b5", "LOGOUT")
t.ok(lines == [b"* BYE logging out"] and tagged == b"b5 OK LOGOUT completed",
     "LOGOUT: BYE, then OK")
t.is_(r.line(), b"", "and the server closes the connection")
r.close()

# --- failed logins ---
r = Raw(s.imap_port)
start = time.monotonic()
lines, tagged = r.command("c1", "LOGIN %s wrong" % USER)
took = time.monotonic() - start
t.ok(tagged.startswith(b"c1 NO [AUTHENTICATIONFAILED]"), "a wrong password: NO [AUTHENTICATIONFAILED]")
t.ok(took >= 0.9, "  answered only after a delay (%.2f s)" % took)
lines, tagged = r.command("c2", "LOGIN nobody@example.test x")
t.ok(tagged.startswith(b"c2 NO [AUTHENTICATIONFAILED]"), "an unknown person: the same answer")
lines, tagged = r.command("c3", "LOGIN demo x")
t.ok(lines == [b"* BYE too many failed logins"] and tagged.startswith(b"c3 NO"),
     "the third failure ends the connection")
t.is_(r.line(), b"", "  closed")
r.close()

m = s.connect(login=False)
try:
    m.login("popper@example.test", "pw")
    t.ok(False, "a person without IMAP cannot log in")
except imaplib.IMAP4.error as e:
    t.like(str(e), "AUTHORIZATIONFAILED", "a person without IMAP: NO [AUTHORIZATIONFAILED]")
m.shutdown()

# --- AUTHENTICATE ---
r = Raw(s.imap_port)
plain = base64.b64encode(("\0%s\0%s" % (USER, PASSWORD)).encode()).decode()
lines, tagged = r.command("d1", "AUTHENTICATE PLAIN " + plain)
t.ok(tagged.startswith(b"d1 OK [CAPABILITY"), "AUTHENTICATE PLAIN with an initial response (SASL-IR)")
r.close()

r = Raw(s.imap_port)
r.send("d2 AUTHENTICATE PLAIN\r\n")
t.is_(r.line(), b"+ ", "PLAIN without initial response: an empty challenge")
r.send(plain + "\r\n")
lines, tagged = r.until("d2")
t.ok(tagged.startswith(b"d2 OK"), "  the response logs in")
r.close()

r = Raw(s.imap_port)
r.send("d3 AUTHENTICATE LOGIN\r\n")
t.is_(base64.b64decode(r.line()[2:]), b"Username:", "LOGIN asks for the user name")
r.send(base64.b64encode(USER.encode()) + b"\r\n")
t.is_(base64.b64decode(r.line()[2:]), b"Password:", "  then for the password")
r.send(base64.b64encode(PASSWORD.encode()) + b"\r\n")
lines, tagged = r.until("d3")
t.ok(tagged.startswith(b"d3 OK"), "  and logs in")
r.close()

r = Raw(s.imap_port)
r.send("d4 AUTHENTICATE PLAIN\r\n")
r.line()
r.send("*\r\n")
lines, tagged = r.until("d4")
t.ok(tagged.startswith(b"d4 BAD"), "a client's * cancels AUTHENTICATE")
lines, tagged = r.command("d5", "AUTHENTICATE PLAIN !!!")
t.ok(tagged.startswith(b"d5 BAD"), "invalid base64 is BAD")
lines, tagged = r.command("d6", "AUTHENTICATE GSSAPI")
t.ok(tagged.startswith(b"d6 NO"), "an unsupported mechanism is NO")
r.close()

# --- TLS ---
m = s.connect(login=False)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
m.starttls(ssl_context=ctx)
t.ok("STARTTLS" not in m.capabilities, "after STARTTLS the capability list has no STARTTLS")
t.is_(m.login(USER, PASSWORD)[0], "OK", "LOGIN inside STARTTLS")
m.logout()

r = Raw(s.imap_port)
r.send("e1 STARTTLS\r\ne2 NOOP\r\n")
lines, tagged = r.until("e1")
t.ok(tagged.startswith(b"e1 BAD"), "a command pipelined behind STARTTLS makes it BAD "
     "(no injection into the TLS session)")
r.close()

m = s.connect_tls()
t.is_(m.select("INBOX")[0], "OK", "implicit TLS on the TLS listener")
m.logout()

# --- plaintextmincipher ---
s.imap.terminate()
s.imap.wait()
s.conf["auth"] = {"plaintextmincipher": 128}
s.write_conf()
s.start_imap()
r = Raw(s.imap_port)
t.ok(b"LOGINDISABLED" in r.greeting and b"AUTH=PLAIN" not in r.greeting,
     "plaintextmincipher: LOGINDISABLED before TLS")
lines, tagged = r.command("f1", "LOGIN %s %s" % (USER, PASSWORD))
t.ok(tagged.startswith(b"f1 NO [PRIVACYREQUIRED]"), "  LOGIN refused in cleartext")
r.close()
m = s.connect_tls(login=False)
t.ok("AUTH=PLAIN" in m.capabilities and "LOGINDISABLED" not in m.capabilities,
     "  over TLS the password mechanisms are back")
t.is_(m.login(USER, PASSWORD)[0], "OK", "  and LOGIN works")
m.logout()

m = s.connect_tls(login=False)
m.login("secret@example.test", "Zq9-secret")
m.logout()
m = s.connect_tls(login=False)
try:
    m.login("secret@example.test", "Wrong-Zq9")
except imaplib.IMAP4.error:
    pass
m.shutdown()
log = s.log_text("imap4srv")
t.ok("Zq9" not in log and "secret@example.test" in log,
     "the log names the user but never a password, right or wrong")
s.stop()
t.done()
