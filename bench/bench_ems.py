"""bench_ems - the ems side of `make bench`: a private suite (emstest's
Suite: a temp directory, free loopback ports) with smtpgw on LMTP,
postman, imap4srv and pop3srv listening directly (--listen, no
iolistener in front), the bench persons and their pre-filled INBOXes
(oomgr insert and oomgr import mbox), the installed defaults for
everything else (log level info, the store's synchronous=FULL commits).
"""
import os
import subprocess

import emstest
from emsmail import MailSuite
import bench_loads
from bench_mail import write_mbox

# Clients one imap4srv / pop3srv takes: above the largest IDLE step.
MAXCLT = 10100


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


class Ems:
    name = "ems"

    def __init__(self, bindir, emsbench):
        self.bindir = bindir
        self.emsbench = emsbench
        self.suite = None
        self.ports = {}
        self.down = {}     # part -> why it is not measured
        self.env = dict(os.environ)
        self.workers = {}  # part -> the Popen of the worker serving it

    def built(self, program):
        return os.access(os.path.join(self.bindir, program), os.X_OK)

    def setup(self):
        emstest.BIN = self.bindir
        s = self.suite = MailSuite({"log": {"level": "info"},
                                    # the installed defaults, not the tests' 1 s
                                    "postman": {"interval_s": 30, "retry_s": 300}},
                                   name="bench")
        self.env = dict(s.env)
        for prog in ("oomgr", "smtpgw", "postman"):
            if not self.built(prog):
                raise RuntimeError("ems: %s is not built; nothing to measure" % prog)
        self.make_certificate()
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
        self.ports["lmtp"] = s.lmtp_port
        s.start_daemons()
        self.start_access("imap4srv", "imap", "imaps")
        self.start_access("pop3srv", "pop3", "pop3s")

    def make_certificate(self):
        tls = os.path.join(self.suite.state, "tls")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-days", "2", "-subj", "/CN=localhost",
                        "-keyout", os.path.join(tls, "key.pem"),
                        "-out", os.path.join(tls, "cert.pem")],
                       check=True, capture_output=True)
        self.cert = os.path.join(tls, "cert.pem")
        self.key = os.path.join(tls, "key.pem")

    def start_access(self, program, plain, tls):
        """Starts an access worker on its own ports, or notes why not."""
        if not self.built(program):
            self.down[plain] = "not built"
            return
        s = self.suite
        self.ports[plain] = emstest.free_port()
        self.ports[tls] = emstest.free_port()
        self.workers[plain] = s.start(
            program, "-c", s.conf_path, "--maxclt", str(MAXCLT),
            "--listen", "127.0.0.1:%d" % self.ports[plain],
            "--listen-tls", "127.0.0.1:%d" % self.ports[tls])
        if not emstest.wait_for(lambda: emstest.port_open(self.ports[plain])):
            self.down[plain] = "did not start"

    def missing(self, part):
        need = {"mailer": ["lmtp"], "lmtp": ["lmtp"], "pop3": ["pop3"],
                "imap": ["imap"], "push": ["imap", "lmtp"]}[part]
        for p in need:
            if p in self.down:
                return self.down[p]
        return None

    def connect(self, kind):
        return "127.0.0.1:%d" % self.ports[kind]

    def mailer(self, rcpt):
        return [os.path.join(self.bindir, "smtpgw"), "-c", self.suite.conf_path,
                "-f", "bench@bench.example", "--", rcpt]

    def watch(self, rcpt):
        del rcpt   # the store holds every mailbox; emsbench looks it up
        return ["--watch-store", self.store()]

    def store(self):
        """The store file, for a load that takes its write lock."""
        return os.path.join(self.suite.state, "store.db")

    def worker_pid(self, part):
        """The pid of the one process serving PART ("imap", "pop3",
        "lmtp")."""
        if part == "lmtp":
            return self.suite.smtpgw.pid
        return self.workers[part].pid

    def pids(self):
        return [p.pid for p in self.suite.procs if p.poll() is None]

    def memory(self):
        return proc_memory(self.pids())

    def prepare_idle(self, count):
        del count   # imap4srv was started with room for every step

    def after_idle(self):
        pass

    def settings(self):
        return {
            "programs": "smtpgw (LMTP, mailer mode), postman, imap4srv and pop3srv "
                        "with --listen (one process each, no iolistener)",
            "durability": "SQLite WAL, synchronous=FULL: a message is on disk "
                          "before 250 / exit 0",
            "log": "level info, one line per event",
            "tls": "self-signed RSA 2048, OpenSSL defaults",
            "not measured": dict(self.down),
        }

    def stop(self):
        if self.suite is not None:
            self.suite.stop()
