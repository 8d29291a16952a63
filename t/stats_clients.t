#!/usr/bin/env python3
"""stats_clients.t - `oomgr disp stats` counts what real clients did: a
POP3 worker sees N logins, K authentication failures and M retrieved
messages with their octets (total, smallest, largest) and connections
opened and closed, and the statistics process stores them for `disp stats NAME history`."""
import json
import os
import poplib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import make_message  # noqa: E402

t = emstest.Tap()
for prog in ("pop3srv", "smtpgw", "postman", "oomgr", "statistics"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)
from emspop import PASSWORD, USER, PopSuite  # noqa: E402

s = PopSuite(name="stats")
s.start_daemons(smtpgw=False)
M = 3
for i in range(M):
    r = s.mailer("sender@outside.example", USER,
                 make_message("stats %d" % i, body="x" * (100 * (i + 1)) + "\n", to=USER))
    if r.returncode != 0:
        t.diag("mailer failed: %r" % r.stderr)
t.is_(len(s.wait_messages(USER, M)), M, "%d messages delivered" % M)
s.start_pop()


def oomgr(*args):
    return s.run("oomgr", "-c", s.conf_path, *args)


def counters():
    return s.counters("pop3srv")


base = s.quiet_counters("pop3srv")
K = 2
for i in range(K):
    p = s.connect(login=False)
    p.user(USER)
    try:
        p.pass_("wrong")
    except poplib.error_proto:
        pass
    p.quit()

N = 3
sizes = []
for i in range(N):
    p = s.connect()
    if i == 0:
        for line in p.list()[1]:
            num, size = line.split()
            sizes.append(int(size))
            p.retr(int(num))
    p.quit()

B = base.get("conn_total", 0)
c = emstest.wait_for(lambda: (lambda c: c if c.get("conn_current") == 0 and
                              c.get("conn_total") == B + K + N else None)(counters()))
c = c or counters()
t.is_(c.get("logins"), N, "logins = %d" % N)
t.is_(c.get("auth_failures"), K, "auth_failures = %d" % K)
t.is_(c.get("retr_messages"), M, "retr_messages = %d" % M)
t.is_(c.get("retr_octets"), sum(sizes), "retr_octets = %d, the sizes LIST gave" % sum(sizes))
t.is_(c.get("retr_min"), min(sizes or [0]), "retr_min is the smallest")
t.is_(c.get("retr_max"), max(sizes or [0]), "retr_max is the largest")
t.is_(c.get("conn_total", 0) - B, K + N, "conn_total grew by %d" % (K + N))
t.is_(c.get("conn_current"), 0, "no connection open now")
t.is_(c.get("disc_normal", 0) - base.get("disc_normal", 0), K + N,
      "every one ended with QUIT")
t.is_(c.get("users_current"), 0, "no user logged in now")

text = oomgr("disp", "stats", "POP3SRV").stdout
t.like(text, "retr_avg", "the text form gives the average size")
t.like(text, "client_timeouts", "and the whole XTND STATS set, zeros too")

# The statistics process stores them.
r = s.run("statistics", "-c", s.conf_path, "--once")
t.is_(r.returncode, 0, "statistics --once samples every process")
r = oomgr("--json", "disp", "stats", "pop3srv", "history", "counter=logins")
samples = json.loads(r.stdout).get("samples", []) if r.returncode == 0 else []
t.ok(samples and samples[-1][1] >= N, "history holds the logins")
s.stop()
t.done()
