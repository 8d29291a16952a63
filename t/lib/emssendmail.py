"""emssendmail - the real sendmail (Debian's sendmail-bin) with a private
configuration, for t/sendmail.t and bench/delivery_rate.py.

The binary and the m4 macros come from the private copy that `make
check` (mk/deps.sh check) unpacks into build-deps/sendmail/ without
installing anything, so the machine's own MTA stays as it is; an
installed sendmail-bin is used only when there is no private copy.

A PrivateSendmail builds its own sendmail.cf with m4 from the sendmail-cf
macros and ems's shipped etc/sendmail-ems.m4 (the mailer definition under
test), with its own queue directory, status file, hosts file and service
switch inside a directory of the caller's.  It only ever runs sendmail in
the foreground for one message (-odi: deliver before exiting), never as a
daemon and never a queue run, so nothing stays behind.

sendmail looks up its own host name before it reads any configuration and
sleeps 60 seconds when that name is not qualified (cf/README, "WHO AM
I?").  So as root, where unshare(1) can, each run gets a UTS and mount
namespace of its own with a qualified host name and a private /etc/hosts
bound over the real one; the machine's own files are never touched.
Otherwise sendmail runs as it is, which works when the machine's name is
qualified; reason() says why it cannot run at all.
"""

import os
import pwd
import shutil
import socket
import subprocess

import emstest

# mk/deps.sh unpacks sendmail-bin and sendmail-cf here.
PRIVATE_ROOT = os.path.join(emstest.SRC, "build-deps", "sendmail")
PRIVATE_SENDMAIL = os.path.join(PRIVATE_ROOT, "usr", "libexec", "sendmail", "sendmail")
PRIVATE_CF_M4 = os.path.join(PRIVATE_ROOT, "usr", "share", "sendmail", "cf", "m4", "cf.m4")
SENDMAIL_CANDIDATES = (PRIVATE_SENDMAIL, "/usr/libexec/sendmail/sendmail",
                       "/usr/lib/sm.bin/sendmail", "/usr/sbin/sendmail")
CF_M4 = PRIVATE_CF_M4 if os.path.exists(PRIVATE_CF_M4) else "/usr/share/sendmail/cf/m4/cf.m4"
MAILER_M4 = os.path.join(emstest.SRC, "etc", "sendmail-ems.m4")
# The host name sendmail gets inside its namespace.
HOSTNAME = "mta.example.test"
# A run of sendmail for one message is bounded by this many seconds.
RUN_TIMEOUT = 60


def find_sendmail():
    """The path of the real sendmail binary, or None."""
    for path in SENDMAIL_CANDIDATES:
        if os.access(path, os.X_OK) and not os.path.islink(path):
            return path
    path = shutil.which("sendmail")
    return os.path.realpath(path) if path else None


def _namespace_works():
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    r = subprocess.run(["unshare", "--uts", "--mount", "true"], capture_output=True,
                       timeout=30)
    return r.returncode == 0


def _own_name_qualified():
    try:
        name, aliases, _ = socket.gethostbyname_ex(socket.gethostname())
    except OSError:
        return False
    return any("." in n for n in [name] + aliases)


