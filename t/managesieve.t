#!/usr/bin/env python3
"""managesieve.t - sievesrv, the ManageSieve server (RFC 5804), over raw
sockets, plain and after STARTTLS (Python's ssl): the capabilities, SASL
PLAIN with an initial response and after a challenge (only over TLS when
auth.plaintextmincipher asks for it), each script command's success and
refusal with RFC 5804's response codes, literals {n+} and {n}; a script
put and activated here then files a delivery (LMTP in, IMAP out); and
sieve-connect, a client nobody here wrote, uploads, activates and
downloads a script.  Last, under the guardian: the sieve service
through iolistener, whose access filter refuses an address with
ManageSieve's BYE; a store held locked answers NO (TRYLATER)."""
import base64
import os
import shutil
import smtplib
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402
from emsproto import PASSWORD, USER, RawLines, lock_store  # noqa: E402

t = emstest.Tap()
for prog in ("sievesrv", "imap4srv", "smtpgw", "postman", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)


class Sieve(RawLines):
    """A raw ManageSieve connection: commands, and each answer as its
    lines (literals joined in) and the final OK/NO/BYE line."""

    def __init__(self, port):
        self.buf = b""
        super().__init__(port)
        lines, final = self.until_done()
        self.caps = [self.greeting] + lines + [final]

    def until_done(self):
        """(lines, final): the response lines up to OK, NO or BYE."""
        lines = []
        while True:
            line = self.line()
            if line.endswith(b"}") and b"{" in line:
                n = int(line[line.rindex(b"{") + 1:-1])
                line = line[:line.rindex(b"{")] + self.take(n) + self.line()
            if line == b"" and not lines and not self.buf:
                return lines, b""
            if line.split(b" ")[0] in (b"OK", b"NO", b"BYE") or line in (b"OK", b"NO"):
                return lines, line
            lines.append(line)

    def cmd(self, text):
        self.send(text if isinstance(text, bytes) else text.encode() + b"\r\n")
        return self.until_done()

    def login(self):
        ir = base64.b64encode(b"\0" + USER.encode() + b"\0" + PASSWORD.encode()).decode()
        return self.cmd('AUTHENTICATE "PLAIN" "%s"' % ir)[1]

    def put(self, name, script, sync=False):
        data = script.encode()
        return self.cmd(b'PUTSCRIPT "%s" {%d%s}\r\n%s\r\n'
                        % (name.encode(), len(data), b"" if sync else b"+", data))[1]


s = ImapSuite(conf={"auth": {"plaintextmincipher": 128},
                    "store": {"busy_timeout_ms": 300},
                    "sieve": {"max_scripts": 2}}, name="managesieve")
s.start_imap()
s.start_daemons()
port = emstest.free_port()
s.start("sievesrv", "-c", s.conf_path, "--listen", "127.0.0.1:%d" % port)
t.ok(emstest.wait_for(lambda: emstest.port_open(port)), "sievesrv listens")

# ---- before TLS: capabilities, no password in clear ----
c = Sieve(port)
caps = b"\n".join(c.caps)
t.like(caps, b'"IMPLEMENTATION" "ems ManageSieve"', "the greeting names the implementation")
t.like(caps, b'"VERSION" "1.0"', "VERSION 1.0")
t.like(caps, b'"STARTTLS"', "STARTTLS is offered on a plain connection")
t.like(caps, b'"SASL" ""', "no SASL mechanism before TLS when plaintextmincipher asks for it")
t.like(caps, b'"SIEVE" "fileinto reject', "SIEVE lists the interpreter's extensions")
t.like(caps, b'"MAXREDIRECTS" "4"', "MAXREDIRECTS")
t.ok(c.caps[-1].startswith(b"OK"), "the greeting ends with OK")
t.like(c.login(), b"NO (ENCRYPT-NEEDED)", "AUTHENTICATE PLAIN without TLS is refused")
t.like(c.cmd("LISTSCRIPTS")[1], b"NO", "LISTSCRIPTS before a login is refused")
t.like(c.cmd("FROB")[1], b"NO", "an unknown command is refused")
lines, ok = c.cmd('NOOP "tag 1"')
t.is_(ok, b'OK (TAG "tag 1") "done"', "NOOP with a tag answers it back")
lines, ok = c.cmd("STARTTLS")
t.like(ok, b"OK", "STARTTLS is accepted")
c.starttls()
lines, ok = c.until_done()
caps = b"\n".join(lines)
t.like(caps, b'"SASL" "PLAIN"', "after STARTTLS the capabilities come again, with PLAIN")
t.ok(b'"STARTTLS"' not in caps, "and without STARTTLS")

