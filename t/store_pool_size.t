#!/usr/bin/env python3
"""store_pool_size.t - the store pool's size from the process table
(issue 19: the seeds' per-process minimum, maximum, increment, timeout).

A private suite under a real guardian: IMAP4SRV's instance has its own
`pool` in its `processes` entry, POP3SRV none, with ems.conf's
store.threads = 2 and no store.pool (the setting of before, still
honoured; on PostgreSQL a pool that starts there and grows to 4, as the
clients' reads run on it).  Each worker says at start which pool it runs, and both
serve; `oomgr set process` changes an instance's pool (a refresh
restarts it with the new one) and refuses a bad one; a pool entry out
of range is refused when the configuration is read, and a bad --pool on the command line stops the program with a
message naming it.
"""
import imaplib
import os
import poplib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsproto import PASSWORD, USER, ProtoSuite  # noqa: E402

t = emstest.Tap()
for prog in ("guardian", "oomgr", "iolistener", "imap4srv", "pop3srv"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

BOUND = 60
IMAP_PORT, POP_PORT = emstest.free_port(), emstest.free_port()
s = ProtoSuite({"lmtp": {"port": 0}}, name="poolsize")
s.conf.update({
    "user": "", "group": "",
    "log": {"level": "info"},
    "guardian": {"backoff_initial_s": 1, "backoff_max_s": 2, "shutdown_timeout_s": 5},
    "store": dict(s.conf.get("store", {}), threads=2),
    "processes": [
        {"name": "IOLISTENER", "program": "iolistener", "instances": [{"autostart": True}]},
        {"name": "IMAP4SRV", "program": "imap4srv",
         "instances": [{"autostart": True,
                        "pool": {"min": 2, "max": 5, "increment": 2,
                                 "idle_timeout_s": 7}}]},
        {"name": "POP3SRV", "program": "pop3srv", "instances": [{"autostart": True}]},
    ],
    "listeners": [{"service": "imap", "address": "127.0.0.1", "port": IMAP_PORT},
                  {"service": "pop", "address": "127.0.0.1", "port": POP_PORT}],
})
s.write_conf()


def imap_logs_in():
    try:
        m = imaplib.IMAP4("127.0.0.1", IMAP_PORT, timeout=emstest.DEFAULT_TIMEOUT)
        ok = m.login(USER, PASSWORD)[0] == "OK"
        m.logout()
        return ok
    except (OSError, imaplib.IMAP4.error):
        return None


def pop_logs_in():
    try:
        p = poplib.POP3("127.0.0.1", POP_PORT, timeout=emstest.DEFAULT_TIMEOUT)
        p.user(USER)
        ok = p.pass_(PASSWORD).startswith(b"+OK")
        p.quit()
        return ok
    except (OSError, poplib.error_proto):
        return None


s.start("guardian", "-F", "-c", s.conf_path)
t.ok(emstest.wait_for(imap_logs_in, timeout=BOUND), "IMAP serves")
t.ok(emstest.wait_for(pop_logs_in, timeout=BOUND), "POP3 serves")
t.like(s.log_text("imap4srv"),
       "event=store_pool threads=2 min=2 max=5 increment=2 idle_timeout_s=7",
       "imap4srv runs the pool of its processes entry")
if emstest.STORE == "sqlite":
    t.like(s.log_text("pop3srv"), "event=store_pool threads=2 min=2 max=2 ",
           "pop3srv, without one, the fixed pool of store.threads")
else:
    # on a database server the pool runs the clients' reads too
    t.like(s.log_text("pop3srv"), "event=store_pool threads=2 min=2 max=4 ",
           "pop3srv, without one, store.threads growing to 4 (reads run on it)")

r = s.run("oomgr", "-c", s.conf_path, "set process IMAP4SRV 1 pool=9,3,1,0")
t.ok(r.returncode != 0 and "pool must be default or MIN,MAX" in r.stdout + r.stderr,
     "oomgr set process refuses a pool whose min is above its max")
r = s.run("oomgr", "-c", s.conf_path, "set process IMAP4SRV 1 pool=1,3,1,5;", "refresh IMAP4SRV;")
t.is_(r.returncode, 0, "oomgr set process IMAP4SRV 1 pool=1,3,1,5, then refresh")
t.ok(emstest.wait_for(lambda: "min=1 max=3 increment=1 idle_timeout_s=5" in
                      s.log_text("imap4srv"), timeout=BOUND),
     "  imap4srv is restarted with the new pool")
t.ok(emstest.wait_for(imap_logs_in, timeout=BOUND), "  and serves")

bad = dict(s.conf)
bad["processes"] = [{"name": "IMAP4SRV", "program": "imap4srv",
                     "instances": [{"pool": {"min": 1, "max": 17}}]}]
bad_path = os.path.join(s.dir, "bad.conf")
with open(bad_path, "w") as f:
    for k, v in bad.items():
        f.write("%s = %s;\n" % (k, emstest.libconfig(v)))
r = s.run("oomgr", "-c", bad_path, "disp", "process")
t.ok(r.returncode != 0 and "pool.max must be an integer between 0 and 16" in r.stdout + r.stderr,
     "a pool of 17 threads is refused when ems.conf is read")
r = s.run("imap4srv", "-c", s.conf_path, "--pool", "3,2,1,0")
t.ok(r.returncode != 0 and "--pool" in r.stdout + r.stderr,
     "imap4srv --pool with min above max stops, naming --pool")

if t.failed:
    t.diag(s.logs())
s.stop()
t.done()
