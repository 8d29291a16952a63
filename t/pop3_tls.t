#!/usr/bin/env python3
"""pop3_tls.t - POP3 over TLS: STLS (RFC 2595) with poplib and openssl
s_client, implicit TLS (POP3S) with poplib and curl pop3s://, STLS
refused when pipelined or repeated, and plaintextmincipher: USER/PASS
and AUTH PLAIN refused with [AUTH] before TLS and accepted after it."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emsmail  # noqa: E402
import emstest  # noqa: E402
from emspop import PASSWORD, USER, PopSuite, Raw, tls_context  # noqa: E402
import base64  # noqa: E402
import poplib  # noqa: E402

t = emstest.Tap()
for prog in ("pop3srv", "oomgr", "smtpgw", "postman"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = PopSuite({"auth": {"plaintextmincipher": 128}}, name="pop3tls")
s.start_daemons(smtpgw=False)
msg = emsmail.make_message("over tls", body="secret body\n")
s.deliver(msg)
stored = s.message(USER, s.wait_messages(USER, 1)[0].uid)
s.start_pop()

# --- plaintextmincipher before TLS ---
r = Raw(s.pop_port)
first, caps = r.multi("CAPA")
t.ok(b"STLS" in caps and b"USER" not in caps and not any(c.startswith(b"SASL") for c in caps),
     "before TLS, CAPA offers STLS but neither USER nor a cleartext SASL mechanism")
t.ok(r.command("USER %s" % USER).startswith(b"-ERR [AUTH]"),
     "USER before TLS is refused with [AUTH]")
plain = base64.b64encode(b"\0" + USER.encode() + b"\0" + PASSWORD.encode()).decode()
t.ok(r.command("AUTH PLAIN %s" % plain).startswith(b"-ERR [AUTH]"),
     "AUTH PLAIN before TLS is refused with [AUTH]")
r.send("STLS\r\nNOOP\r\n")
t.ok(r.line().startswith(b"-ERR STLS must be the last command"),
     "STLS with a command pipelined behind it is refused")
r.line()
t.is_(r.command("STLS"), b"+OK begin TLS negotiation", "STLS is accepted")
r.starttls()
first, caps = r.multi("CAPA")
t.ok(b"USER" in caps and b"STLS" not in caps and b"SASL PLAIN LOGIN" in caps,
     "after STLS, CAPA offers USER and SASL, no more STLS")
t.ok(r.command("STLS").startswith(b"-ERR"), "STLS twice is refused")
t.ok(r.command("AUTH PLAIN %s" % plain).startswith(b"+OK maildrop has 1"),
     "AUTH PLAIN inside TLS logs in")
first, lines = r.multi("RETR 1")
t.ok(b"\r\n".join(lines) + b"\r\n" == stored, "RETR inside TLS is byte-exact")
r.command("QUIT")
r.close()

# --- poplib STLS and POP3S ---
m = poplib.POP3("127.0.0.1", s.pop_port, timeout=emstest.DEFAULT_TIMEOUT)
m.stls(tls_context())
m.user(USER)
m.pass_(PASSWORD)
t.is_(m.stat()[0], 1, "poplib with stls() logs in")
m.quit()
m = s.connect_tls()
resp, lines, octets = m.retr(1)
t.ok(b"\r\n".join(lines) + b"\r\n" == stored, "poplib over POP3S retrieves the message")
m.quit()

# --- curl and openssl ---
if shutil.which("curl"):
    r2 = subprocess.run(["curl", "-sk", "--max-time", "10", "pop3s://127.0.0.1:%d/1" % s.pops_port,
                         "-u", "%s:%s" % (USER, PASSWORD)], capture_output=True)
    t.ok(r2.returncode == 0 and r2.stdout == stored, "curl pop3s:// retrieves the message")
    r2 = subprocess.run(["curl", "-sk", "--ssl-reqd", "--max-time", "10",
                         "pop3://127.0.0.1:%d/1" % s.pop_port, "-u", "%s:%s" % (USER, PASSWORD)],
                        capture_output=True)
    t.ok(r2.returncode == 0 and r2.stdout == stored, "curl pop3:// --ssl-reqd uses STLS")
else:
    t.skip("curl is not installed", 2)
p = subprocess.run(["openssl", "s_client", "-starttls", "pop3", "-connect",
                    "127.0.0.1:%d" % s.pop_port, "-quiet"],
                   input=("USER %s\r\nPASS %s\r\nSTAT\r\nQUIT\r\n" % (USER, PASSWORD)).encode(),
                   capture_output=True, timeout=20)
t.ok(b"+OK maildrop has 1 messages" in p.stdout and b"+OK 1 " in p.stdout,
     "openssl s_client -starttls pop3 logs in and STATs")
p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % s.pops_port,
                    "-tls1_1"], input=b"", capture_output=True, timeout=20)
t.ok(p.returncode != 0 or b"Cipher is (NONE)" in p.stdout, "TLS 1.1 is refused")
t.like(s.log_text("pop3srv"), "event=pop3_tls", "TLS sessions are logged")
s.stop()
t.done()
