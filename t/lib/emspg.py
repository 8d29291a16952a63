"""emspg - a private PostgreSQL cluster for the tests of the PostgreSQL store.

PostgreSQL refuses to run as root, and CI runs as root, so the cluster's
directory belongs to an unprivileged user ("nobody" when run as root,
else the caller) and initdb/pg_ctl run as that user.  The server listens
on a unix socket in the cluster's directory only (no TCP), trusts local
connections, and its superuser is "ems".  Every test database is a fresh
``CREATE DATABASE``, so tests share a cluster without sharing a store.

One cluster per run: ``make check`` starts one and exports
EMS_TEST_PG_DIR (see :func:`main`); a test run alone starts its own,
stopped by pid at interpreter exit.

    import emspg
    if not emspg.available(): tap.skip_all("no PostgreSQL server binaries")
    conninfo = emspg.new_database()      # "host=/tmp/... port=N dbname=tN user=ems"
"""

import atexit
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# pg_ctl start waits at most this long for the server to accept connections.
START_TIMEOUT = 60
_cluster = None
_db_count = 0


def bindir():
    """Directory of initdb/pg_ctl/psql of the newest installed server, or None."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                  key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return os.path.dirname(dirs[-1]) if dirs else None


def available():
    return bindir() is not None


def require(tap, programs=()):
    """Skips the test of TAP (an emstest.Tap) unless the PostgreSQL server
    binaries and PROGRAMS of the build are there."""
    import emstest
    if not available():
        tap.skip_all("no PostgreSQL server binaries (Debian's postgresql package)")
    for prog in programs:
        if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
            tap.skip_all("%s is not built" % prog)


def _as_owner(owner, argv, **kw):
    """Runs ARGV as OWNER (a user name) when we are root, else as ourselves."""
    if os.geteuid() == 0:
        argv = ["runuser", "-u", owner, "--"] + argv
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kw)


class Cluster:
    """A running cluster: DIR (data in DIR/data, socket in DIR), PORT."""

    def __init__(self, dir, port, pid=None, durable=False):
        self.dir, self.port, self.pid, self.durable = dir, port, pid, durable

    def conninfo(self, dbname="postgres"):
        return "host=%s port=%d dbname=%s user=ems" % (self.dir, self.port, dbname)

    def psql(self, sql, dbname="postgres"):
        """Runs SQL with psql; returns its output (raises on failure)."""
        r = subprocess.run([os.path.join(bindir(), "psql"), "-XAtq", "-v",
                            "ON_ERROR_STOP=1", "-d", self.conninfo(dbname), "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=60)
        if r.returncode != 0:
            raise RuntimeError("psql: %s" % r.stdout.strip())
        return r.stdout

    def stop(self):
        """Stops the server by pid (SIGINT: fast shutdown) and waits for it."""
        if self.pid is None:
            return
        try:
            os.kill(self.pid, signal.SIGINT)
        except ProcessLookupError:
            self.pid = None
            return
        for _ in range(600):
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        self.pid = None

    def restart(self):
        """Starts the server again after stop(), same directory and port
        (a database that went away and came back)."""
        if self.pid is None:
            self.pid = _server_start(_owner(), self.dir, self.port, self.durable)


def start(dir=None, port=None, durable=False):
    """Creates and starts a cluster in DIR (a new temporary directory by
    default) on socket port PORT; returns the Cluster.  Tests run it
    with fsync off; DURABLE (the bench) keeps PostgreSQL's defaults."""
    owner = _owner()
    dir = dir or tempfile.mkdtemp(prefix="ems-pg-")
    port = port or 20000 + os.getpid() % 30000
    data = os.path.join(dir, "data")
    if os.geteuid() == 0:
        os.chmod(dir, 0o755)
        shutil.chown(dir, user=owner)
    r = _as_owner(owner, [os.path.join(bindir(), "initdb"), "-D", data, "-U", "ems",
                          "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                  cwd=dir)
    if r.returncode != 0:
        raise RuntimeError("initdb: %s" % r.stdout.strip())
    return Cluster(dir, port, _server_start(owner, dir, port, durable), durable)


def _owner():
    return "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def _server_start(owner, dir, port, durable=False):
    """Starts the server of the cluster in DIR; returns its pid."""
    data = os.path.join(dir, "data")
    opts = ("-c listen_addresses='' -c unix_socket_directories='%s' -p %d "
            "-c max_connections=300 -c shared_buffers=%s" % (dir, port,
                                                             "128MB" if durable else "32MB"))
    if not durable:
        opts += " -c fsync=off"
    r = _as_owner(owner, [os.path.join(bindir(), "pg_ctl"), "-D", data, "-o", opts,
                          "-l", os.path.join(dir, "server.log"), "-w",
                          "-t", str(START_TIMEOUT), "start"], cwd=dir)
    if r.returncode != 0:
        raise RuntimeError("pg_ctl start: %s" % r.stdout.strip())
    with open(os.path.join(data, "postmaster.pid")) as f:
        return int(f.readline())


def cluster():
    """The run's cluster (EMS_TEST_PG_DIR/EMS_TEST_PG_PORT), or one of this
    process's own, started on first use and stopped at exit."""
    global _cluster
    if _cluster is None:
        d, p = os.environ.get("EMS_TEST_PG_DIR"), os.environ.get("EMS_TEST_PG_PORT")
        if d and p:
            _cluster = Cluster(d, int(p))
        else:
            _cluster = start()
            atexit.register(_remove, _cluster)
    return _cluster


def _remove(c):
    c.stop()
    shutil.rmtree(c.dir, ignore_errors=True)


def new_database():
    """A fresh empty database in the cluster; returns its libpq conninfo."""
    global _db_count
    _db_count += 1
    name = "t%d_%d_%d" % (os.getpid(), _db_count, int(time.time() * 1000) % 100000)
    c = cluster()
    c.psql("CREATE DATABASE %s" % name)
    return c.conninfo(name)


def own_suite(name, **store):
    """A cluster of this test's own (stopping or stalling the run's shared
    one would break the tests beside it) and an emsimap.ImapSuite NAME,
    logging at info, whose store is its database "ems", with STORE's
    other settings; returns (cluster, suite), daemons and imap4srv
    started.  The cluster is removed at exit."""
    from emsimap import ImapSuite   # noqa: E402 - emsimap imports emstest, which imports us

    c = start()
    atexit.register(_remove, c)
    c.psql("CREATE DATABASE ems")
    s = ImapSuite({"store": dict(store, backend="postgresql", conninfo=c.conninfo("ems")),
                   "log": {"level": "info"}}, name=name)
    s.start_daemons()
    s.start_imap()
    return c, s


def node_suite(name, conninfo):
    """An emsimap.ImapSuite that is node NAME of several sharing the
    PostgreSQL store at CONNINFO: its admin() takes the demo person (or
    any other) that another node already made as done, not as a failure."""
    from emsimap import ImapSuite   # noqa: E402 - emsimap imports emstest, which imports us

    class Node(ImapSuite):
        def admin(self, *statements):
            r = self.oomgr(*statements)
            if r.returncode != 0 and "exists" not in r.stdout + r.stderr:
                raise RuntimeError("oomgr %r failed: %s%s" % (statements, r.stdout,
                                                               r.stderr))
            return r

    return Node({"node": name, "store": {"backend": "postgresql", "conninfo": conninfo}},
                name=name)


def main(argv):
    """`python3 emspg.py start DIR` prints "DIR PORT" of a started cluster;
    `python3 emspg.py stop DIR` stops it (make check uses both)."""
    if len(argv) == 3 and argv[1] == "start":
        os.makedirs(argv[2], exist_ok=True)
        c = start(argv[2])
        print(c.dir, c.port)
        return 0
    if len(argv) == 3 and argv[1] == "stop":
        try:
            with open(os.path.join(argv[2], "data", "postmaster.pid")) as f:
                Cluster(argv[2], 0, int(f.readline())).stop()
        except (OSError, ValueError):
            pass
        return 0
    sys.stderr.write("usage: emspg.py start|stop DIR\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
