#!/usr/bin/env python3
"""pop3_robust.t - pop3srv against hostile input: seeded random bytes,
NULs and control characters, over-long lines, SASL exchanges left
half-way, a half-finished TLS handshake and connections cut in every
state.  Afterwards the process is still up and serves a normal session
(run under make check SANITIZE=1 this also catches memory errors)."""
import os
import random
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emspop import PASSWORD, USER, PopSuite, Raw  # noqa: E402

t = emstest.Tap()
for prog in ("pop3srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = PopSuite({"auth": {"fail_delay_ms": 10, "fail_delay_max_ms": 20,
                       "retrievable_secrets": True}}, name="pop3robust")
p = s.start_pop()
rng = random.Random(5034)


def blast(port, data, tls=False):
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=2)
        if not tls:
            c.recv(512)
        c.sendall(data)
        c.settimeout(0.2)
        try:
            while c.recv(65536):
                pass
        except (socket.timeout, OSError):
            pass
        c.close()
    except OSError:
        pass


for i in range(40):
    n = rng.randrange(1, 3000)
    blast(s.pop_port, bytes(rng.randrange(256) for _ in range(n)))
t.ok(p.poll() is None, "random bytes: the process is still up")
lines = [b"USER \x00demo\r\n", b"AUTH PLAIN\r\n" + b"A" * 5000 + b"\r\n",
         b"AUTH LOGIN\r\nZGVtbw==\r\n", b"AUTH CRAM-MD5\r\n", b"APOP demo xyz\r\n",
         b"USER demo@example.test\r\nPASS demo\r\nRETR 1\r\nTOP 1 -1\r\nLIST 99999999999\r\n",
         b"USER demo@example.test\r\nPASS demo\r\nXTND\r\nXTND STATS\r\nDELE 0\r\n",
         b"STLS\r\n\x16\x03\x01\x00\x05hello", b"\r\n" * 200, b"CAPA" * 3000 + b"\r\n",
         b"QUIT extra\r\n", b"user\tdemo\r\n"]
for data in lines:
    blast(s.pop_port, data)
blast(s.pops_port, b"\x16\x03\x01\x02\x00" + bytes(rng.randrange(256) for _ in range(300)),
      tls=True)
t.ok(p.poll() is None, "protocol abuse and broken handshakes: still up")
r = Raw(s.pop_port)
r.command("USER %s" % USER)
t.ok(r.command("PASS %s" % PASSWORD).startswith(b"+OK"), "and a normal session works")
t.ok(r.command("STAT").startswith(b"+OK 0 0"), "  with its maildrop intact")
r.command("QUIT")
r.close()
s.stop()
t.is_(p.returncode, 0, "pop3srv exits cleanly on SIGTERM")
t.done()
