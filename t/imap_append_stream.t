#!/usr/bin/env python3
"""imap_append_stream.t - APPEND literals larger than a chunk go to a
spool file as they arrive and the store adopts it: the message comes back
byte for byte with its MIME structure; an over-limit literal is refused
with NO [TOOBIG] and leaves no trace; a client gone in the middle of its
literal, or an imap4srv killed there, leaves no spool file and no message;
a spool file a dead process left is removed when imap4srv starts; the
adopting commit runs on the store pool: while another process holds the
store's write lock, a large APPEND waits and another client's NOOP is
answered."""
import os
import signal
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402
from emsproto import lock_store  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

LIMIT = 4 * 1000 * 1000
s = ImapSuite({"imap": {"max_append_size": LIMIT},
               "store": {"busy_timeout_ms": 120000}}, name="append-stream")
spool = os.path.join(s.state, "spool")
imap = s.start_imap()


def spool_files():
    """Names in the spool directory, and imap4srv's open descriptors on
    files that were in it (an unlinked spool file still holds disk)."""
    names = sorted(os.listdir(spool)) if os.path.isdir(spool) else None
    held = []
    fddir = "/proc/%d/fd" % imap.pid
    for fd in os.listdir(fddir):
        try:
            if os.readlink(os.path.join(fddir, fd)).startswith(spool + "/"):
                held.append(fd)
        except OSError:
            pass
    return names, held


def messages(r):
    lines, _ = r.command("st", "STATUS INBOX (MESSAGES)")
    return lines[0]


def multipart(size):
    """A two-part message of about SIZE bytes, lines of 78 octets."""
    head = (b"From: a@example.test\r\nTo: demo@example.test\r\nSubject: big\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            b"preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\n"
            b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
    line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n"
    n = (size - len(head)) // len(line)
    return head + line * n + b"--b1--\r\n", n


# --- a message of many chunks, byte for byte ---
m = s.connect()
big, nlines = multipart(3 * 1000 * 1000)
typ, data = m.append("INBOX", None, None, big)
t.is_(typ, "OK", "APPEND of a %d-byte literal (many spool chunks) is accepted" % len(big))
t.ok(b"APPENDUID" in data[0], "  with its APPENDUID")
m.select("INBOX")
typ, data = m.fetch("1", "(BODY.PEEK[])")
t.ok(typ == "OK" and data[0][1] == big, "FETCH BODY[] gives the same bytes back")
typ, data = m.fetch("1", "(RFC822.SIZE BODYSTRUCTURE)")
t.ok(b"RFC822.SIZE %d " % len(big) in data[0], "  and RFC822.SIZE its size")
t.ok(b'"APPLICATION" "OCTET-STREAM"' in data[0].upper() and b'"MIXED"' in data[0].upper()
     and b" %d NIL" % (nlines * 78 - 2) in data[0],
     "  BODYSTRUCTURE (parsed from the spool) shows both parts and their sizes")
typ, data = m.fetch("1", "(BODY.PEEK[2])")
t.is_(len(data[0][1]), nlines * 78 - 2, "  BODY[2] is the second part exactly (its last CRLF"
      " belongs to the delimiter)")
# literal8 (RFC 3516 binary content, with a NUL) spooled the same way
binary = b"Subject: binary\r\n\r\n" + bytes(range(256)) * 1000 + b"\r\n"
r = s.raw()
r.send(b"b8 APPEND INBOX ~{%d+}\r\n%s\r\n" % (len(binary), binary))
_, tagged = r.until("b8")
t.ok(tagged.startswith(b"b8 OK [APPENDUID"), "APPEND of a %d-byte literal8 is accepted" %
     len(binary))
uid = int(tagged.split()[4].rstrip(b"]"))
r.command("sb", "SELECT INBOX")
r.send("fb UID FETCH %d BINARY.PEEK[]\r\n" % uid)
head = r.line()
got = r.take(int(head[head.rindex(b"{") + 1:-1]))
t.ok(got == binary, "  BINARY[] gives its bytes back, NUL included")
r.until("fb")
r.close()
m.logout()
names, held = spool_files()
t.is_(names, [], "imap4srv made the spool directory, and nothing is left in it")
t.is_(held, [], "  nor held open")

# --- the commit is a pool job: a held lock stalls the APPEND, not the loop ---
db = lock_store(s)
a, b = s.raw(), s.raw()
small, _ = multipart(200 * 1000)
a.send(b"w1 APPEND INBOX {%d+}\r\n%s\r\n" % (len(small), small))
t.ok(emstest.wait_for(a.all_taken), "imap4srv read the whole APPEND")
_, tagged = b.command("n1", "NOOP")
t.is_(tagged, b"n1 OK NOOP completed",
      "while a lock holds a large APPEND's commit, another client's NOOP is answered")
t.ok(a.nothing_yet(), "  and the APPEND is not answered yet")
db.rollback()
db.close()
_, tagged = a.until("w1")
t.ok(tagged.startswith(b"w1 OK [APPENDUID"), "  once the lock is gone the APPEND is stored")
a.close()
b.close()

# --- over the limit ---
r = s.raw()
before = messages(r)
r.send("o1 APPEND INBOX {%d}\r\n" % (LIMIT + 1))
t.ok(r.line().startswith(b"o1 NO [TOOBIG]"), "a literal over max_append_size: NO [TOOBIG]")
_, tagged = r.command("o2", "NOOP")
t.is_(tagged, b"o2 OK NOOP completed", "  before a byte was sent: the session goes on")
r.send("o3 APPEND INBOX {%d+}\r\n" % (LIMIT + 1))
t.ok(r.line().startswith(b"o3 NO [TOOBIG]"), "a non-synchronizing one too")
t.ok(r.line().startswith(b"* BYE"), "  then BYE, its bytes being on their way")
r.close()
r = s.raw()
t.is_(messages(r), before, "  nothing was stored")
t.is_(spool_files(), ([], []), "  and no spool file is there")

# --- a client gone in the middle of its literal ---
r.send("d1 APPEND INBOX {2000000+}\r\n")
r.sock.sendall(b"Subject: half\r\n\r\n" + b"y" * 1000000)
emstest.wait_for(lambda: spool_files()[1] != [])
t.ok(spool_files()[1] != [], "a literal on its way is in a spool file")
r.sock.shutdown(socket.SHUT_RDWR)
r.close()
t.ok(emstest.wait_for(lambda: spool_files() == ([], [])),
     "a client gone in the middle of its literal leaves no spool file")
r = s.raw()
t.is_(messages(r), before, "  and no message")

# --- imap4srv killed in the middle of a literal; a dead process's file ---
r.send("k1 APPEND INBOX {2000000+}\r\n")
r.sock.sendall(b"Subject: killed\r\n\r\n" + b"k" * 1000000)
emstest.wait_for(lambda: spool_files()[1] != [])
imap.send_signal(signal.SIGKILL)
imap.wait()
r.close()
# what a process killed between creating a spool file and unlinking it
# would leave (that instant is too short to hit from a test)
dead = os.fork()
if dead == 0:
    os._exit(0)
os.waitpid(dead, 0)
leftover = os.path.join(spool, "ems.%d.AbCdEf" % dead)
with open(leftover, "wb") as f:
    f.write(b"Subject: left over\r\n\r\n")
imap = s.start_imap()
t.ok(not os.path.exists(leftover), "imap4srv at start removes a dead process's spool file")
t.is_(spool_files(), ([], []), "  and the spool directory is empty")
r = s.raw()
t.is_(messages(r), before, "an imap4srv killed in the middle of a literal stored nothing")
r.close()

s.stop()
t.done()