# ---- login: wrong password, then PLAIN after an empty challenge ----
bad = base64.b64encode(b"\0" + USER.encode() + b"\0wrong").decode()
t.like(c.cmd('AUTHENTICATE "PLAIN" "%s"' % bad)[1], b"NO", "a wrong password is refused")
c.send('AUTHENTICATE "PLAIN"\r\n')
t.is_(c.line(), b'""', "without an initial response the server sends an empty challenge")
ir = base64.b64encode(b"\0" + USER.encode() + b"\0" + PASSWORD.encode())
lines, ok = c.cmd(b"{%d+}\r\n%s\r\n" % (len(ir), ir))
t.like(ok, b"OK", "the response as a literal logs in")
t.like(c.cmd('AUTHENTICATE "PLAIN" "x"')[1], b"NO", "a second AUTHENTICATE is refused")

# ---- the scripts ----
t.is_(c.cmd("LISTSCRIPTS"), ([], b'OK "listscripts completed"'), "no scripts at first")
broken = 'require "fileinto";\nif header :is "subject" "x" {\n  fileinto "A"\n}\n'
ok = c.put("broken", broken)
t.like(ok, b"NO", "PUTSCRIPT of a broken script is refused")
t.like(ok, b"line 4:1", "with the line and column of the error")
t.like(c.cmd(b'CHECKSCRIPT {%d+}\r\n%s\r\n' % (len(broken), broken.encode()))[1],
       b"line 4:1", "CHECKSCRIPT says the same")
good = 'require ["fileinto", "mailbox"];\nif header :contains "subject" "to-work" ' \
       '{ fileinto :create "Work"; stop; }\n'
t.like(c.cmd(b'CHECKSCRIPT {%d+}\r\n%s\r\n' % (len(good), good.encode()))[1], b"OK",
       "CHECKSCRIPT of a valid script")
t.like(c.put("main", good), b"OK", "PUTSCRIPT with a {n+} literal")
t.like(c.put("other", "keep;\r\n", sync=True), b"OK", "PUTSCRIPT with a {n} literal")
lines, ok = c.cmd("LISTSCRIPTS")
t.is_(sorted(lines), [b'"main"', b'"other"'], "LISTSCRIPTS names both, none active")
c.send('GETSCRIPT "main"\r\n')
head = c.line()
body = c.take(int(head[1:-1]))
t.is_(body, good.encode(), "GETSCRIPT gives the script back byte for byte")
t.like(c.until_done()[1], b"OK", "then OK")
t.like(c.cmd('GETSCRIPT "nope"')[1], b"NO (NONEXISTENT)", "GETSCRIPT of no script")
t.like(c.cmd('SETACTIVE "nope"')[1], b"NO (NONEXISTENT)", "SETACTIVE of no script")
t.like(c.cmd('SETACTIVE "main"')[1], b"OK", "SETACTIVE")
lines, ok = c.cmd("LISTSCRIPTS")
t.ok(b'"main" ACTIVE' in lines and b'"other"' in lines, "LISTSCRIPTS marks it ACTIVE")
t.like(c.cmd('DELETESCRIPT "main"')[1], b"NO (ACTIVE)", "the active script cannot be deleted")
t.like(c.cmd('RENAMESCRIPT "other" "main"')[1], b"NO (ALREADYEXISTS)",
       "RENAMESCRIPT onto a taken name")
