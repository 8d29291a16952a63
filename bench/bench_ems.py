"""bench_ems - the ems side of `make bench`: a private suite (emstest's
Suite: a temp directory, free loopback ports) started the way `make run`
starts one: the guardian binds the client ports (IMAP, IMAPS, POP3,
POP3S, LMTP) and runs iolistener, which hands each connection to
imap4srv, pop3srv or smtpgw, plus postman, collector, monitor and
statistics.  Every load connects to those ports, so it measures the path
users take: the hand-off, TLS where the load says so, and the same
logins.  The bench persons and their pre-filled INBOXes come from oomgr
insert and oomgr import mbox; everything else is the installed defaults
(log level info, the store's synchronous=FULL commits, the auth cache).
"""
import json
import os
import shutil
import subprocess

import emstest
from emsmail import MailSuite
import bench_loads
from bench_mail import write_mbox

# Clients one imap4srv / pop3srv takes: above the largest IDLE step.
MAXCLT = 10100
# Registry name -> program, as etc/ems-dev.conf (`make run`) has them.
PROGRAMS = [("IOLISTENER", "iolistener"), ("POP3SRV", "pop3srv"),
            ("IMAP4SRV", "imap4srv"), ("SMTPGW", "smtpgw"), ("Postman", "postman"),
            ("Collector", "collector"), ("Monitor", "monitor"),
            ("Statistics", "statistics")]
# The listeners: (part, service, flags).
LISTENERS = [("pop3", "pop", 0), ("pop3s", "pop", 64), ("imap", "imap", 0),
             ("imaps", "imap", 64), ("lmtp", "lmtp", 0)]
# part -> (registry name of its worker, hand-off service)
SERVES = {"imap": ("IMAP4SRV", "imap"), "pop3": ("POP3SRV", "pop"),
          "lmtp": ("SMTPGW", "lmtp")}


def proc_memory(pids):
    """(RSS, PSS) in KB summed over PIDS (those still there)."""
    rss = pss = 0
    for pid in pids:
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            pass
    return rss, pss


class PgCluster:
    """The run's private PostgreSQL cluster with PostgreSQL's durable
    defaults, started on first use; each server has a database of its
    own in it (the nodes of one server share theirs)."""

    def __init__(self):
        self.cluster = None
        self.made = set()

    def conninfo(self, database):
        """The libpq conninfo of DATABASE, created on first ask."""
        import emspg   # noqa: E402 - only a PostgreSQL run needs it
        if self.cluster is None:
            self.cluster = emspg.start(durable=True)
        if database not in self.made:
            self.cluster.psql("CREATE DATABASE %s" % database)
            self.made.add(database)
        return self.cluster.conninfo(database)

    def stop(self):
        if self.cluster is not None:
            self.cluster.stop()
            shutil.rmtree(self.cluster.dir, ignore_errors=True)
            self.cluster = None


