"""emspostfix - a private Postfix for t/postfix.t, without installing it.

Debian's postfix and sendmail-bin conflict, and installing either
replaces the machine's MTA.  So the test never installs Postfix: fetch()
downloads Debian's package (`apt-get download postfix`, an ordinary
registry client) and unpacks it with `dpkg -x` into a cache under the
build directory, once.  A PrivatePostfix then runs those binaries with a
configuration directory of its own: main.cf is ems's shipped
etc/postfix-main.cf followed by the private settings (paths into the
test's directory, SMTP on a loopback port, the ems-lmtp transport over
TCP to smtpgw), master.cf is the few services Postfix needs, none
chrooted, followed by ems's shipped etc/postfix-master.cf.  Queue, data
and pid files live under the test's directory; nothing of the machine is
touched.  Postfix must start as root (it drops to mail_owner itself).

The binaries find their shared libraries through LD_LIBRARY_PATH, which
main.cf's import_environment passes on to every daemon master starts.
"""

import glob
import grp
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile

import emstest

# Outside build/: make clean keeps the download, and the build's
# dependency files are not confused with the package's *.d directories.
CACHE = os.environ.get("EMS_POSTFIX_CACHE") or os.path.join(emstest.SRC, "build-cache",
                                                            "postfix")
SHIPPED_MAIN = os.path.join(emstest.SRC, "etc", "postfix-main.cf")
SHIPPED_MASTER = os.path.join(emstest.SRC, "etc", "postfix-master.cf")
# Accounts every Debian system has: Postfix runs its daemons as
# MAIL_OWNER, which must be neither root nor default_privs (nobody), and
# wants a group for postdrop (SETGID_GROUP) that is neither MAIL_OWNER's
# nor default_privs' group.  Only this instance's queue is theirs.
MAIL_OWNER = "mail"
SETGID_GROUP = "daemon"
HOSTNAME = "mta.example.test"
FETCH_TIMEOUT = 300
# Bound of one postfix/postqueue command, in seconds.
COMMAND_TIMEOUT = 60