t.like(c.cmd('RENAMESCRIPT "nope" "x"')[1], b"NO (NONEXISTENT)", "RENAMESCRIPT of no script")
t.like(c.cmd('RENAMESCRIPT "other" "spare"')[1], b"OK", "RENAMESCRIPT")
t.like(c.cmd('DELETESCRIPT "spare"')[1], b"OK", "DELETESCRIPT of an inactive script")
t.like(c.cmd('DELETESCRIPT "spare"')[1], b"NO (NONEXISTENT)", "and it is gone")
t.like(c.cmd('HAVESPACE "new" 1000')[1], b"OK", "HAVESPACE for a small script")
t.like(c.cmd('HAVESPACE "new" 10000000')[1], b"NO (QUOTA/MAXSIZE)",
       "HAVESPACE over the size limit")
# sieve.max_scripts = 2: "main" and one more
t.like(c.put("two", "keep;\r\n"), b"OK", "a second script, within sieve.max_scripts")
t.like(c.cmd('HAVESPACE "three" 10')[1], b"NO (QUOTA/MAXSCRIPTS)",
       "HAVESPACE for a third script: over sieve.max_scripts")
t.like(c.put("three", "keep;\r\n"), b"NO (QUOTA/MAXSCRIPTS)",
       "PUTSCRIPT of a third script is refused")
t.like(c.cmd('HAVESPACE "two" 10')[1], b"OK", "HAVESPACE to replace a script is fine")
t.like(c.put("two", "discard;\r\n"), b"OK", "and so is PUTSCRIPT replacing it")
lines, ok = c.cmd("LISTSCRIPTS")
t.is_(sorted(lines), [b'"main" ACTIVE', b'"two"'], "the refused script was not stored")
t.like(c.cmd('DELETESCRIPT "two"')[1], b"OK", "DELETESCRIPT makes room again")
big = "keep;\n" + "#" * 70000 + "\n"
t.like(c.put("big", big), b"NO (QUOTA/MAXSIZE)", "PUTSCRIPT over the size limit")
t.like(c.cmd("NOOP")[1], b"OK", "the session goes on after it")

# ---- the active script filters a delivery (LMTP in, IMAP out) ----
msg = ("From: a@outside.example\r\nTo: %s\r\nSubject: to-work 1\r\n"
       "Message-ID: <1.managesieve@outside.example>\r\n\r\nbody\r\n" % USER)
lmtp = smtplib.LMTP("127.0.0.1", s.lmtp_port, timeout=emstest.DEFAULT_TIMEOUT)
lmtp.sendmail("a@outside.example", [USER], msg)
lmtp.quit()
m = s.connect_tls()


def in_work():
    typ, data = m.select("Work", readonly=True)
    if typ != "OK" or data[0] == b"0":
        return None
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    return b"to-work 1" in data[0][1]


t.ok(emstest.wait_for(in_work), "the script put and activated over ManageSieve files mail")
m.logout()

t.like(c.cmd('SETACTIVE ""')[1], b"OK", 'SETACTIVE "" deactivates')
lines, ok = c.cmd("LISTSCRIPTS")
t.ok(b'"main"' in lines, "no script is active then")
t.like(c.cmd('DELETESCRIPT "main"')[1], b"OK", "and it can be deleted")
t.like(c.cmd("UNAUTHENTICATE")[1], b"OK", "UNAUTHENTICATE")
t.like(c.cmd("LISTSCRIPTS")[1], b"NO", "after it the scripts are out of reach")
t.like(c.login(), b"OK", "a new login on the same TLS connection")
t.like(c.cmd("LOGOUT")[1], b"OK", "LOGOUT")
t.is_(c.line(), b"", "and the server closes")
c.close()

# ---- a store that stays locked: TRYLATER, nothing changed ----
c = Sieve(port)
c.cmd("STARTTLS")
c.starttls()
c.until_done()
t.like(c.login(), b"OK", "a new session logs in")
con = lock_store(s)
try:
    ok = c.put("locked", "keep;\r\n")
finally:
    con.rollback()
    con.close()
