#!/usr/bin/env python3
"""pop3_limits.t - the authentication limits (issue 9): 20 wrong
passwords from one address are answered ever later and then lock that
address out, right password or not, also on a second pop3srv process
(the counters live in the store); meanwhile another address logs the
same person in, which resets the person's count.  Nothing logged holds
a password."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emspop import PASSWORD, USER, PopSuite, Raw  # noqa: E402

t = emstest.Tap()
for prog in ("pop3srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = PopSuite({"auth": {"fail_delay_ms": 50, "fail_delay_max_ms": 400,
                       "addr_lock_failures": 10, "person_lock_failures": 50,
                       "lock_s": 600}}, name="pop3limits")
s.start_pop()
port2, pops2 = emstest.free_port(), emstest.free_port()
s.start_pop("--instance", "2", port=port2, pops_port=pops2)


def login(port, password, source="127.0.0.1"):
    r = Raw(port, source=source)
    r.command("USER %s" % USER)
    reply = r.command("PASS %s" % password)
    r.close()
    return reply


replies = [login(s.pop_port, "guess%d" % i) for i in range(20)]
t.ok(all(x.startswith(b"-ERR [AUTH]") for x in replies), "20 wrong passwords all fail")
t.ok(all(b"too many failed logins" in x for x in replies[10:]),
     "  from the 11th on, the address is locked out")
log = s.log_text("pop3srv")
delays = [int(d) for d in re.findall(
    r"event=auth_failed service=pop \S+ peer=127\.0\.0\.1 .*?reason=\"wrong password\" "
    r"failures=\d+ delay_ms=(\d+)", log)]
t.is_(len(delays), 10, "ten failures were counted before the lock")
t.ok(all(a <= b for a, b in zip(delays, delays[1:])) and delays[0] < delays[-1],
     "the answer's delay grew with each failure (%s)" % delays)
t.like(log, "event=auth_lockout service=pop peer=127.0.0.1", "the lock-out is logged")
t.ok(login(s.pop_port, PASSWORD).startswith(b"-ERR [AUTH] too many failed logins"),
     "the locked address is refused with the right password")
t.ok(login(port2, PASSWORD).startswith(b"-ERR [AUTH] too many failed logins"),
     "  also by another pop3srv process")
t.ok(login(s.pop_port, PASSWORD, source="127.0.0.2").startswith(b"+OK maildrop"),
     "another address still logs the person in")
t.ok(login(port2, "wrong", source="127.0.0.3").startswith(b"-ERR [AUTH] authentication failed"),
     "a wrong password from a third address is a plain failure")

# --- one session per maildrop across processes; maxclt ---
a = Raw(s.pop_port, source="127.0.0.2")
a.command("USER %s" % USER)
t.ok(a.command("PASS %s" % PASSWORD).startswith(b"+OK"), "a session on the first process")
b = Raw(port2, source="127.0.0.2")
b.command("USER %s" % USER)
t.ok(b.command("PASS %s" % PASSWORD).startswith(b"-ERR [IN-USE]"),
     "a second one on the other process gets [IN-USE]")
b.close()
a.command("QUIT")
a.close()
port3 = emstest.free_port()
s.start_pop("--instance", "3", "--maxclt", "1", port=port3, pops_port=emstest.free_port())


def served():
    # start_pop's readiness probe was a client too, and may not be gone yet
    r = Raw(port3, source="127.0.0.2")
    if r.greeting.startswith(b"+OK"):
        return r
    r.close()
    return None


held = emstest.wait_for(served)
t.ok(held is not None, "maxclt 1: a client is served")
busy = Raw(port3, source="127.0.0.2")
t.is_(busy.greeting, b"-ERR [SYS/TEMP] Server busy, try again later",
      "  the second gets the busy line, iolistener's")
busy.close()
held.close()

log = s.log_text("pop3srv")
t.ok(not any(("guess%d" % i) in log for i in range(20)) and PASSWORD not in log.replace(
    "demo@", ""), "no password was logged")
s.stop()
t.done()
