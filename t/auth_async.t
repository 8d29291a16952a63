#!/usr/bin/env python3
"""auth_async.t - a login being checked does not hold up the other
sessions of its worker (libcommon/auth_async.h).  The test holds the
store's write lock, so that a wrong password's check cannot finish (it
must count the failure in the store); meanwhile a client already logged
in gets its NOOP answered, in imap4srv and in pop3srv, before the slow
login's answer, and the commands pipelined behind that login wait for
it.  A client that leaves while its check runs breaks nothing.  There
is no failure delay here: only the check itself is slow."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
import emspop  # noqa: E402
from emsimap import PASSWORD, USER, ImapSuite, Raw  # noqa: E402
from emsproto import lock_store  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "pop3srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

# the check waits for the lock up to the busy timeout: far longer than
# the test holds it
s = ImapSuite({"auth": {"fail_delay_ms": 0, "threads": 2},
               "store": {"busy_timeout_ms": 120000}}, name="authasync")
s.start_imap()
pop_port, pops_port = emstest.free_port(), emstest.free_port()
pop = s.start_listening("pop3srv", pop_port, pops_port, [])

# ---- imap4srv ----
a = Raw(s.imap_port)
lines, tagged = a.command("a1", 'LOGIN "%s" "%s"' % (USER, PASSWORD))
t.ok(tagged.startswith(b"a1 OK"), "imap: client A logs in")

con = lock_store(s)
b = Raw(s.imap_port)
b.send('b1 LOGIN "%s" "Xyzzy-guess"\r\nb2 NOOP\r\n' % USER)
gone = Raw(s.imap_port)
gone.send('g1 LOGIN "%s" "Xyzzy-guess"\r\n' % USER)
gone.close()
lines, tagged = a.command("a2", "NOOP")
t.ok(tagged.startswith(b"a2 OK"), "imap: A's NOOP is answered while B's LOGIN is checked")
t.ok(b.nothing_yet(), "  and B has no answer yet: its LOGIN is still running")
con.rollback()
con.close()
first = b.line()
t.ok(first.startswith(b"b1 NO [AUTHENTICATIONFAILED]"), "imap: B's LOGIN then fails")
lines, tagged = b.until("b2")
t.ok(tagged.startswith(b"b2 OK"), "  and only then is its pipelined NOOP answered")
b.close()
lines, tagged = a.command("a3", "NOOP")
t.ok(tagged.startswith(b"a3 OK"), "imap: a client gone during its check breaks nothing")
a.close()

# ---- pop3srv ----
pa = emspop.Raw(pop_port)
pa.command("USER %s" % USER)
t.ok(pa.command("PASS %s" % PASSWORD).startswith(b"+OK"), "pop3: client A logs in")

con = lock_store(s)
pb = emspop.Raw(pop_port)
t.ok(pb.command("USER %s" % USER).startswith(b"+OK"), "pop3: B sends USER")
pb.send("PASS Xyzzy-guess\r\nSTAT\r\n")
pgone = emspop.Raw(pop_port)
pgone.send("USER %s\r\nPASS Xyzzy-guess\r\n" % USER)
pgone.close()
t.ok(pa.command("NOOP").startswith(b"+OK"),
     "pop3: A's NOOP is answered while B's PASS is checked")
t.ok(pb.nothing_yet(), "  and B has no answer yet")
con.rollback()
con.close()
t.ok(pb.line().startswith(b"-ERR [AUTH]"), "pop3: B's PASS then fails")
t.ok(pb.line().startswith(b"-ERR"), "  and only then is its pipelined STAT refused")
pb.close()
t.ok(pa.command("NOOP").startswith(b"+OK"), "pop3: a client gone during its check breaks nothing")
pa.close()

t.ok(pop.poll() is None and s.imap.poll() is None, "both workers still run")
log = s.log_text("imap4srv") + s.log_text("pop3srv")
t.ok("Xyzzy-guess" not in log, "no password is logged")
s.stop()
t.done()
