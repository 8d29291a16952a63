#!/usr/bin/env python3
"""pq_lazy.t - libpq is loaded only by a process whose store is PostgreSQL.

Linking libpq would make every exec of every program load some twenty
more shared libraries (Kerberos, LDAP, GnuTLS ...), about 10 ms each
time, which the mailer pays per message on the SQLite default.  So no
program names libpq among its needed libraries, and the dynamic loader
shows it loaded (dlopen) when oomgr works on a PostgreSQL store and not
when it works on SQLite.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emspg  # noqa: E402
import emstest  # noqa: E402

t = emstest.Tap()


def needed(path):
    r = subprocess.run(["readelf", "-d", path], capture_output=True, text=True)
    return [line for line in r.stdout.splitlines() if "(NEEDED)" in line]


programs = sorted(os.listdir(emstest.BIN))
t.ok(programs, "the build has programs")
linked = [p for p in programs if any("libpq" in n for n in needed(os.path.join(emstest.BIN, p)))]
t.is_(linked, [], "no program links libpq")


def loads_libpq(suite):
    """Whether oomgr, listing the domains in SUITE's store, loaded libpq."""
    env = dict(suite.env, LD_DEBUG="files")
    r = suite.run("oomgr", "-c", suite.conf_path, "list domain;", env=env, timeout=60)
    t.is_(r.returncode, 0, "oomgr list domain on %s" %
          suite.conf.get("store", {}).get("backend", "sqlite"))
    return "libpq.so" in r.stderr


sqlite = emstest.Suite({"store": {"backend": "sqlite"}}, name="pqlazy")
t.ok(not loads_libpq(sqlite), "an SQLite store never loads libpq")
sqlite.stop()

if not emspg.available():
    t.skip("no PostgreSQL server here", 2)
else:
    pg = emstest.Suite({"store": {"backend": "postgresql", "conninfo": emspg.new_database()}},
                       name="pqlazy")
    t.ok(loads_libpq(pg), "a PostgreSQL store loads libpq when it opens")
    pg.stop()
t.done()