t.like(ok, b"NO (TRYLATER)", "PUTSCRIPT while another process holds the store: TRYLATER")
t.ok(b'"locked"' not in c.cmd("LISTSCRIPTS")[0], "and the script was not stored")
t.like(c.put("locked", "keep;\r\n"), b"OK", "once the lock is gone it goes in")
c.cmd("LOGOUT")
c.close()

# ---- sieve-connect ----
tool = shutil.which("sieve-connect")
if tool is None:
    t.skip("sieve-connect is not installed (Debian package sieve-connect; make deps)", 4)
else:
    script = os.path.join(s.dir, "sc.sieve")
    with open(script, "w") as f:
        f.write('require "fileinto";\nif address :is "from" "b@outside.example" '
                '{ fileinto "INBOX"; }\n')
    pwfile = os.path.join(s.dir, "pw")
    with open(pwfile, "w") as f:
        f.write(PASSWORD + "\n")

    def sc(*args):
        with open(pwfile) as pw:
            return subprocess.run(
                [tool, "--server", "127.0.0.1", "--port", str(port), "--user", USER,
                 "--authmech", "PLAIN", "--notlsverify", "--passwordfd", "0"] + list(args),
                stdin=pw, capture_output=True, text=True, timeout=60)

    r = sc("--upload", "--localsieve", script, "--remotesieve", "sc")
    t.is_(r.returncode, 0, "sieve-connect uploads a script (after STARTTLS)")
    r = sc("--activate", "--remotesieve", "sc")
    t.is_(r.returncode, 0, "sieve-connect activates it")
    r = sc("--list")
    t.like(r.stdout, "sc", "sieve-connect lists it")
    out = os.path.join(s.dir, "back.sieve")
    r = sc("--download", "--remotesieve", "sc", "--localsieve", out)
    with open(script) as a:
        want = a.read()
    got = open(out).read() if os.path.exists(out) else None
    t.is_(got, want, "sieve-connect downloads it unchanged")
s.stop()

# ---- through iolistener under the guardian, with its access filters ----
DENIED = "127.0.0.2"
g = emstest.Suite(name="managesieve-iol")
g.conf["user"] = ""
g.conf["group"] = ""
gport = emstest.free_port()
g.conf["processes"] = [{"name": "IOLISTENER", "program": "iolistener",
                        "instances": [{"autostart": True}]},
                       {"name": "SIEVESRV", "program": "sievesrv",
                        "instances": [{"autostart": True}]}]
g.conf["listeners"] = [{"service": "sieve", "address": "127.0.0.1", "port": gport}]
g.conf["access"] = {"deny": ["sieve: %s" % DENIED]}
g.write_conf()
g.run("oomgr", "-c", g.conf_path, "insert domain qualifiedname=example.test;",
      "insert person username=%s password=%s;" % (USER, PASSWORD), timeout=180)
g.start("guardian", "-F", "-c", g.conf_path)
t.ok(emstest.wait_for(lambda: "event=handoff_worker_registered service=sieve" in g.logs(),
                      timeout=30), "sievesrv registers with iolistener as service sieve")
c = Sieve(gport)
t.like(b"\n".join(c.caps), b'"VERSION" "1.0"', "a client on the sieve port reaches sievesrv")
t.like(c.login(), b"OK", "and logs in (plaintextmincipher 0: PLAIN in clear)")
t.like(c.cmd("LISTSCRIPTS")[1], b"OK", "LISTSCRIPTS through the hand-off")
c.close()
with socket.create_connection(("127.0.0.1", gport), timeout=emstest.DEFAULT_TIMEOUT,
                              source_address=(DENIED, 0)) as d:
    d.settimeout(emstest.DEFAULT_TIMEOUT)
    refused = b""
    while not refused.endswith(b"\r\n"):
        chunk = d.recv(1024)
        if not chunk:
            break
        refused += chunk
t.is_(refused, b'BYE "Access denied by site policy"\r\n',
      "a denied address gets ManageSieve's BYE from iolistener")
g.stop()
t.done()
