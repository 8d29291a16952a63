#!/usr/bin/env python3
"""imap_limits.t - what keeps a client inside its bounds: literal and
line limits (NO [TOOBIG] before a synchronizing literal is sent, BYE
after a non-synchronizing one), APPENDLIMIT, a connection dropped in the
middle of an APPEND stores nothing, Message-Cap, the quota, and the
Server-Trace file (no password, literal bodies cut)."""
import glob
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite, Raw  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = ImapSuite({"imap": {"max_append_size": 4096, "max_line": 2048, "message_cap": 3,
                        "server_trace": True, "trace_synch": 1,
                        "trace_literal_max": 16}}, name="limits")
s.admin("update person username=demo@example.test quota=20000")
s.start_imap()
r = Raw(s.imap_port)
r.command("l", "LOGIN demo@example.test demo")
lines, tagged = r.command("c", "CAPABILITY")
t.ok(b"APPENDLIMIT=4096" in lines[0], "APPENDLIMIT announces imap.max_append_size")

# --- literals ---
r.send("a1 APPEND INBOX {5000}\r\n")
t.ok(r.line().startswith(b"a1 NO [TOOBIG]"), "a synchronizing literal over the limit: NO [TOOBIG]")
lines, tagged = r.command("a2", "NOOP")
t.is_(tagged, b"a2 OK NOOP completed", "  before the client sent it: the session goes on")
r.send("a3 LOGIN {70000}\r\n")
t.ok(r.line().startswith(b"a3 BAD [TOOBIG]"), "a literal outside APPEND has a smaller limit")
msg = b"Subject: fits\r\n\r\n" + b"x" * 1000 + b"\r\n"
r.send(b"a4 APPEND INBOX (\\Seen) {%d}\r\n" % len(msg))
t.is_(r.line(), b"+ Ready for literal data", "a synchronizing literal within the limit: +")
r.send(msg + b"\r\n")
lines, tagged = r.until("a4")
t.ok(tagged.startswith(b"a4 OK [APPENDUID "), "  and the APPEND succeeds")
r.send(b"a5 APPEND INBOX {%d+}\r\n%s\r\n" % (len(msg), msg))
lines, tagged = r.until("a5")
t.ok(tagged.startswith(b"a5 OK [APPENDUID "), "LITERAL+ needs no continuation")

# --- lines ---
r.send("b1 NOOP " + "x" * 3000 + "\r\n")
t.is_(r.line(), b"* BAD [TOOBIG] command line too long",
      "a line over imap.max_line: untagged BAD [TOOBIG] (its tag is lost with it)")
lines, tagged = r.command("b2", "NOOP")
t.is_(tagged, b"b2 OK NOOP completed", "  and the session goes on")
r.command("b2s", "SELECT INBOX")
lines, tagged = r.command("b3", "SEARCH " + "(" * 20 + "ALL" + ")" * 20)
t.ok(tagged.startswith(b"b3 BAD") and b"nested" in tagged, "nesting past the limit is BAD")
r.send("b4 APPEND INBOX {9999999+}\r\n")
t.ok(r.line().startswith(b"b4 NO [TOOBIG]"), "a non-synchronizing literal over the limit: NO [TOOBIG]")
t.ok(r.line().startswith(b"* BYE"), "  then BYE: its bytes are on their way")
r.close()

# --- a dropped APPEND stores nothing ---
r = Raw(s.imap_port)
r.command("l", "LOGIN demo@example.test demo")
lines, _ = r.command("s1", "STATUS INBOX (MESSAGES)")
before = lines[0]
r.send("d1 APPEND INBOX {3000+}\r\nSubject: half\r\n\r\n" + "y" * 500)
time.sleep(0.2)
r.sock.shutdown(socket.SHUT_RDWR)
r.close()
r = Raw(s.imap_port)
r.command("l", "LOGIN demo@example.test demo")
time.sleep(0.2)
lines, _ = r.command("s2", "STATUS INBOX (MESSAGES)")
t.is_(lines[0], before, "a connection dropped inside an APPEND literal stores nothing")

# --- Message-Cap ---
for i in range(3):
    r.send(b"m%d APPEND INBOX {%d+}\r\n%s\r\n" % (i, len(msg), msg))
    r.until("m%d" % i)
lines, tagged = r.command("s3", "SELECT INBOX")
t.ok(b"* 3 EXISTS" in lines, "Message-Cap 3: SELECT shows three of five messages")
t.ok(any(b"[ALERT]" in ln and b"3 of 5" in ln for ln in lines), "  and says so in an ALERT")
lines, _ = r.command("s4", "STATUS INBOX (MESSAGES)")
t.is_(lines, [b"* STATUS INBOX (MESSAGES 3)"], "  STATUS MESSAGES counts no more than the cap")
r.command("s5", "STORE 1 +FLAGS.SILENT (\\Deleted)")
lines, _ = r.command("s6", "EXPUNGE")
t.ok(b"* 1 EXPUNGE" in lines and b"* 3 EXISTS" in lines,
     "  an EXPUNGE makes room: the next message appears")

# --- quota ---
big = b"Subject: big\r\n\r\n" + b"z" * 3900 + b"\r\n"
for i in range(6):
    r.send(b"q%d APPEND INBOX {%d+}\r\n%s\r\n" % (i, len(big), big))
    lines, tagged = r.until("q%d" % i)
    if b"OVERQUOTA" in tagged:
        break
t.ok(b"NO [OVERQUOTA]" in tagged, "APPEND past the quota: NO [OVERQUOTA]")
lines, _ = r.command("q9", "GETQUOTAROOT INBOX")
t.ok(lines[0] == b'* QUOTAROOT INBOX ""' and lines[1].startswith(b'* QUOTA "" (STORAGE ') and
     lines[1].endswith(b" 19)"), "GETQUOTAROOT: the root and STORAGE in KiB (limit 19)")
lines, tagged = r.command("qa", 'SETQUOTA "" (STORAGE 1)')
t.ok(tagged.startswith(b"qa NO"), "SETQUOTA is refused: quotas are the administrator's")
r.command("z", "LOGOUT")
r.close()

# --- the trace ---
time.sleep(0.2)
traces = glob.glob(os.path.join(s.state, "log", "trace", "*TRACE.LOG"))
t.ok(len(traces) >= 3, "Server-Trace wrote one file per session (%d)" % len(traces))
text = ""
for p in traces:
    with open(p, errors="replace") as f:
        text += f.read()
t.ok("C: l LOGIN" in text and "demo@example.test demo" not in text,
     "  LOGIN is traced without its arguments")
t.ok("S: a4 OK [APPENDUID" in text, "  the server's answers are there")
t.ok("C| Subject: fits" in text and "xxx" not in text and "literal cut at 16 bytes" in text,
     "  literal contents are cut at trace_literal_max")
s.stop()
t.done()
