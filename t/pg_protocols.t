#!/usr/bin/env python3
"""pg_protocols.t - a representative set of the protocol tests, again with
every suite's store in PostgreSQL (`make check STORE=postgresql` runs them
all that way; the default run takes this set).

Each test file runs as it would alone, with EMS_TEST_STORE=postgresql, so
its suites get a fresh database in the run's cluster (t/lib/emstest.py);
one line here per file: it passed, or the tests it failed.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emspg  # noqa: E402
import emstest  # noqa: E402

TESTS = ["imap_session.t", "imap_qresync.t", "imap_mailbox.t", "imap_fetch_range.t",
         "pop3_session.t", "lmtp_session.t", "postman_recipients.t", "sieve.t",
         "managesieve.t", "auth_cache.t"]

t = emstest.Tap()
emspg.require(t, ("imap4srv", "pop3srv", "smtpgw", "postman", "sievesrv"))
here = os.path.dirname(os.path.abspath(__file__))
env = dict(os.environ, EMS_TEST_STORE="postgresql")
c = emspg.cluster()   # the run's, or one of this test's that its children share
env["EMS_TEST_PG_DIR"], env["EMS_TEST_PG_PORT"] = c.dir, str(c.port)
for name in TESTS:
    r = subprocess.run([sys.executable, os.path.join(here, name)], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=600)
    failed = re.findall(r"^not ok \d+ - .*$", r.stdout, re.M)
    t.ok(r.returncode == 0 and not failed,
         "%s on PostgreSQL%s" % (name, (": " + "; ".join(failed[:3])) if failed else
                                 "" if r.returncode == 0 else ": exit %d" % r.returncode))
    if r.returncode != 0:
        t.diag("\n".join(r.stdout.splitlines()[-40:]))
t.done()
