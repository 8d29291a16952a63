#!/usr/bin/env python3
"""store_pg.t - the store's unit tests on PostgreSQL.

Starts a private PostgreSQL cluster (t/lib/emspg.py; the one of the run
when make check started it) and runs each unit binary below in a fresh
database of its own: store_pg, the driver on its own, then the store
contract tests with EMS_TEST_STORE=postgresql and EMS_TEST_PG_CONNINFO,
which make them open a PostgreSQL store instead of an SQLite file.  Each
binary's TAP is shown indented; it counts as one test here, passed when
the binary exits 0 having run its plan.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emspg  # noqa: E402
import emstest  # noqa: E402

# The unit binaries of build/t/unit that run against PostgreSQL: the
# driver on its own, then those that take the backend from the
# environment (t/store_test.h).  collector is not among them: it measures
# the SQLite file (growth, free pages).
UNITS = ("store_pg", "store_schema_same", "store", "store_sieve", "store_pool", "auth",
         "auth_async", "spool", "postman_expand")
# A binary that runs longer than this has hung.
UNIT_TIMEOUT = 300

t = emstest.Tap()
emspg.require(t)


def run_unit(name):
    path = os.path.join(emstest.BUILD, "t", "unit", name)
    if not os.access(path, os.X_OK):
        t.ok(False, "%s is built" % name)
        return
    env = dict(os.environ, EMS_TEST_STORE="postgresql",
               EMS_TEST_PG_CONNINFO=emspg.new_database())
    r = subprocess.run([path], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=UNIT_TIMEOUT)
    lines = r.stdout.splitlines()
    for line in lines:
        print("    " + line, flush=True)
    failed = [x for x in lines if x.startswith("not ok")]
    t.ok(r.returncode == 0 and not failed and any(x.startswith("1..") for x in lines),
         "%s on PostgreSQL (%d failed)" % (name, len(failed)))


for unit in UNITS:
    run_unit(unit)
t.done()