# The services this Postfix needs; "n" in the chroot column everywhere,
# since the chroot would lack the unpacked libraries.
MASTER_BASE = """\
# service type  private unpriv  chroot  wakeup  maxproc command
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def fetch():
    """The directory holding Debian's postfix unpacked (usr/sbin/postfix
    ...), fetched into CACHE when missing.  Returns (root, None), or
    (None, why) when it cannot be had."""
    root = os.path.join(CACHE, "root")
    if os.access(os.path.join(root, "usr", "sbin", "postfix"), os.X_OK):
        return root, None
    for tool in ("apt-get", "dpkg"):
        if not shutil.which(tool):
            return None, "no %s: the Postfix package cannot be fetched" % tool
    os.makedirs(CACHE, exist_ok=True)
    work = tempfile.mkdtemp(dir=CACHE)
    # apt's download user must be able to write where it downloads.
    os.chmod(work, 0o777)
    try:
        r = subprocess.run(["apt-get", "download", "postfix"], cwd=work,
                           capture_output=True, text=True, timeout=FETCH_TIMEOUT)
        debs = glob.glob(os.path.join(work, "postfix_*.deb"))
        if r.returncode != 0 or not debs:
            return None, "apt-get download postfix failed: %s" % (
                r.stderr.strip() or r.stdout.strip())
        unpacked = os.path.join(work, "root")
        r = subprocess.run(["dpkg", "-x", debs[0], unpacked], capture_output=True,
                           text=True, timeout=FETCH_TIMEOUT)
        if r.returncode != 0:
            return None, "dpkg -x %s failed: %s" % (debs[0], r.stderr.strip())
        try:
            os.rename(unpacked, root)
        except OSError:
            # Another run unpacked it meanwhile: use that one.
            if not os.path.isdir(root):
                raise
        return root, None
    except subprocess.TimeoutExpired as e:
        return None, "%s took longer than %d s" % (e.cmd[0], FETCH_TIMEOUT)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def reason():
    """Why no private Postfix can run here, or None."""
    if os.geteuid() != 0:
        return "Postfix's master must start as root"
    for name, lookup in ((MAIL_OWNER, pwd.getpwnam), (SETGID_GROUP, grp.getgrnam)):
        try:
            lookup(name)
        except KeyError:
            return "no account %s for Postfix's daemons" % name
    return None


class PrivatePostfix:
    """Postfix from ROOT (fetch()) with its configuration and queue in
    DIRECTORY: SMTP on 127.0.0.1:SMTP_PORT, the ems domains DOMAINS
    handed to smtpgw's LMTP on 127.0.0.1:LMTP_PORT."""

    def __init__(self, root, directory, smtp_port, lmtp_port, domains):
        self.root = root
        self.dir = directory
        # Postfix wants everything in its configuration directory owned by
        # root, so the queue and data directories lie beside it.
        self.config = os.path.join(directory, "etc")
        self.smtp_port = smtp_port
        self.lmtp_port = lmtp_port
        self.domains = domains
        self.queue = os.path.join(directory, "queue")
        self.data = os.path.join(directory, "data")
        self.maillog = os.path.join(directory, "maillog")
        self.libs = os.path.join(root, "usr", "lib", "postfix")
        self.sbin = os.path.join(root, "usr", "sbin")
        self.env = dict(os.environ, MAIL_CONFIG=self.config, LD_LIBRARY_PATH=self.libs)
        self.master_pid = None

    def main_cf(self):
        """ems's etc/postfix-main.cf with its route pointed at this test's
        smtpgw, then the settings of a private instance."""
        with open(SHIPPED_MAIN) as f:
            shipped = f.read()
        for key, value in (("virtual_mailbox_domains", " ".join(self.domains)),
                           ("virtual_transport",
                            "ems-lmtp:inet:127.0.0.1:%d" % self.lmtp_port)):
            shipped, n = re.subn(r"(?m)^%s\s*=.*$" % key, "%s = %s" % (key, value),
                                 shipped)
            if n != 1:
                raise RuntimeError("%s sets %s %d times" % (SHIPPED_MAIN, key, n))
        daemons = os.path.join(self.libs, "sbin")
        return shipped + "\n# ---- the private instance of t/postfix.t ----\n" + "\n".join([
            "compatibility_level = 3.6",
            "config_directory = %s" % self.config,
            "meta_directory = %s" % self.config,
            "queue_directory = %s" % self.queue,
            "data_directory = %s" % self.data,
            "daemon_directory = %s" % daemons,
            "command_directory = %s" % self.sbin,
            "shlib_directory = %s" % self.libs,
            "sendmail_path = %s" % os.path.join(self.sbin, "sendmail"),
            "newaliases_path = %s" % os.path.join(self.sbin, "newaliases"),
            "mailq_path = %s" % os.path.join(self.sbin, "mailq"),
            "manpage_directory = %s" % os.path.join(self.root, "usr", "share", "man"),
            "html_directory = no",
            "readme_directory = no",
            "mail_owner = %s" % MAIL_OWNER,
            "setgid_group = %s" % SETGID_GROUP,
            "import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C "
            "LD_LIBRARY_PATH=%s" % self.libs,
            "maillog_file_prefixes = %s" % self.dir,
            "maillog_file = %s" % self.maillog,
            "syslog_name = postfix-ems-test",
            "myhostname = %s" % HOSTNAME,
            "mydomain = example.test",
            "mydestination =",
            "mynetworks = 127.0.0.0/8",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "smtp_bind_address = 127.0.0.1",
            "alias_maps =",
            "alias_database =",
            "local_recipient_maps =",
            "biff = no",
            "smtputf8_enable = no",
            # Retry a deferred message soon, so a test can see the retry.
            "queue_run_delay = 2s",
            "minimal_backoff_time = 2s",
            "maximal_backoff_time = 4s",
            "",
        ])

    def master_cf(self):
        with open(SHIPPED_MASTER) as f:
            shipped = f.read()
        return (MASTER_BASE.replace("smtp      inet", "127.0.0.1:%d inet" % self.smtp_port, 1)
                + "\n" + shipped)

    def _make_dirs(self):
        owner = pwd.getpwnam(MAIL_OWNER)
        sgid = grp.getgrnam(SETGID_GROUP).gr_gid
        os.makedirs(self.queue, mode=0o755, exist_ok=True)
        os.chmod(self.dir, 0o755)
        os.chmod(self.config, 0o755)
        os.chmod(self.queue, 0o755)
        subdirs = [(d, 0o700, owner.pw_gid) for d in (
            "active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
            "incoming", "private", "saved", "trace")]
        subdirs += [("maildrop", 0o730, sgid), ("public", 0o710, sgid)]
        for name, mode, gid in subdirs:
            path = os.path.join(self.queue, name)
            os.makedirs(path, exist_ok=True)
            os.chown(path, owner.pw_uid, gid)
            os.chmod(path, mode)
        os.makedirs(os.path.join(self.queue, "pid"), mode=0o755, exist_ok=True)
        os.makedirs(self.data, mode=0o700, exist_ok=True)
        os.chown(self.data, owner.pw_uid, owner.pw_gid)
        # Every parent of the queue must be reachable by the mail owner.
        parent = os.path.dirname(self.dir)
        while parent not in ("/", ""):
            st = os.stat(parent)
            if st.st_mode & 0o001 == 0:
                os.chmod(parent, st.st_mode | 0o711)
            parent = os.path.dirname(parent)

    def write(self):
        """Writes main.cf, master.cf and the directories."""
        os.makedirs(self.config, exist_ok=True)
        self._make_dirs()
        with open(os.path.join(self.config, "main.cf"), "w") as f:
            f.write(self.main_cf())
        with open(os.path.join(self.config, "master.cf"), "w") as f:
            f.write(self.master_cf())
        # USE_DYNAMIC_MAPS builds read this list of plugin map types.
        open(os.path.join(self.config, "dynamicmaps.cf"), "w").close()
        shutil.copy(os.path.join(self.root, "etc", "postfix", "postfix-files"), self.config)

    def command(self, program, *args, timeout=COMMAND_TIMEOUT):
        """Runs one of Postfix's commands with the private configuration;
        returns the CompletedProcess (text)."""
        return subprocess.run([os.path.join(self.sbin, program), "-c", self.config] + list(args),
                              capture_output=True, text=True, env=self.env,
                              timeout=timeout)

    def start(self):
        """postfix start; returns None once SMTP accepts, else why not."""
        r = self.command("postfix", "start")
        if r.returncode != 0:
            return "postfix start failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr)
        self.master_pid = self._read_pid()
        if not emstest.wait_for(lambda: emstest.port_open(self.smtp_port),
                                timeout=COMMAND_TIMEOUT):
            return "Postfix does not listen on %d" % self.smtp_port
        return None

    def _read_pid(self):
        try:
            with open(os.path.join(self.queue, "pid", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def queue_listing(self):
        """postqueue -p with the private configuration (its stdout)."""
        return self.command("postqueue", "-p").stdout

    def flush(self):
        """postqueue -f: retry the deferred mail now."""
        return self.command("postqueue", "-f")

    def log(self):
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def processes(self):
        """Pids of the processes running this Postfix's binaries with
        this configuration."""
        out = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                exe = os.readlink("/proc/%s/exe" % pid)
                with open("/proc/%s/environ" % pid, "rb") as f:
                    environ = f.read().split(b"\0")
            except OSError:
                continue
            if exe.startswith(self.root + "/") and \
                    ("MAIL_CONFIG=%s" % self.config).encode() in environ:
                out.append(int(pid))
        return out

    def stop(self):
        """postfix stop, then SIGKILL by pid to the master and whatever
        of this instance is left; returns the pids that had to be killed."""
        if self.master_pid is None:
            self.master_pid = self._read_pid()
        try:
            self.command("postfix", "stop")
        except subprocess.TimeoutExpired:
            pass
        emstest.wait_for(lambda: not self.processes() and not (
            self.master_pid and emstest.pid_alive(self.master_pid)), timeout=COMMAND_TIMEOUT)
        killed = []
        for pid in ([self.master_pid] if self.master_pid else []) + self.processes():
            if emstest.pid_alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                except ProcessLookupError:
                    pass
        if killed:
            emstest.wait_for(lambda: not any(emstest.pid_alive(p) for p in killed))
        return killed



def queue_empty(pf):
    """True when postqueue -p says PF's queue is empty."""
    return "Mail queue is empty" in pf.queue_listing()
