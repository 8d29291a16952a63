#!/usr/bin/env python3
"""sasl_external.t - SASL EXTERNAL (RFC 4422 appendix A) with TLS client
certificates on IMAP and POP3: a test CA and client certificates made
with openssl; login with imaplib over IMAPS and STARTTLS, raw AUTH
EXTERNAL over POP3S, curl --cert on both; the person taken from the
certificate's CN (qualified with auth.default_domain) or its e-mail
address; EXTERNAL neither offered nor accepted without a certificate,
with one from another CA, or on a plain connection; an unknown person,
a person not allowed the service and an authorization identity naming
someone else refused; nothing asked for without tls.client_ca."""
import base64
import imaplib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
import emsimap  # noqa: E402
import emspop  # noqa: E402
from emsproto import USER, tls_context  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "pop3srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

pki = tempfile.mkdtemp(prefix="ems-test-pki-")


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


def make_ca(name):
    key, crt = os.path.join(pki, name + ".key"), os.path.join(pki, name + ".pem")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/O=ems test/CN=%s" % name, "-keyout", key, "-out", crt,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return key, crt


def make_client(name, subject, ca, san=None):
    """A client certificate SUBJECT issued by CA; returns (cert, key)."""
    key, csr, crt = (os.path.join(pki, name + ext) for ext in (".key", ".csr", ".pem"))
    ext = os.path.join(pki, name + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
        if san:
            f.write("subjectAltName=%s\n" % san)
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", subject,
            "-keyout", key, "-out", csr)
    openssl("x509", "-req", "-in", csr, "-CA", ca[1], "-CAkey", ca[0],
            "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", crt)
    return crt, key


ca = make_ca("clientca")
other_ca = make_ca("otherca")
demo_cn = make_client("demo", "/O=ems test/CN=demo", ca)
demo_mail = make_client("mail", "/CN=Demo Person", ca, san="email:%s" % USER)
rogue = make_client("rogue", "/CN=demo", other_ca)
nobody = make_client("nobody", "/CN=nobody", ca, san="email:nobody@example.test")
popper = make_client("popper", "/CN=popper", ca, san="email:popper@example.test")


def ctx_with(cert=None):
    c = tls_context()
    if cert:
        c.load_cert_chain(cert[0], cert[1])
    return c


def b64(text):
    return base64.b64encode(text.encode()).decode()


def curl_external(cert, url):
    """curl at URL with CERT and SASL EXTERNAL (the user name goes as the
    authorization identity); None after a skip when there is no curl."""
    if not shutil.which("curl"):
        t.skip("curl is not installed")
        return None
    return subprocess.run(["curl", "-sk", "--max-time", "20", "--cert", cert[0], "--key", cert[1],
                           "--login-options", "AUTH=EXTERNAL", "-u", "%s:" % USER, url],
                          capture_output=True)


def add_people(s):
    s.admin("insert person username=popper@example.test password=x",
            "update person username=popper@example.test services=pop")


# ---------------------------------------------------------------- IMAP
s = emsimap.ImapSuite({"tls": {"client_ca": ca[1]},
                       "auth": {"default_domain": "example.test"}}, name="saslext")
add_people(s)
s.start_imap()


def imaps(cert):
    return imaplib.IMAP4_SSL("127.0.0.1", s.imaps_port, ssl_context=ctx_with(cert),
                             timeout=emstest.DEFAULT_TIMEOUT)


def caps_tls(cert):
    r = emsimap.Raw(s.imaps_port, tls=True, context=ctx_with(cert))
    lines, tagged = r.command("c", "CAPABILITY")
    r.close()
    return b" ".join(lines).split()


t.ok(b"AUTH=EXTERNAL" in caps_tls(demo_cn), "IMAPS with a verified certificate offers AUTH=EXTERNAL")
t.ok(b"AUTH=EXTERNAL" not in caps_tls(None), "IMAPS without a certificate does not offer it")
t.ok(b"AUTH=EXTERNAL" not in caps_tls(rogue),
     "IMAPS with a certificate from another CA does not offer it")
r = emsimap.Raw(s.imap_port)
lines, tagged = r.command("c", "CAPABILITY")
t.ok(b"AUTH=EXTERNAL" not in b" ".join(lines), "the plain port does not offer it")
t.ok(r.command("a", "AUTHENTICATE EXTERNAL =")[1].startswith(b"a NO"),
     "AUTHENTICATE EXTERNAL on the plain port is refused")
r.close()

m = imaps(demo_cn)
typ, data = m.authenticate("EXTERNAL", lambda challenge: b"")
t.is_(typ, "OK", "imaplib AUTHENTICATE EXTERNAL with the CN certificate logs in")
typ, data = m.select("INBOX")
t.is_(typ, "OK", "and the session is the demo person's (SELECT INBOX)")
m.logout()

r = emsimap.Raw(s.imaps_port, tls=True, context=ctx_with(demo_cn))
t.ok(r.command("a", "AUTHENTICATE EXTERNAL %s" % b64(USER))[1].startswith(b"a OK"),
     "an authorization identity naming the same person is accepted (SASL-IR)")
r.close()
r = emsimap.Raw(s.imaps_port, tls=True, context=ctx_with(demo_cn))
t.ok(r.command("a", "AUTHENTICATE EXTERNAL %s" % b64("popper@example.test"))[1]
     .startswith(b"a NO"), "an authorization identity naming another person is refused")
r.close()

