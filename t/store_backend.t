#!/usr/bin/env python3
"""store_backend.t - store.backend in ems.conf picks the store.

With store.backend = "postgresql" and a connection string that reaches
no server, oomgr fails to open the store and says so, and never falls
back to an SQLite file; `oomgr backup` and `oomgr restore`, which copy
SQLite files, refuse such a store; a backend ems does not know is
refused by the configuration check; "sqlite" (the default) works.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402

t = emstest.Tap()
if not os.access(os.path.join(emstest.BIN, "oomgr"), os.X_OK):
    t.skip_all("oomgr is not built")

NOWHERE = "host=/nonexistent-ems-test connect_timeout=2"

pg = emstest.Suite({"store": {"backend": "postgresql", "conninfo": NOWHERE}},
                   name="backend-pg")
store_file = os.path.join(pg.state, "store.db")
r = pg.run("oomgr", "-c", pg.conf_path, "insert domain qualifiedname=pg.test;")
t.ok(r.returncode != 0, "postgresql without a server: oomgr fails")
t.ok(not os.path.exists(store_file), "and no SQLite store file appears instead")
t.like(r.stderr, "Cannot open the postgresql store", "and says which store it could not open")

r = pg.run("oomgr", "-c", pg.conf_path, "backup %s;" % os.path.join(pg.dir, "copy.db"))
t.ok(r.returncode != 0 and "store.backend is postgresql" in r.stdout + r.stderr,
     "backup refuses a postgresql store")
r = pg.run("oomgr", "-c", pg.conf_path, "restore %s;" % os.path.join(pg.dir, "copy.db"))
t.ok(r.returncode != 0 and "store.backend is postgresql" in r.stdout + r.stderr,
     "restore refuses a postgresql store")
pg.stop()

odd = emstest.Suite({"store": {"backend": "oracle"}}, name="backend-odd")
r = odd.run("oomgr", "-c", odd.conf_path, "insert domain qualifiedname=odd.test;")
t.ok(r.returncode != 0 and "store.backend" in r.stdout + r.stderr,
     "an unknown backend is refused by the configuration check")
odd.stop()

lite = emstest.Suite({"store": {"backend": "sqlite"}}, name="backend-sqlite")
r = lite.run("oomgr", "-c", lite.conf_path, "insert domain qualifiedname=lite.test;")
t.ok(r.returncode == 0 and os.path.exists(os.path.join(lite.state, "store.db")),
     "sqlite: the store file is created and used")
lite.stop()

t.done()
