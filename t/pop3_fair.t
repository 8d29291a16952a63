#!/usr/bin/env python3
"""pop3_fair.t - one client's long transfer does not hold the worker's
event loop (libcommon/client_conn.c yields after CLIENT_PUMP_STEPS).

Client A reads the RETR of a large message as fast as it can, so the
server's output never fills; client B, on the same pop3srv, sends NOOP
once A's transfer is under way.  B must be answered before A has read
the message body, not after its last byte (without the yield B waits
for the whole transfer)."""
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emsmail  # noqa: E402
import emstest  # noqa: E402
from emspop import PASSWORD, USER, PopSuite, Raw  # noqa: E402

t = emstest.Tap()
for prog in ("pop3srv", "smtpgw", "postman"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

LINE = b"x" * 76 + b"\n"
BODY = LINE * (24 * 1024 * 1024 // len(LINE))     # 24 MB

OTHER = "other@example.test"
s = PopSuite({}, name="pop3fair")
s.admin("insert person username=%s password=%s" % (OTHER, PASSWORD))
s.start_daemons(smtpgw=False)
s.deliver(emsmail.make_message("large", body=BODY.decode()))
t.is_(len(s.wait_messages(USER, 1)), 1, "a 24 MB message delivered")
s.start_pop()


b = Raw(s.pop_port)
b.command("USER %s" % OTHER)
t.ok(b.command("PASS %s" % PASSWORD).startswith(b"+OK"), "B logs in")

# A's socket is read raw, as fast as the kernel gives it
sock = socket.create_connection(("127.0.0.1", s.pop_port), timeout=emstest.DEFAULT_TIMEOUT)
state = {"got": 0, "done": False}
started = threading.Event()


def read_all():
    f = sock.makefile("rb")
    f.readline()
    sock.sendall(b"USER %s\r\n" % USER.encode())
    f.readline()
    sock.sendall(b"PASS %s\r\n" % PASSWORD.encode())
    state["login"] = f.readline()
    sock.sendall(b"RETR 1\r\n")
    tail = b""
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        state["got"] += len(chunk)
        if state["got"] > (1 << 20):
            started.set()
        tail = (tail + chunk)[-5:]
        if tail.endswith(b"\r\n.\r\n"):
            break
    state["done"] = True
    started.set()


sys.setswitchinterval(0.0002)   # B must not wait on the reader for the GIL
reader = threading.Thread(target=read_all, daemon=True)
reader.start()
t.ok(started.wait(emstest.DEFAULT_TIMEOUT) and not state["done"],
     "A (%s) logs in and its RETR is under way" % state.get("login", b"").strip())
sent_at = state["got"]
answer = b.command("NOOP")
got = state["got"]
t.ok(answer.startswith(b"+OK"), "B's NOOP is answered")
t.ok(got < len(BODY), "  before A has read the message body (%d of %d bytes read; NOOP sent at %d)"
     % (got, len(BODY), sent_at))
reader.join(emstest.DEFAULT_TIMEOUT * 4)
t.ok(state["done"] and state["got"] > len(BODY), "A's RETR completes (%d bytes)" % state["got"])
sock.close()
b.close()
s.stop()
t.done()
