#!/usr/bin/env python3
"""store_pg_offload.t - on PostgreSQL a client's reads run on the
worker's pool, never on its event loop.

A suite on a PostgreSQL store of a private cluster of its own, with
store.loop_timeout_ms at its longest (60 s), so that a read made on an
event loop would hold that loop for a minute.  Every process of the
cluster is stopped (SIGSTOP), as a hung server looks to a client.  Then
an IMAP session's SELECT, another's FETCH of a body, a third's SEARCH
in the text, a POP3 session's
RETR, and a ManageSieve
session's LISTSCRIPTS and GETSCRIPT, and an LMTP RCPT, wait for the
database; meanwhile another session of the same imap4srv, pop3srv,
sievesrv and smtpgw is answered at once.  Once the server
runs again the waiting commands are answered, in order, as if nothing
had happened.
"""

import base64
import os
import re
import signal
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emspg  # noqa: E402
import emstest  # noqa: E402
from emsproto import PASSWORD, USER, RawLines  # noqa: E402

# Bound on an answer that must come at once; a loop held by a read
# would take store.loop_timeout_ms (60 s) to give one.
ANSWER = 20

t = emstest.Tap()
emspg.require(t, ("smtpgw", "postman", "oomgr", "imap4srv", "pop3srv", "sievesrv"))

c, s = emspg.own_suite("pgoffload", busy_timeout_ms=1000, loop_timeout_ms=60000)
pop_port, pops_port = emstest.free_port(), emstest.free_port()
s.start_listening("pop3srv", pop_port, pops_port, ())
sieve_port = emstest.free_port()
s.start("sievesrv", "-c", s.conf_path, "--listen", "127.0.0.1:%d" % sieve_port)
t.ok(emstest.wait_for(lambda: emstest.port_open(sieve_port)), "sievesrv listens")

BODY = b"From: a@outside.example\r\nSubject: offload\r\n\r\n" + b"line of text\r\n" * 2000
s.deliver(BODY)
im = s.connect()
t.ok(emstest.wait_for(lambda: im.select("INBOX", readonly=True)[1][0] == b"1"),
     "one message delivered")
im.logout()


def answer(conn):
    """The next line, or what went wrong instead."""
    try:
        return conn.line(timeout=ANSWER).decode(errors="replace")
    except OSError as e:
        return "no answer: %s" % e


def pop_login():
    p = RawLines(pop_port)
    p.send("USER %s\r\n" % USER)
    p.line()
    p.send("PASS %s\r\n" % PASSWORD)
    return p, p.line()


def sieve_until_done(conn):
    """The lines of a ManageSieve answer, up to its OK/NO (literals
    joined in)."""
    lines = []
    while True:
        line = conn.line(timeout=ANSWER)
        if line.endswith(b"}") and b"{" in line:
            n = int(line[line.rindex(b"{") + 1:].rstrip(b"+}"))
            line = line[:line.rindex(b"{")] + conn.take(n) + conn.line()
        lines.append(line)
        if line[:2] in (b"OK", b"NO", b"BY") or line == b"":
            return lines


def sieve_login():
    v = RawLines(sieve_port)
    sieve_until_done(v)   # the capabilities
    ir = base64.b64encode(b"\0" + USER.encode() + b"\0" + PASSWORD.encode()).decode()
    v.send('AUTHENTICATE "PLAIN" "%s"\r\n' % ir)
    return v, sieve_until_done(v)[-1]


