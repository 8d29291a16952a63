#!/usr/bin/env python3
"""imap_concurrent.t - two sessions on one mailbox: an EXPUNGE by one
reaches the other only where RFC 3501 allows it (never during FETCH,
STORE or SEARCH, so sequence numbers hold still under them), flag
changes arrive as untagged FETCH, and a session in IDLE hears at once of
a delivery (through smtpgw and postman), an APPEND, a flag change and an
expunge by others."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite, Raw  # noqa: E402
from emsmail import make_message  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)
delivery = all(os.access(os.path.join(emstest.BIN, p), os.X_OK) for p in ("smtpgw", "postman"))

s = ImapSuite({"postman": {"interval_s": 600}}, name="concurrent")
s.start_imap()
if delivery:
    s.start_daemons(smtpgw=False)


def login():
    r = Raw(s.imap_port)
    r.command("l", "LOGIN demo@example.test demo")
    return r


a, b = login(), login()
for i in range(1, 7):
    msg = "Subject: m%d\r\n\r\nbody %d\r\n" % (i, i)
    a.send("p%d APPEND INBOX {%d+}\r\n%s\r\n" % (i, len(msg), msg))
    a.until("p%d" % i)
lines, _ = a.command("s", "SELECT INBOX")
t.ok(b"* 6 EXISTS" in lines, "session A sees 6 messages")
lines, _ = b.command("s", "SELECT INBOX")
t.ok(b"* 6 EXISTS" in lines, "session B sees 6 messages")

# --- B expunges message 3 ---
lines, tagged = b.command("e1", "STORE 3 +FLAGS.SILENT (\\Deleted)")
t.is_(lines, [], "STORE .SILENT answers nothing")
lines, tagged = b.command("e2", "EXPUNGE")
t.is_(lines, [b"* 3 EXPUNGE"], "B's EXPUNGE reports message 3")

lines, tagged = a.command("f1", "FETCH 1:6 (UID)")
t.ok(not any(b"EXPUNGE" in ln for ln in lines), "A's FETCH gets no EXPUNGE")
t.is_(len(lines), 6, "  and still answers for six messages, the expunged one included")
t.ok(b"* 6 FETCH (UID 6)" in lines, "  with unchanged sequence numbers")
lines, tagged = a.command("f2", "STORE 4 +FLAGS (\\Flagged)")
t.ok(lines == [b"* 4 FETCH (FLAGS (\\Flagged \\Recent))"] or
     lines == [b"* 4 FETCH (FLAGS (\\Flagged))"],
     "A's STORE on message 4 uses the old numbering, no EXPUNGE")
lines, tagged = a.command("f3", "SEARCH ALL")
t.is_(lines, [b"* SEARCH 1 2 3 4 5 6"], "A's SEARCH: old numbering, no EXPUNGE")
lines, tagged = a.command("f4", "NOOP")
t.ok(b"* 3 EXPUNGE" in lines, "A's NOOP finally reports the EXPUNGE")
lines, _ = a.command("f5", "FETCH 1:* (UID)")
t.is_([re.sub(rb"\* \d+ FETCH \(UID (\d+)\)", rb"\1", ln) for ln in lines],
      [b"1", b"2", b"4", b"5", b"6"], "  and A's numbering now matches the store")

# --- flag changes by B reach A ---
b.command("g1", "STORE 1 +FLAGS.SILENT (\\Answered $Label1)")
lines, _ = a.command("g2", "NOOP")
t.ok(any(re.match(rb"\* 1 FETCH \(UID 1 FLAGS \(\\Answered [^)]*\$Label1\)\)", ln) for ln in lines),
     "a flag change by B arrives at A as an untagged FETCH")
lines, _ = a.command("g3", "NOOP")
t.ok(not any(b"FETCH" in ln for ln in lines), "  once")

# --- UID commands may carry EXPUNGE ---
b.command("h1", "UID STORE 2 +FLAGS.SILENT (\\Deleted)")
b.command("h2", "UID EXPUNGE 2")
lines, _ = a.command("h3", "UID FETCH 1:* (FLAGS)")
t.ok(b"* 2 EXPUNGE" in lines, "UID FETCH may report an EXPUNGE (RFC 3501 7.4.1)")

# --- IDLE ---
def idle_wait(conn, pattern, timeout=5.0):
    """Seconds until a line matching PATTERN arrives, or None."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            ln = conn.line(timeout=timeout)
        except OSError:
            return None
        if re.search(pattern, ln):
            return time.monotonic() - start
    return None


a.send("i1 IDLE\r\n")
t.is_(a.line(), b"+ idling", "IDLE answers with a continuation")
msg = "Subject: from B\r\n\r\nappended\r\n"
start = time.monotonic()
b.send("j1 APPEND INBOX {%d+}\r\n%s\r\n" % (len(msg), msg))
b.until("j1")
took = idle_wait(a, rb"^\* 5 EXISTS$")
t.ok(took is not None, "an APPEND by B reaches the IDLE session as EXISTS")
if took is not None:
    t.diag("APPEND -> EXISTS in %.1f ms" % ((time.monotonic() - start) * 1000))
b.command("j2", "STORE 1 -FLAGS.SILENT (\\Answered)")
t.ok(idle_wait(a, rb"^\* 1 FETCH \(UID 1 FLAGS") is not None,
     "a flag change by B reaches the IDLE session")
b.command("j3", "STORE 2 +FLAGS.SILENT (\\Deleted)")
b.command("j4", "EXPUNGE")
t.ok(idle_wait(a, rb"^\* 2 EXPUNGE$") is not None, "an expunge by B reaches it as EXPUNGE")
if delivery:
    start = time.monotonic()
    s.deliver(make_message("delivered while idling"))
    took = idle_wait(a, rb"^\* 5 EXISTS$")
    t.ok(took is not None, "a delivery through smtpgw and postman reaches the IDLE session")
    if took is not None:
        ms = (time.monotonic() - start) * 1000
        t.diag("mailer start -> EXISTS in %.1f ms (delivery included)" % ms)
else:
    t.skip("smtpgw/postman not built")
a.send("DONE\r\n")
lines, tagged = a.until("i1")
t.is_(tagged, b"i1 OK IDLE terminated", "DONE ends IDLE")
a.send("i2 IDLE\r\n")
a.line()
a.send("NOT-DONE\r\n")
lines, tagged = a.until("i2")
t.ok(tagged.startswith(b"i2 BAD"), "anything but DONE ends IDLE with BAD")

# --- the selected mailbox deleted by another session ---
b.command("k0", "CREATE Doomed")
a.command("k1", "SELECT Doomed")
b.command("k2", "DELETE Doomed")
lines, tagged = a.command("k3", "NOOP")
t.ok(any(ln.startswith(b"* BYE") for ln in lines) or tagged.startswith(b"* BYE"),
     "a session whose mailbox another deleted is told BYE")
a.close()
b.close()
s.stop()
t.done()
