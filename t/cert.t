#!/usr/bin/env python3
"""cert.t - `oomgr cert` round trip (issue 9).

generate -> list/show (dates and SHA-256 fingerprint as openssl reads
them) -> imap4srv serves it on IMAPS (openssl s_client); request -> a
test CA signs -> install with its chain -> pop3srv serves it on POP3S and
s_client verifies it against the CA.  Refusals, each with its reason: a
key that does not match, a chain that does not verify, an expired
certificate, an encrypted key without its line in a private
sslpassword.conf; and the encrypted key installed once that is right.
"""

import json
import os
import pwd
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import emstest  # noqa: E402

t = emstest.Tap()
if not os.access(os.path.join(emstest.BIN, "oomgr"), os.X_OK):
    t.skip_all("oomgr is not built")

suite = emstest.Suite(name="cert")
W = suite.dir
TLS = os.path.join(suite.state, "tls")
if os.geteuid() == 0:
    # As root oomgr gives keys to the servers' user; make that one real.
    suite.conf.update({"user": "nobody", "group": "nogroup"})
    suite.write_conf()
    OWNER = "nobody"
else:
    OWNER = None


def oomgr(*args):
    return suite.run("oomgr", "-c", suite.conf_path, *args, timeout=60)


def openssl(*args, input=None):
    return subprocess.run(["openssl"] + list(args), capture_output=True,
                          text=True, input=input, timeout=60)


def x509(path, *what):
    return openssl("x509", "-in", path, "-noout", *what).stdout


def openssl_fingerprint(path):
    return x509(path, "-fingerprint", "-sha256").strip().split("=", 1)[-1]


def openssl_date(path, which):
    """notBefore/notAfter as "YYYY-MM-DD HH:MM:SS UTC"."""
    text = x509(path, "-" + which.lower()).strip().split("=", 1)[-1]
    return time.strftime("%Y-%m-%d %H:%M:%S UTC",
                         time.strptime(text, "%b %d %H:%M:%S %Y GMT"))


def listed():
    r = oomgr("--json", "cert", "list")
    try:
        return {c["name"]: c for c in json.loads(r.stdout)}
    except ValueError:
        t.diag("cert list --json: %r %r" % (r.stdout, r.stderr))
        return {}


def s_client(port, line, host, cafile=None):
    args = ["s_client", "-connect", "127.0.0.1:%d" % port, "-servername",
            host, "-ign_eof", "-crlf"]
    if cafile:
        args += ["-CAfile", cafile, "-verify_return_error"]
    return openssl(*args, input=line + "\n")


def served_fingerprint(out):
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----",
                  out, re.S)
    if not m:
        return None
    return openssl("x509", "-noout", "-fingerprint", "-sha256",
                   input=m.group(0)).stdout.strip().split("=", 1)[-1]


def start_server(program, port):
    p = suite.start(program, "-c", suite.conf_path, "--listen-tls",
                    "127.0.0.1:%d" % port)
    return emstest.wait_for(lambda: emstest.port_open(port)) and p


# --- generate, list, show ---------------------------------------------
r = oomgr("cert generate imap cn=mail.example.test org=Acme "
          "orgunit=\"e-mail\" country=US days=30 altnames=localhost;")
t.is_(r.returncode, 0, "cert generate makes a self-signed certificate")
t.diag(r.stdout + r.stderr)
crt = os.path.join(TLS, "imap.crt")
key = os.path.join(TLS, "imap.key")
t.is_(oct(os.stat(key).st_mode & 0o777), "0o600", "its key has mode 0600")
if OWNER:
    t.is_(pwd.getpwuid(os.stat(key).st_uid).pw_name, OWNER,
          "and belongs to the servers' user")
t.like(x509(crt, "-ext", "subjectAltName"), "DNS:localhost",
       "altnames are in subjectAltName")

c = listed().get("imap", {})
t.is_(c.get("fingerprint_sha256"), openssl_fingerprint(crt),
      "list shows the SHA-256 fingerprint openssl computes")
t.is_((c.get("not_before"), c.get("not_after")),
      (openssl_date(crt, "startdate"), openssl_date(crt, "enddate")),
      "list shows the validity dates openssl reads")
t.is_((c.get("self_signed"), c.get("key_type"), c.get("subject")),
      (True, "RSA 2048", "CN=mail.example.test,OU=e-mail,O=Acme,C=US"),
      "self-signed, RSA 2048, the subject asked for")
r = oomgr("cert list;")
t.like(r.stdout, "imap ", "the table lists it")
t.like(r.stdout, openssl_date(crt, "enddate")[:16], "with its expiry date")
r = oomgr("cert show imap;")
t.like(r.stdout, "SHA-256 fingerprint: " + openssl_fingerprint(crt),
       "show prints the fingerprint")
r = oomgr("cert generate imap cn=other.example.test;")
t.ok(r.returncode != 0 and "exists already" in r.stderr,
     "generate does not overwrite without replace=yes")
r = oomgr("cert generate e1 cn=x country=USA;")
t.ok(r.returncode != 0 and "two-letter" in r.stderr,
     "a bad country code is refused: " + r.stderr.strip())

r = oomgr("cert generate ec cn=ec.example.test keytype=ecdsa bits=384;")
t.is_(listed().get("ec", {}).get("key_type"), "EC secp384r1",
      "keytype=ecdsa bits=384 makes a P-384 key")

