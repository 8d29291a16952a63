"""bench_dovecot - the peer side of `make bench PEER=dovecot`: Debian's
Dovecot (installed by bench/dovecot_install.sh when missing, without the
system service), run as a private instance from a temporary directory:
its own base_dir and state_dir, loopback ports, passwd-file users with
the same names and the same password hash scheme and cost as ems
(yescrypt, hashed by ems's own code through `emsbench hash`), Maildir
homes pre-filled with the same messages, LMTP for delivery and
dovecot-lda for mailer mode.  Durability stays at Dovecot's defaults
(mail_fsync = optimized); only limits are raised so 10,000 IDLE
connections fit (process and client limits, connections per user and IP).
"""
import os
import pwd
import grp
import shutil
import subprocess
import tempfile

import emstest
import bench_loads
from bench_ems import proc_memory
from bench_mail import write_maildir

HERE = os.path.dirname(os.path.abspath(__file__))
LDA = "/usr/lib/dovecot/dovecot-lda"
PORTS = ("imap", "imaps", "pop3", "pop3s", "lmtp")

CONF = """\
# Written by ems's bench/run.py: a private Dovecot for the benchmark.
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = ems-bench-dovecot
listen = 127.0.0.1
protocols = imap pop3 lmtp
log_path = {dir}/dovecot.log
default_login_user = {login_user}
default_internal_user = {internal_user}
disable_plaintext_auth = no
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
mail_location = maildir:~/Maildir
first_valid_uid = 1
# limits only: room for 10,000 IMAP connections in IDLE
mail_max_userip_connections = 20000
default_client_limit = 15000
passdb {{
  driver = passwd-file
  args = scheme=CRYPT username_format=%u {dir}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {dir}/passwd
}}
service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = {pop3s}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
service imap {{
  process_limit = 10500
}}
service pop3 {{
  process_limit = 1000
}}
"""


class Dovecot:
    name = "dovecot"
    nodes = 1

    def __init__(self, emsbench):
        self.emsbench = emsbench
        self.env = dict(os.environ)
        self.dir = None
        self.master = None
        self.proc = None
        self.ports = {}

    def available(self):
        r = subprocess.run(["sh", os.path.join(HERE, "dovecot_install.sh")])
        return r.returncode == 0 and shutil.which("dovecot") is not None

    def ids(self):
        """(mail uid, gid, login user, internal user): root runs mail as
        nobody and Dovecot's own users; anyone else runs all as self."""
        if os.getuid() == 0:
            return (pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid,
                    "dovenull", "dovecot")
        me = pwd.getpwuid(os.getuid()).pw_name
        return os.getuid(), os.getgid(), me, me

    def setup(self):
        self.dir = tempfile.mkdtemp(prefix="ems-bench-dovecot-")
        os.chmod(self.dir, 0o755)
        uid, gid, login_user, internal_user = self.ids()
        for sub in ("run", "state", "home"):
            os.makedirs(os.path.join(self.dir, sub))
        self.ports = {p: emstest.free_port() for p in PORTS}
        self.make_certificate()
        hashed = subprocess.run([self.emsbench, "hash", "--password", bench_loads.PASSWORD],
                                capture_output=True, text=True, check=True).stdout.strip()
        users = [bench_loads.SINK] + [bench_loads.USER_FMT % i
                                      for i in range(bench_loads.USERS)]
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            for u in users:
                home = os.path.join(self.dir, "home", u)
                f.write("%s:{CRYPT}%s:%d:%d::%s::\n" % (u, hashed, uid, gid, home))
                os.makedirs(home)
                os.chown(home, uid, gid)
                write_maildir(os.path.join(home, "Maildir"), uid, gid)
        self.conf = os.path.join(self.dir, "dovecot.conf")
        self.cache = None
        self.write_conf()
        self.start_master()
        # Dovecot builds its index on first access; ems built its store on
        # import.  Build them now so neither pays it during a load.
        subprocess.run(["doveadm", "-c", self.conf, "mailbox", "status", "-A",
                        "messages", "INBOX"], capture_output=True, timeout=300)

    def write_conf(self):
        _, _, login_user, internal_user = self.ids()
        with open(self.conf, "w") as f:
            f.write(CONF.format(dir=self.dir, cert=self.cert, key=self.key,
                                login_user=login_user, internal_user=internal_user,
                                **self.ports))
            if self.cache:
                f.write("auth_cache_size = 10M\nauth_cache_ttl = 1 hour\n")

    def auth_cache(self, on):
        """Restarts Dovecot with its authentication cache ON (True), or
        off (False, None: Dovecot's default)."""
        if bool(on) == bool(self.cache):
            return
        self.cache = bool(on)
        self.stop_master()
        self.write_conf()
        self.start_master()

    def start_master(self):
        # In the foreground (-F): the master is our child, stopped by its pid.
        self.proc = subprocess.Popen(["dovecot", "-F", "-c", self.conf],
                                     stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(self.dir, "master.out"), "ab"),
                                     stderr=subprocess.STDOUT)
        self.master = self.proc.pid
        for p in ("imap", "pop3", "lmtp"):
            if not emstest.wait_for(lambda: emstest.port_open(self.ports[p])):
                with open(os.path.join(self.dir, "master.out"), errors="replace") as f:
                    raise RuntimeError("dovecot does not listen on %s: %s" % (p, f.read()))

    def make_certificate(self):
        self.cert = os.path.join(self.dir, "cert.pem")
        self.key = os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-days", "2", "-subj", "/CN=localhost", "-keyout", self.key,
                        "-out", self.cert], check=True, capture_output=True)
        os.chmod(self.key, 0o600)

    def missing(self, part):
        del part
        return None if self.master else "did not start"

    def connect(self, kind):
        return "127.0.0.1:%d" % self.ports[kind]

    def connects(self, kind):
        """KIND's address on every node: the one instance."""
        return [self.connect(kind)]

    def mailer(self, rcpt):
        return [LDA, "-c", self.conf, "-d", rcpt, "-f", "bench@bench.example"]

    def watch(self, rcpt):
        return ["--watch-maildir", os.path.join(self.dir, "home", rcpt, "Maildir")]

    def memory(self):
        return proc_memory(emstest.descendants(self.master)) if self.master else (0, 0)

    def prepare_idle(self, count):
        del count   # the limits were raised at start

    def after_idle(self):
        # Let the imap processes of the closed connections exit before the
        # next load measures anything.
        emstest.wait_for(lambda: len(emstest.descendants(self.master)) < 50,
                         timeout=60, interval=0.5)

    def settings(self):
        r = subprocess.run(["dovecot", "--version"], capture_output=True, text=True)
        return {
            "version": r.stdout.strip(),
            "programs": "dovecot master, imap-login/pop3-login (one process per "
                        "login), one imap/pop3 process per connection, lmtp, "
                        "dovecot-lda for mailer mode",
            "durability": "defaults: mail_fsync = optimized, Maildir",
            "changed": "limits only: imap process_limit 10500, default_client_limit "
                       "15000, mail_max_userip_connections 20000; "
                       "disable_plaintext_auth = no (loopback)",
            "passwords": "passwd-file, {CRYPT} with ems's yescrypt hash",
            "log": "defaults (log_path in the temp directory)",
        }

    def stop(self):
        self.stop_master()
        if self.dir and not os.environ.get("EMS_KEEP_TEST_DIR"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def stop_master(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.master = None