for cert, what in ((None, "without a certificate"), (rogue, "with another CA's certificate")):
    m = imaps(cert)
    try:
        m.authenticate("EXTERNAL", lambda challenge: b"")
        t.ok(False, "AUTHENTICATE EXTERNAL %s is refused" % what)
    except imaplib.IMAP4.error:
        t.ok(True, "AUTHENTICATE EXTERNAL %s is refused" % what)
    m.logout()

m = imaps(nobody)
try:
    m.authenticate("EXTERNAL", lambda challenge: b"")
    t.ok(False, "a certificate for no person gets NO")
except imaplib.IMAP4.error as e:
    t.ok("AUTHENTICATIONFAILED" in str(e), "a certificate for no person gets NO")
m.logout()

m = imaps(popper)
try:
    m.authenticate("EXTERNAL", lambda challenge: b"")
    t.ok(False, "a person not allowed IMAP gets NO")
except imaplib.IMAP4.error:
    t.ok(True, "a person not allowed IMAP gets NO")
m.logout()

# STARTTLS with a certificate
r = emsimap.Raw(s.imap_port)
r.command("s", "STARTTLS")
r.starttls(ctx_with(demo_cn))
lines, tagged = r.command("c", "CAPABILITY")
t.ok(b"AUTH=EXTERNAL" in b" ".join(lines), "after STARTTLS with a certificate, AUTH=EXTERNAL")
r.send("a AUTHENTICATE EXTERNAL\r\n")
cont = r.line()
r.send("\r\n")
lines, tagged = r.until("a")
t.ok(cont == b"+ " and tagged.startswith(b"a OK"),
     "the empty challenge and an empty response log in after STARTTLS")
r.close()

c = curl_external(demo_cn, "imaps://127.0.0.1:%d/" % s.imaps_port)
if c is not None:
    t.ok(c.returncode == 0 and b"INBOX" in c.stdout, "curl --cert imaps:// logs in with EXTERNAL")

log = s.log_text("imap4srv")
t.like(log, "mech=EXTERNAL", "logins with EXTERNAL are logged with their mechanism")
t.like(log, "reason=\"authorization identity is another person\"",
       "a refused authorization identity is logged with its reason")
t.like(log, "event=tls_client_cert", "a certificate that fails verification is logged")
s.stop()

# ---------------------------------------------------------------- POP3
p = emspop.PopSuite({"tls": {"client_ca": ca[1]},
                     "auth": {"certificate_user": "email"}}, name="saslextpop")
add_people(p)
p.start_pop()


def pop_raw(cert):
    return emspop.Raw(p.pops_port, tls=True, context=ctx_with(cert))


def pop_external(cert, tls=True):
    """The answer to AUTH EXTERNAL = on a new POP3S (or plain)
    connection with CERT."""
    r = pop_raw(cert) if tls else emspop.Raw(p.pop_port)
    reply = r.command("AUTH EXTERNAL =")
    r.close()
    return reply


r = pop_raw(demo_mail)
first, caps = r.multi("CAPA")
t.ok(any(c.startswith(b"SASL") and b"EXTERNAL" in c for c in caps),
     "POP3S CAPA with a verified certificate lists SASL EXTERNAL")
t.ok(r.command("AUTH EXTERNAL =").startswith(b"+OK maildrop has"),
     "AUTH EXTERNAL with the e-mail certificate logs in")
r.command("QUIT")
r.close()

r = pop_raw(demo_mail)
t.is_(r.command("AUTH EXTERNAL"), b"+ ", "AUTH EXTERNAL without a response gets an empty challenge")
t.ok(r.command(b64(USER)).startswith(b"+OK maildrop has"),
     "its response, the same person's name, logs in")
r.close()

t.ok(pop_external(demo_cn).startswith(b"-ERR"),
     "a certificate without the configured field (email) is refused")
r = pop_raw(None)
first, caps = r.multi("CAPA")
t.ok(not any(b"EXTERNAL" in c for c in caps), "POP3S without a certificate: no EXTERNAL in CAPA")
r.close()
t.ok(pop_external(None).startswith(b"-ERR"), "and AUTH EXTERNAL is refused")
t.ok(pop_external(rogue).startswith(b"-ERR"),
     "AUTH EXTERNAL with another CA's certificate is refused")
t.ok(pop_external(nobody).startswith(b"-ERR [AUTH]"),
     "a certificate for no person gets -ERR [AUTH]")
t.ok(pop_external(popper).startswith(b"+OK maildrop has"),
     "a person allowed POP3 (only) logs in with EXTERNAL")
t.ok(pop_external(None, tls=False).startswith(b"-ERR"),
     "AUTH EXTERNAL on the plain port is refused")

c = curl_external(demo_mail, "pop3s://127.0.0.1:%d/" % p.pops_port)
if c is not None:
    t.ok(c.returncode == 0, "curl --cert pop3s:// logs in with EXTERNAL")
t.like(p.log_text("pop3srv"), "mech=EXTERNAL", "POP3 logs EXTERNAL logins")
p.stop()

# ------------------------------------------- no tls.client_ca: not asked
n = emspop.PopSuite({}, name="saslextnone")
n.start_pop()
r = emspop.Raw(n.pops_port, tls=True, context=ctx_with(demo_mail))
first, caps = r.multi("CAPA")
t.ok(first.startswith(b"+OK") and not any(b"EXTERNAL" in c for c in caps),
     "without tls.client_ca a client certificate is not used: no EXTERNAL")
r.close()
n.stop()
shutil.rmtree(pki, ignore_errors=True)
t.done()
