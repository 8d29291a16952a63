#!/usr/bin/env python3
"""pop3_session.t - a POP3 session from greeting to QUIT (RFC 1939):
CAPA, STAT/LIST/UIDL, RETR and TOP byte-exact against what was
delivered (dot-stuffing, CRLF), DELE committed only at QUIT, RSET and a
dropped connection deleting nothing, UIDLs stable across sessions,
[IN-USE] for a second session, bad input answered with -ERR and a flood
of it ending the session, a person without POP, XTND for admins only,
and poplib and curl as clients."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emsmail  # noqa: E402
import emstest  # noqa: E402
from emspop import PASSWORD, USER, PopSuite, Raw  # noqa: E402

t = emstest.Tap()
for prog in ("pop3srv", "oomgr", "smtpgw", "postman"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = PopSuite({"pop3": {"banner": "Test POP3 at your service", "max_errors": 8}},
             name="pop3session")
s.admin("insert person username=imaponly@example.test password=pw",
        "update person username=imaponly@example.test services=imap",
        "insert person username=boss@example.test password=bosspw",
        "update person username=boss@example.test admin=yes")
s.start_daemons(smtpgw=False)
bodies = [emsmail.make_message("first", body="line one\n.leading dot\n..two dots\nend\n"),
          emsmail.make_message("second", body="x\n" * 50),
          emsmail.make_message("third", body="no final newline")]
for b in bodies:
    s.deliver(b)
entries = s.wait_messages(USER, 3)
t.is_(len(entries), 3, "three messages delivered")
stored = [s.message(USER, e.uid) for e in entries]
s.start_pop()

# --- greeting, CAPA, AUTHORIZATION state ---
r = Raw(s.pop_port)
t.is_(r.greeting, b"+OK Test POP3 at your service", "the greeting carries the banner")
first, caps = r.multi("CAPA")
for c in (b"TOP", b"UIDL", b"USER", b"RESP-CODES", b"AUTH-RESP-CODE", b"PIPELINING",
          b"STLS", b"SASL PLAIN LOGIN", b"IMPLEMENTATION ems"):
    t.ok(c in caps, "CAPA before login: %s" % c.decode())
t.ok(not any(c.startswith(b"SASL") and b"CRAM-MD5" in c for c in caps),
     "no CRAM-MD5 without retrievable secrets")
t.ok(r.command("STAT").startswith(b"-ERR"), "STAT before login is refused")
t.ok(r.command("FROB").startswith(b"-ERR unknown command"), "an unknown command is -ERR")
t.ok(r.command("PASS demo").startswith(b"-ERR"), "PASS before USER is refused")
t.is_(r.command("USER %s" % USER), b"+OK send PASS", "USER is accepted")
t.ok(r.command("PASS wrong").startswith(b"-ERR [AUTH]"), "a wrong password gets [AUTH]")
r.command("USER %s" % USER)
t.ok(r.command("PASS %s" % PASSWORD).startswith(b"+OK maildrop has 3 messages"),
     "the right password opens the maildrop")

# --- TRANSACTION ---
total = sum(len(m) for m in stored)
t.is_(r.command("STAT"), b"+OK 3 %d" % total, "STAT counts messages and octets")
first, lines = r.multi("LIST")
t.is_(lines, [b"%d %d" % (i + 1, len(m)) for i, m in enumerate(stored)],
      "LIST gives each message's exact size")
t.is_(r.command("LIST 2"), b"+OK 2 %d" % len(stored[1]), "LIST n gives one")
t.ok(r.command("LIST 9").startswith(b"-ERR no message 9"), "LIST of a missing message is -ERR")
t.ok(r.command("LIST x").startswith(b"-ERR"), "LIST with a non-number is -ERR")
first, uidl1 = r.multi("UIDL")
t.ok(len(uidl1) == 3 and len(set(u.split()[1] for u in uidl1)) == 3,
     "UIDL gives three distinct ids")
for i, m in enumerate(stored):
    first, lines = r.multi("RETR %d" % (i + 1))
    t.is_(first, b"+OK %d octets" % len(m), "RETR %d announces its size" % (i + 1))
    want = m if m.endswith(b"\r\n") else m + b"\r\n"
    t.ok(b"\r\n".join(lines) + b"\r\n" == want,
         "RETR %d gives the stored bytes exactly, un-stuffed" % (i + 1))
r.send("RETR 1\r\n")
raw = b""
while not raw.endswith(b"\r\n.\r\n"):
    raw += r.sock.recv(65536)
t.ok(b"\r\n..leading dot\r\n...two dots\r\n" in raw, "lines starting with a dot are stuffed")
first, lines = r.multi("TOP 2 3")
head = stored[1].split(b"\r\n\r\n", 1)[0]
t.is_(b"\r\n".join(lines), head + b"\r\n\r\nx\r\nx\r\nx", "TOP gives the header and 3 lines")
first, lines = r.multi("TOP 2 0")
t.is_(b"\r\n".join(lines), head + b"\r\n", "TOP n 0 gives the header only")
t.ok(r.command("DELE 1").startswith(b"+OK"), "DELE 1")
t.ok(r.command("DELE 1").startswith(b"-ERR no message 1 (deleted)"), "DELE twice is -ERR")
t.ok(r.command("RETR 1").startswith(b"-ERR"), "a deleted message cannot be retrieved")
t.is_(r.command("STAT"), b"+OK 2 %d" % (total - len(stored[0])), "STAT leaves it out")
t.ok(r.command("RSET").startswith(b"+OK maildrop has 3"), "RSET undoes the mark")
t.is_(r.command("NOOP"), b"+OK", "NOOP")
t.ok(r.command("USER x").startswith(b"-ERR"), "USER after login is refused")
t.ok(r.command("DELE 3").startswith(b"+OK"), "DELE 3")
r.close()
t.is_(len(s.wait_messages(USER, 3)), 3, "a dropped connection deletes nothing")

# --- IN-USE, stable UIDLs, commit at QUIT ---
a = Raw(s.pop_port)
a.command("USER %s" % USER)
t.ok(a.command("PASS %s" % PASSWORD).startswith(b"+OK"), "a new session logs in")
b = Raw(s.pop_port)
b.command("USER %s" % USER)
t.ok(b.command("PASS %s" % PASSWORD).startswith(b"-ERR [IN-USE]"),
     "a second session on the same maildrop gets [IN-USE]")
b.close()
first, uidl2 = a.multi("UIDL")
t.is_(uidl2, uidl1, "UIDLs are the same in the next session")
a.multi("RETR 1")
a.command("DELE 2")
t.is_(len(s.messages(USER)), 3, "DELE changes nothing before QUIT")
t.ok(a.command("QUIT").startswith(b"+OK signing off (1 messages removed)"),
     "QUIT applies the deletion")
a.close()
left = s.messages(USER)
t.is_([e.uid for e in left], [entries[0].uid, entries[2].uid], "message 2 is gone, the rest stay")
t.ok("S" in left[0].flags and "S" not in left[1].flags,
     "the message retrieved in the committed session is marked seen, the other not")

# --- clients: poplib and curl ---
m = s.connect()
count, size = m.stat()
t.is_(count, 2, "poplib logs in and sees two messages")
resp, lines, octets = m.retr(2)
t.ok(b"\r\n".join(lines) + b"\r\n" == stored[2] + b"\r\n" or
     b"\r\n".join(lines) + b"\r\n" == stored[2], "poplib retrieves the third message")
t.ok(m.uidl(1).split()[2] == uidl1[0].split()[1], "poplib sees the same UIDL")
m.quit()
if shutil.which("curl"):
    r2 = subprocess.run(["curl", "-s", "--max-time", "10",
                         "pop3://127.0.0.1:%d/1" % s.pop_port, "-u", "%s:%s" % (USER, PASSWORD)],
                        capture_output=True)
    t.ok(r2.returncode == 0 and r2.stdout.replace(b"\r\n", b"\n") ==
         stored[0].replace(b"\r\n", b"\n"), "curl pop3:// retrieves message 1")
    r2 = subprocess.run(["curl", "-s", "--max-time", "10", "pop3://127.0.0.1:%d/" % s.pop_port,
                         "-u", "%s:%s" % (USER, PASSWORD)], capture_output=True)
    t.ok(r2.returncode == 0 and r2.stdout.startswith(b"1 "), "curl pop3:// lists the maildrop")
else:
    t.skip("curl is not installed", 2)

# --- persons, admin right, XTND ---
r = Raw(s.pop_port)
r.command("USER imaponly@example.test")
t.ok(r.command("PASS pw").startswith(b"-ERR [AUTH] POP3 is not enabled"),
     "a person without POP is refused with [AUTH]")
r.close()
r = Raw(s.pop_port)
r.command("USER %s" % USER)
r.command("PASS %s" % PASSWORD)
t.ok(r.command("XTND STATS").startswith(b"-ERR XTND needs the admin right"),
     "XTND is refused without the admin right")
r.command("QUIT")
r.close()
r = Raw(s.pop_port)
r.command("USER boss@example.test")
t.ok(r.command("PASS bosspw").startswith(b"+OK"), "an admin logs in")
t.ok(r.command("XTND CLIENT TestClient 1.0").startswith(b"+OK"), "XTND CLIENT")
first, lines = r.multi("XTND STATS")
text = b"\n".join(lines)
t.ok(first.startswith(b"+OK") and b"Start Time" in text and b"CPU Seconds" in text and
     b"Retrieved Messages" in text and b"Auth Failures" in text and
     b"0. boss@example.test" in text, "XTND STATS gives the seed's fields and current users")
t.ok(r.command("XTND LOGLEVEL DEBUG").startswith(b"+OK logging level changed to debug"),
     "XTND LOGLEVEL")
t.ok(r.command("XTND FROB").startswith(b"-ERR"), "an unknown XTND is -ERR")
r.command("QUIT")
r.close()
t.like(s.log_text("pop3srv"), "event=pop3_client_info", "XTND CLIENT was logged")

# --- bad input ---
r = Raw(s.pop_port)
t.ok(r.command("X" * 5000).startswith(b"-ERR line too long"), "an over-long line is -ERR")
t.is_(r.command("NOOP x"), b"-ERR NOOP: log in first", "the session goes on")
for i in range(5):
    r.command("BOGUS")
t.ok(r.command("BOGUS").endswith(b"unknown command") and
     r.line().startswith(b"-ERR too many bad commands"), "a flood of errors ends the session")
t.is_(r.line(), b"", "  and the connection is closed")
t.ok("bosspw" not in s.log_text("pop3srv"), "the admin's password is never logged")

# --- XTND SHUTDOWN: orderly ---
other = Raw(s.pop_port)
other.command("USER %s" % USER)
other.command("PASS %s" % PASSWORD)
r = Raw(s.pop_port)
r.command("USER boss@example.test")
r.command("PASS bosspw")
t.ok(r.command("XTND SHUTDOWN").startswith(b"+OK shutting down"), "XTND SHUTDOWN")
t.ok(emstest.wait_for(lambda: not emstest.port_open(s.pop_port)),
     "  stops taking new clients")
t.ok(other.command("STAT").startswith(b"+OK"), "  while sessions go on")
r.command("QUIT")
t.ok(s.pop.poll() is None, "  and the process waits for the last one")
other.command("QUIT")
t.ok(emstest.wait_for(lambda: s.pop.poll() is not None) and s.pop.returncode == 0,
     "  then exits cleanly")
s.stop()
t.done()