class Ems:
    """The ems suite under load.  With CLUSTER (a PgCluster) its store is
    DATABASE there (the server "ems-pg", to compare with SQLite's "ems").
    NODE names the suite when it is one node of several sharing that
    database; FILL False leaves the persons and their mail to another
    node, which made them in the shared store."""

    nodes = 1

    def __init__(self, bindir, emsbench, cluster=None, database="bench", node=None,
                 fill=True):
        self.name = "ems" if cluster is None else "ems-pg"
        self.cluster, self.database = cluster, database
        self.node, self.fill = node, fill
        self.conninfo = None
        self.bindir = bindir
        self.emsbench = emsbench
        self.suite = None
        self.ports = {}
        self.down = {}     # part -> why it is not measured
        self.env = dict(os.environ)
        self.guardian = None

    def built(self, program):
        return os.access(os.path.join(self.bindir, program), os.X_OK)

    def setup(self):
        """Configures, fills (unless FILL is False) and starts the suite."""
        self.configure()
        if self.fill:
            self.fill_store()
        self.start()

    def configure(self):
        """The suite's directory, ems.conf and certificate; nothing runs."""
        emstest.BIN = self.bindir
        for prog in ("guardian", "iolistener", "oomgr", "smtpgw", "postman"):
            if not self.built(prog):
                raise RuntimeError("ems: %s is not built; nothing to measure" % prog)
        s = self.suite = MailSuite({"log": {"level": "info"}, "lmtp": {"port": 0},
                                    # the installed defaults, not the tests' 1 s
                                    "postman": {"interval_s": 30, "retry_s": 300}},
                                   name="bench")
        if self.node is not None:
            s.conf["node"] = self.node
        if self.cluster is not None:
            self.conninfo = self.cluster.conninfo(self.database)
            s.conf["store"] = {"backend": "postgresql", "conninfo": self.conninfo}
        self.env = dict(s.env)
        s.conf["user"] = s.conf["group"] = ""
        s.conf["processes"] = [
            {"name": name, "program": prog,
             "instances": [dict({"autostart": True},
                                **({"maxclt": MAXCLT} if prog in ("imap4srv", "pop3srv")
                                   else {}))]}
            for name, prog in PROGRAMS if self.built(prog)]
        self.ports = {part: emstest.free_port() for part, _, _ in LISTENERS}
        s.conf["listeners"] = [{"service": svc, "address": "127.0.0.1",
                                "port": self.ports[part], "flags": flags}
                               for part, svc, flags in LISTENERS]
        s.write_conf()
        for part, prog in (("imap", "imap4srv"), ("pop3", "pop3srv")):
            if not self.built(prog):
                self.down[part] = "not built"
        self.make_certificate()

    def fill_store(self):
        """The bench persons, the sink and every person's pre-filled INBOX."""
        s = self.suite
        people = ["insert person username=%s password=%s"
                  % (bench_loads.USER_FMT % i, bench_loads.PASSWORD)
                  for i in range(bench_loads.USERS)]
        s.admin("insert domain qualifiedname=bench.test",
                "insert person username=%s password=%s"
                % (bench_loads.SINK, bench_loads.PASSWORD), *people)
        mbox = os.path.join(s.dir, "prefill.mbox")
        write_mbox(mbox)
        for i in range(bench_loads.USERS):
            s.admin("import mbox %s person=%s" % (mbox, bench_loads.USER_FMT % i))

    def start(self):
        """Starts the guardian; waits until each worker took its hand-off
        service and, on PostgreSQL, the notify relay its database."""
        s = self.suite
        self.guardian = s.start("guardian", "-F", "-c", s.conf_path)
        for part, (_, service) in SERVES.items():
            needle = "event=handoff_worker_registered service=%s " % service
            if part not in self.down and not emstest.wait_for(
                    lambda: needle in s.log_text("iolistener"), timeout=60):
                self.down[part] = "did not start"
        if self.cluster is not None and not emstest.wait_for(
                lambda: "database_connected" in s.log_text("notifyrelay"), timeout=60):
            self.down["relay"] = "did not start"

    def processes(self):
        """{registry name: pid} of the guardian's running children."""
        r = self.suite.run("oomgr", "-c", self.suite.conf_path, "--json", "disp",
                           "process")
        if r.returncode != 0:
            return {}
        return {x["name"]: x["pid"] for x in json.loads(r.stdout) if x.get("pid")}

    def make_certificate(self):
        tls = os.path.join(self.suite.state, "tls")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-days", "2", "-subj", "/CN=localhost",
                        "-keyout", os.path.join(tls, "key.pem"),
                        "-out", os.path.join(tls, "cert.pem")],
                       check=True, capture_output=True)
        self.cert = os.path.join(tls, "cert.pem")
        self.key = os.path.join(tls, "key.pem")

    def missing(self, part):
        need = {"mailer": ["lmtp"], "lmtp": ["lmtp"], "pop3": ["pop3"],
                "imap": ["imap"], "push": ["imap", "lmtp", "relay"]}[part]
        for p in need:
            if p in self.down:
                return self.down[p]
        return None

    def connect(self, kind):
        return "127.0.0.1:%d" % self.ports[kind]

    def connects(self, kind):
        """KIND's address on every node: this one."""
        return [self.connect(kind)]

    def mailer(self, rcpt):
        return [os.path.join(self.bindir, "smtpgw"), "-c", self.suite.conf_path,
                "-f", "bench@bench.example", "--", rcpt]

    def watch(self, rcpt):
        del rcpt   # the store holds every mailbox; emsbench looks it up
        if self.conninfo is not None:
            return ["--watch-store", "postgresql:" + self.conninfo]
        return ["--watch-store", self.store()]

    def store(self):
        """The store file, for a load that takes its write lock (SQLite)."""
        if self.conninfo is not None:
            raise RuntimeError("the lock load takes SQLite's file lock")
        return os.path.join(self.suite.state, "store.db")

    def worker_pid(self, part):
        """The pid of the one process serving PART ("imap", "pop3",
        "lmtp")."""
        return self.processes().get(SERVES[part][0])

    def pids(self):
        """The guardian and every process it runs."""
        return [self.guardian.pid] + list(self.processes().values())

    def memory(self):
        return proc_memory(self.pids())

    def prepare_idle(self, count):
        del count   # imap4srv was started with room for every step

    def after_idle(self):
        pass

    def auth_cache(self, on):
        """Restarts imap4srv with its authentication cache ON (True),
        off (False) or as installed (None)."""
        auth = self.suite.conf.setdefault("auth", {})
        want = {True: 10000, False: 0, None: None}[on]
        if auth.get("cache_size") == want:
            return
        if want is None:
            auth.pop("cache_size", None)
        else:
            auth["cache_size"] = want
        self.suite.write_conf()
        needle = "event=handoff_worker_registered service=imap "
        before = self.suite.log_text("iolistener").count(needle)
        oomgr = ("oomgr", "-c", self.suite.conf_path)
        self.suite.run(*oomgr, "shutdown", "IMAP4SRV")
        self.suite.run(*oomgr, "startup", "IMAP4SRV")
        emstest.wait_for(lambda: self.suite.log_text("iolistener").count(needle) > before,
                         timeout=60)

    def settings(self):
        return {
            "programs": "as `make run`: the guardian binds the ports, iolistener "
                        "hands clients to one imap4srv, pop3srv and smtpgw (LMTP) "
                        "each; postman, collector, monitor, statistics; mailer mode "
                        "execs smtpgw",
            "durability": ("SQLite WAL, synchronous=FULL" if self.conninfo is None
                           else "PostgreSQL %s, its defaults (fsync, synchronous_commit "
                                "on), private cluster on a unix socket"
                                % os.path.basename(os.path.dirname(emspg_bindir())))
                          + ": a message is on disk before 250 / exit 0",
            "log": "level info, one line per event",
            "tls": "self-signed RSA 2048, OpenSSL defaults",
            "not measured": dict(self.down),
        }

    def stop(self):
        if self.suite is not None:
            self.suite.stop()


def emspg_bindir():
    import emspg   # noqa: E402
    return emspg.bindir() or "postgresql"