ia, ib, ic, isr = s.raw(), s.raw(), s.raw(), s.raw()
ic.command("x", "EXAMINE INBOX")
isr.command("x", "EXAMINE INBOX")
class Lmtp(RawLines):
    """A raw LMTP connection on the suite's unix socket."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(ANSWER)
        self.sock.connect(s.lmtp_socket)
        self.buf = b""
        self.greeting = self.line()

    def say(self, text):
        self.send(text + "\r\n")
        return self.line(timeout=ANSWER)


l1, l2 = Lmtp(), Lmtp()
l1.say("LHLO test")
while l1.buf:
    l1.line()
l2.say("LHLO test")
while l2.buf:
    l2.line()
t.ok(l1.say("MAIL FROM:<a@outside.example>").startswith(b"250"), "an LMTP session starts a mail")
a, ok_a = pop_login()
b, ok_b = pop_login()   # a second session of the same person: refused IN-USE...
t.ok(ok_a.startswith(b"+OK maildrop has 1 messages"), "a POP3 session logs in")
t.like(ok_b, b"IN-USE", "a second one finds the maildrop in use")
v, ok_v = sieve_login()
w, ok_w = sieve_login()
t.ok(ok_v.startswith(b"OK") and ok_w.startswith(b"OK"), "two ManageSieve sessions log in")
script = b"keep;\r\n"
v.send(b'PUTSCRIPT "main" {%d+}\r\n%s\r\n' % (len(script), script))
t.ok(sieve_until_done(v)[-1].startswith(b"OK"), "a script is stored")

stopped = emstest.descendants(c.pid)   # the postmaster and its children
for pid in stopped:
    os.kill(pid, signal.SIGSTOP)
try:
    ia.send("s1 SELECT INBOX\r\n")
    ic.send("f1 FETCH 1 BODY.PEEK[]\r\n")
    isr.send("q1 SEARCH BODY \"line of text\"\r\n")
    ib.send("n1 NOOP\r\n")
    t.ok(answer(ib).startswith("n1 OK"),
         "the database stalled: IMAP SELECT and FETCH wait, another session's NOOP is answered")
    t.ok(ia.nothing_yet(), "the SELECT has no answer yet")
    t.ok(ic.nothing_yet(), "nor the FETCH")
    t.ok(isr.nothing_yet(), "nor the SEARCH")
    a.send("RETR 1\r\n")
    b.send("NOOP\r\n")   # b is in AUTHORIZATION: NOOP is refused, but answered
    t.ok(answer(b).startswith("-ERR"),
         "the database stalled: POP3 RETR waits, another session is answered")
    t.ok(a.nothing_yet(), "the RETR has no answer yet")
    v.send('LISTSCRIPTS\r\nGETSCRIPT "main"\r\n')
    w.send("NOOP\r\n")
    t.ok(answer(w).startswith("OK"),
         "ManageSieve LISTSCRIPTS waits, another session's NOOP is answered")
    t.ok(v.nothing_yet(), "LISTSCRIPTS has no answer yet")
    l1.send("RCPT TO:<%s>\r\n" % USER)
    t.ok(l2.say("NOOP").startswith(b"250"),
         "an LMTP RCPT waits, another LMTP session's NOOP is answered")
    t.ok(l1.nothing_yet(), "the RCPT has no answer yet")
    t.ok(all(p.poll() is None for p in s.procs), "no ems process died")
finally:
    for pid in stopped:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass

selected = []
while True:
    line = answer(ia)
    selected.append(line)
    if not line.startswith("*"):
        break
t.ok(selected[-1].startswith("s1 OK [READ-WRITE]") and "* 1 EXISTS" in selected,
     "once the server answers, SELECT is answered (%s)" % selected[-1])
fetched, ic.buf = ic.buf, b""
ic.sock.settimeout(ANSWER)
while b"\r\nf1 " not in fetched:
    more = ic.sock.recv(65536)
    if not more:
        break
    fetched += more
t.ok(b"\r\nf1 OK" in fetched and BODY in fetched, "and the FETCH, with the whole body")
t.ok(answer(l1).startswith("250 2.1.5"), "once the server answers, the RCPT is accepted")
found = [answer(isr), answer(isr)]
t.is_(found, ["* SEARCH 1", "q1 OK SEARCH completed"], "and the SEARCH")
t.ok(re.match(r"\+OK \d+ octets$", answer(a)), "and RETR goes on")
text, a.buf = a.buf, b""
a.sock.settimeout(ANSWER)
while not text.endswith(b"\r\n.\r\n"):
    more = a.sock.recv(65536)
    if not more:
        break
    text += more
t.ok(text.endswith(BODY + b".\r\n"), "and sends the whole message")
t.is_(sieve_until_done(v), [b'"main"', b'OK "listscripts completed"'],
      "LISTSCRIPTS is answered")
got = sieve_until_done(v)
t.is_(got[0], script + b"", "then GETSCRIPT, in order")
t.ok(got[-1].startswith(b"OK"), "with its OK")
for conn, bye in ((l1, "QUIT\r\n"), (l2, "QUIT\r\n"), (ia, "l LOGOUT\r\n"), (ib, "l LOGOUT\r\n"), (ic, "l LOGOUT\r\n"), (isr, "l LOGOUT\r\n"), (a, "QUIT\r\n"), (b, "QUIT\r\n"), (v, "LOGOUT\r\n"), (w, "LOGOUT\r\n")):
    conn.send(bye)
    conn.sock.close()
t.ok(all(p.poll() is None for p in s.procs), "still no ems process died")
s.stop()
t.done()
