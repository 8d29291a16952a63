#!/usr/bin/env python3
"""pop3_retr.t - big messages and pipelining: a message of several
megabytes with dot-lines is streamed by RETR byte-exact over plain TCP
and over POP3S while the client reads slowly, TOP cuts it after the
right body line, and commands pipelined in one packet (RFC 2449
PIPELINING) are answered in order."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emsmail  # noqa: E402
import emstest  # noqa: E402
from emspop import PASSWORD, USER, PopSuite, Raw  # noqa: E402

t = emstest.Tap()
for prog in ("pop3srv", "oomgr", "smtpgw", "postman"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = PopSuite(name="pop3retr")
s.start_daemons(smtpgw=False)
body = "".join("%s line %06d of the big message\n" % ("." if i % 7 == 0 else "x", i)
               for i in range(100000))
s.deliver(emsmail.make_message("big", body=body))
s.deliver(emsmail.make_message("small"))
entries = s.wait_messages(USER, 2)
big = s.message(USER, entries[0].uid)
t.ok(len(big) > 3000000, "a message of %d octets was delivered" % len(big))
s.start_pop()

m = s.connect()
resp, lines, octets = m.retr(1)
t.ok(b"\r\n".join(lines) + b"\r\n" == big, "RETR streams it byte-exact over TCP")
m.quit()

r = Raw(s.pops_port, tls=True)
r.command("USER %s" % USER)
r.command("PASS %s" % PASSWORD)
r.send("RETR 1\r\n")
data = b""
r.sock.settimeout(emstest.DEFAULT_TIMEOUT)
while not data.endswith(b"\r\n.\r\n"):
    chunk = r.sock.recv(8192)
    if not chunk:
        break
    data += chunk
    if len(data) < 200000:
        time.sleep(0.001)       # a slow reader at first: back-pressure
head, rest = data.split(b"\r\n", 1)
t.is_(head, b"+OK %d octets" % len(big), "over POP3S RETR announces the size")
unstuffed = rest[:-3].replace(b"\r\n..", b"\r\n.")
t.ok(unstuffed == big, "and streams it byte-exact while the client reads slowly")
first, lines = r.multi("TOP 1 5")
hdr = big.split(b"\r\n\r\n", 1)[0]
t.is_(b"\r\n".join(lines), hdr + b"\r\n\r\n" + b"\r\n".join(
    l.encode() for l in body.splitlines()[:5]), "TOP 1 5 stops after five body lines")
r.send("STAT\r\nLIST 2\r\nUIDL 2\r\nNOOP\r\n")
got = [r.line() for _ in range(4)]
t.ok(got[0].startswith(b"+OK 2 ") and got[1].startswith(b"+OK 2 ") and
     got[2].startswith(b"+OK 2 ") and got[3] == b"+OK", "pipelined commands are answered in order")
r.command("QUIT")
r.close()
s.stop()
t.done()