class PrivateSendmail:
    """sendmail with its own configuration in DIRECTORY, handing the mail
    of DOMAINS to smtpgw (BIN/smtpgw -c CONF_PATH) as the user running
    this."""

    def __init__(self, directory, conf_path, domains, smtpgw):
        self.dir = directory
        self.binary = find_sendmail()
        self.namespace = _namespace_works()
        self.queue = os.path.join(directory, "mqueue")
        self.cf = os.path.join(directory, "ems-test.cf")
        self.conf_path = conf_path
        self.domains = domains
        self.smtpgw = smtpgw
        self.hosts = os.path.join(directory, "hosts")

    def reason(self):
        """Why sendmail cannot run here, or None."""
        if self.binary is None:
            return "no sendmail binary (make check fetches a private copy: sh mk/deps.sh check)"
        if not os.path.exists(CF_M4):
            return "no %s (sh mk/deps.sh check fetches it)" % CF_M4
        if not shutil.which("m4"):
            return "no m4"
        if not self.namespace and not _own_name_qualified():
            return ("this host's name is not qualified and no namespace can "
                    "give sendmail one (needs root and unshare)")
        return None

    def mc_text(self):
        user = pwd.getpwuid(os.getuid()).pw_name
        uid, gid = os.getuid(), os.getgid()
        d = self.dir
        return "".join([
            "divert(-1)\n",
            "include(`%s')\n" % CF_M4,
            "divert(0)dnl\n",
            "VERSIONID(`ems test: private configuration')dnl\n",
            "OSTYPE(`linux')dnl\n",
            "define(`confDOMAIN_NAME', `%s')dnl\n" % HOSTNAME,
            "define(`QUEUE_DIR', `%s')dnl\n" % self.queue,
            "define(`STATUS_FILE', `%s/statistics')dnl\n" % d,
            "define(`ALIAS_FILE', `')dnl\n",
            "define(`confHOST_STATUS_DIRECTORY', `')dnl\n",
            "define(`confCW_FILE', `-o %s/local-host-names')dnl\n" % d,
            "define(`confSERVICE_SWITCH_FILE', `%s/service.switch')dnl\n" % d,
            "define(`confHOSTS_FILE', `%s')dnl\n" % self.hosts,
            "define(`confDONT_PROBE_INTERFACES', `True')dnl\n",
            # A temporary directory under /tmp lives in a world-writable path.
            "define(`confDONT_BLAME_SENDMAIL', `GroupWritableDirPathSafe')dnl\n",
            # A user other than root running -C and -f gets no
            # X-Authentication-Warning header (not in PrivacyOptions).
            "define(`confTRUSTED_USERS', `%s')dnl\n" % user,
            "define(`confPRIVACY_FLAGS', `noexpn,novrfy')dnl\n",
            "FEATURE(`nocanonify')dnl\n",
            "MAILER(`local')dnl\n",
            "MAILER(`smtp')dnl\n",
            "define(`EMS_SMTPGW', `%s')dnl\n" % self.smtpgw,
            "define(`EMS_CONFIG', `%s')dnl\n" % self.conf_path,
            "define(`EMS_USER', `%d:%d')dnl\n" % (uid, gid),
            "define(`EMS_DOMAINS', `%s')dnl\n" % " ".join(self.domains),
            "include(`%s')dnl\n" % MAILER_M4,
        ])

    def build(self):
        """Writes the private files and builds the .cf with m4.  Returns
        None, or the m4 error text."""
        os.makedirs(self.queue, mode=0o700, exist_ok=True)
        os.chmod(self.dir, 0o755)
        with open(os.path.join(self.dir, "ems-test.mc"), "w") as f:
            f.write(self.mc_text())
        with open(os.path.join(self.dir, "service.switch"), "w") as f:
            f.write("hosts files\naliases files\n")
        with open(self.hosts, "w") as f:
            f.write("127.0.0.1 localhost\n127.0.0.1 %s %s\n"
                    % (HOSTNAME, HOSTNAME.split(".")[0]))
        open(os.path.join(self.dir, "statistics"), "w").close()
        r = subprocess.run(["m4", os.path.join(self.dir, "ems-test.mc")],
                           capture_output=True, timeout=30)
        if r.returncode != 0 or not r.stdout:
            return r.stderr.decode(errors="replace") or "m4 gave nothing"
        with open(self.cf, "wb") as f:
            f.write(r.stdout)
        return None

    def version(self):
        """The "Version 8..." line of the binary with the built .cf (so
        Postfix's or exim's sendmail command is told apart), or None."""
        try:
            r = subprocess.run(self.command("-d0.1", "-bt"), input=b"",
                               capture_output=True, timeout=RUN_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):
            return None
        for line in r.stdout.decode(errors="replace").splitlines():
            if line.startswith("Version 8."):
                return line
        return None

    def command(self, *args):
        """The argv that runs sendmail with the private .cf and ARGS."""
        argv = [self.binary, "-C", self.cf, "-odi"] + list(args)
        if not self.namespace:
            return argv
        inner = ("mount --bind \"$1\" /etc/hosts && hostname \"$2\" && "
                 "shift 2 && exec \"$@\"")
        return ["unshare", "--uts", "--mount", "sh", "-c", inner, "sh",
                self.hosts, HOSTNAME] + argv

    def send(self, sender, rcpts, data, error_mode="m", timeout=RUN_TIMEOUT):
        """Runs sendmail -odi -oi -oe<ERROR_MODE> -f SENDER -- RCPTS with
        DATA on stdin (-oi: a line "." is text, as MUAs submit); returns the CompletedProcess (bytes).  On a timeout the
        process is killed (subprocess.run does) and the exception raised."""
        if isinstance(rcpts, str):
            rcpts = [rcpts]
        return subprocess.run(self.command("-oi", "-oe" + error_mode, "-f", sender, "--",
                                           *rcpts),
                              input=data, capture_output=True, timeout=timeout)

    def run_queue(self, timeout=RUN_TIMEOUT):
        """One queue run in the foreground (-q without an interval: no
        daemon); returns the CompletedProcess."""
        return subprocess.run(self.command("-q"), capture_output=True,
                              timeout=timeout)

    def leftover_processes(self):
        """Pids of processes still running with this configuration."""
        out = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    if self.cf.encode() in f.read():
                        out.append(int(pid))
            except OSError:
                continue
        return out

    def queued(self):
        """Names of the files left in the private queue directory."""
        return sorted(os.listdir(self.queue))