# --- IMAPS with the generated certificate -----------------------------
suite.conf["tls"] = {"certificate": crt, "key": key}
suite.write_conf()
r = oomgr("insert domain qualifiedname=example.test;")
if os.access(suite.bin("imap4srv"), os.X_OK):
    port = emstest.free_port()
    if t.ok(start_server("imap4srv", port), "imap4srv listens with "
            "--listen-tls"):
        out = s_client(port, "a1 LOGOUT", "mail.example.test")
        t.like(out.stdout, "* OK", "openssl s_client gets the IMAP greeting")
        t.is_(served_fingerprint(out.stdout), openssl_fingerprint(crt),
              "over TLS with the installed certificate")
    else:
        t.diag(suite.logs())
        t.skip("imap4srv did not start", 2)
else:
    t.skip("imap4srv is not built", 3)

# --- request, a CA signs, install with its chain ------------------------
r = openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            "-subj", "/CN=ems test CA", "-keyout", W + "/ca.key",
            "-out", W + "/ca.crt", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=keyCertSign,cRLSign")
r = oomgr("cert request pop cn=pop.example.test org=Acme out=%s/pop.csr;" % W)
t.is_(r.returncode, 0, "cert request writes a request")
t.like(openssl("req", "-in", W + "/pop.csr", "-noout", "-verify",
               "-subject").stdout, "CN = pop.example.test",
       "a PKCS#10 request openssl verifies, for the subject asked")
openssl("x509", "-req", "-in", W + "/pop.csr", "-CA", W + "/ca.crt",
        "-CAkey", W + "/ca.key", "-CAcreateserial", "-days", "20",
        "-copy_extensions", "copy", "-out", W + "/pop.crt")
r = oomgr("cert install pop %s/pop.crt;" % W)
t.ok(r.returncode != 0 and "does not verify" in r.stderr,
     "without the CA the chain does not verify: " + r.stderr.strip())
r = oomgr("cert install pop %s/pop.crt %s/pop.key %s/ca.crt;"
          % (W, TLS, W))
t.is_(r.returncode, 0, "with the CA as chain it installs")
t.diag(r.stdout + r.stderr)
c = listed().get("pop", {})
t.is_((c.get("issuer"), c.get("self_signed")), ("CN=ems test CA", False),
      "list shows the CA as issuer, not self-signed")
t.is_(c.get("fingerprint_sha256"), openssl_fingerprint(W + "/pop.crt"),
      "and the fingerprint of the CA's certificate")

if os.access(suite.bin("pop3srv"), os.X_OK):
    suite.conf["tls"] = {"certificate": os.path.join(TLS, "pop.crt"),
                         "key": os.path.join(TLS, "pop.key"),
                         "chain": os.path.join(TLS, "pop.chain")}
    suite.write_conf()
    port = emstest.free_port()
    if t.ok(start_server("pop3srv", port), "pop3srv listens with "
            "--listen-tls"):
        out = s_client(port, "QUIT", "pop.example.test", W + "/ca.crt")
        t.like(out.stdout, "+OK", "openssl s_client gets the POP3 greeting")
        t.like(out.stdout, "Verify return code: 0 (ok)",
               "and verifies the certificate against the CA")
    else:
        t.diag(suite.logs())
        t.skip("pop3srv did not start", 2)
else:
    t.skip("pop3srv is not built", 3)

# --- refusals -----------------------------------------------------------
r = oomgr("cert install bad %s/pop.crt %s/ec.key %s/ca.crt;" % (W, TLS, W))
t.ok(r.returncode != 0, "a key of another certificate is refused")
t.like(r.stderr, "does not match the certificate", "saying it does not match")
t.ok(not os.path.exists(os.path.join(TLS, "bad.crt")), "and installs nothing")
openssl("x509", "-req", "-in", W + "/pop.csr", "-CA", W + "/ca.crt",
        "-CAkey", W + "/ca.key", "-days", "-1", "-out", W + "/old.crt")
r = oomgr("cert install old %s/old.crt %s/pop.key %s/ca.crt;" % (W, TLS, W))
t.ok(r.returncode != 0 and "expired on" in r.stderr,
     "an expired certificate is refused: " + r.stderr.strip())

# --- encrypted key and sslpassword.conf -----------------------------------
openssl("req", "-x509", "-newkey", "rsa:2048", "-days", "5", "-subj",
        "/CN=enc.example.test", "-passout", "pass:s3cret!",
        "-keyout", W + "/enc.key", "-out", W + "/enc.crt")
r = oomgr("cert install enc %s/enc.crt %s/enc.key;" % (W, W))
t.ok(r.returncode != 0 and "encrypted" in r.stderr,
     "an encrypted key without a password file is refused")
pwfile = os.path.join(TLS, "sslpassword.conf")
with open(pwfile, "w") as f:
    f.write("# name:password\nenc:s3cret!\n")
os.chmod(pwfile, 0o644)
if OWNER:
    os.chown(pwfile, pwd.getpwnam(OWNER).pw_uid, -1)
r = oomgr("cert install enc %s/enc.crt %s/enc.key;" % (W, W))
t.ok(r.returncode != 0 and "0644" in r.stderr,
     "a password file others may read is refused: " + r.stderr.strip())
os.chmod(pwfile, 0o600)
r = oomgr("cert install enc %s/enc.crt %s/enc.key;" % (W, W))
t.is_(r.returncode, 0, "with a private password file it installs")
with open(os.path.join(TLS, "enc.key")) as f:
    t.like(f.read(), "ENCRYPTED", "and the key stays encrypted on disk")
r = oomgr("cert remove enc;")
t.ok(r.returncode == 0 and "enc" not in listed(), "cert remove removes it")

# --- replacing a CA-signed certificate by a self-signed one ---------------
r = oomgr("cert generate pop cn=pop.example.test replace=yes;")
t.ok(r.returncode == 0 and listed().get("pop", {}).get("self_signed"),
     "replace=yes puts a self-signed certificate in its place")
t.ok(not os.path.exists(os.path.join(TLS, "pop.chain")),
     "and drops the old certificate's chain")

suite.stop()
t.done()
