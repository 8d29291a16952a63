"""emstest - what the integration tests in t/*.t share.

A test imports this module (``sys.path.insert(0, os.path.join(
os.path.dirname(__file__), "lib"))``), prints TAP through :class:`Tap`, and
starts a private ems suite through :class:`Suite`: a temporary state
directory, a generated ems.conf on free loopback ports, and the programs of
build/bin (or build-san/bin under ``make check SANITIZE=1``; EMS_BUILD says
which).  Every process a Suite starts is stopped by pid in ``stop()``,
which also runs at interpreter exit, so a failing test leaves nothing
behind.

Test output shows failures, not logs: the first Tap sends the test's
standard error (its own and that of every program it runs) to
BUILD/t/log/NAME.log, and every Suite, when it stops, copies the logs of
the programs it ran to BUILD/t/log/NAME.suite.log.  A parent process
waits for the test and prints the end of both files on its standard
error, which prove shows, only when the test fails (a non-zero exit, a
crash included).  EMS_TEST_STDERR=1 leaves standard error alone.
"""

import atexit
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("EMS_SRC") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("EMS_BUILD") or os.path.join(SRC, "build")
BIN = os.path.join(BUILD, "bin")

# The store backend of every Suite whose test does not choose one:
# `make check STORE=postgresql` runs the whole suite on PostgreSQL.
STORE = os.environ.get("EMS_TEST_STORE") or "sqlite"


# Every wait in a test is bounded by this many seconds unless it says otherwise.
DEFAULT_TIMEOUT = 10.0

# A failing test shows at most this many last lines of each of its logs.
LOG_TAIL_LINES = 200

# The test's log files (see the module's doc), once the first Tap has made them.
TEST_LOG = None
SUITE_LOG = None


def _test_name():
    name = os.path.basename(sys.argv[0] or "test")
    return name[:-2] if name.endswith(".t") else name


def _print_tail(path, out):
    """Writes the last LOG_TAIL_LINES lines of PATH to the file object OUT."""
    try:
        with open(path, errors="replace") as f:
            lines = f.readlines()
    except OSError:
        return
    if not lines:
        return
    skipped = max(0, len(lines) - LOG_TAIL_LINES)
    out.write("# --- %s%s\n" % (path, " (last %d lines)" % LOG_TAIL_LINES
                                  if skipped else ""))
    out.writelines("# " + line if line.endswith("\n") else "# " + line + "\n"
                   for line in lines[skipped:])


def _wait_for_test(pid):
    """In the parent: waits for the test process PID and exits as it did,
    after printing its logs when it failed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda sig, frame: os.kill(pid, sig))
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except OSError as e:
            if e.errno != errno.EINTR:
                os._exit(1)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        for path in (TEST_LOG, SUITE_LOG):
            _print_tail(path, sys.stderr)
        sys.stderr.flush()
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code if code >= 0 else 1)


def _quiet_stderr():
    """Sends standard error to the test's log file, in a child process
    the parent waits for (see the module's doc)."""
    global TEST_LOG, SUITE_LOG
    if TEST_LOG is not None or os.environ.get("EMS_TEST_STDERR"):
        return
    logdir = os.path.join(BUILD, "t", "log")
    test_log = os.path.join(logdir, _test_name() + ".log")
    suite_log = os.path.join(logdir, _test_name() + ".suite.log")
    try:
        os.makedirs(logdir, exist_ok=True)
        fd = os.open(test_log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.close(os.open(suite_log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
    except OSError:
        return              # a read-only build: keep standard error
    TEST_LOG, SUITE_LOG = test_log, suite_log
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid != 0:
        os.close(fd)
        _wait_for_test(pid)
    os.dup2(fd, 2)
    os.close(fd)


class Tap:
    """Test Anything Protocol output for prove."""

    def __init__(self, planned=None):
        _quiet_stderr()
        self.run = 0
        self.failed = 0
        self.planned = planned
        if planned is not None:
            print("1..%d" % planned, flush=True)

    def ok(self, cond, name):
        self.run += 1
        if not cond:
            self.failed += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.run, name),
              flush=True)
        return bool(cond)

    def is_(self, got, want, name):
        good = self.ok(got == want, name)
        if not good:
            self.diag("     got: %r" % (got,))
            self.diag("expected: %r" % (want,))
        return good

    def like(self, got, needle, name):
        good = self.ok(got is not None and needle in got, name)
        if not good:
            self.diag("%r does not contain %r" % (got, needle))
        return good

    def skip(self, why, count=1):
        """Records COUNT tests as skipped, with the reason."""
        for _ in range(count):
            self.run += 1
            print("ok %d # SKIP %s" % (self.run, why), flush=True)

    def diag(self, msg):
        for line in str(msg).splitlines() or [""]:
            print("# " + line, flush=True)

    def skip_all(self, why):
        print("1..0 # SKIP %s" % why, flush=True)
        sys.exit(0)

    def done(self):
        if self.planned is None:
            print("1..%d" % self.run, flush=True)
            self.planned = self.run
        sys.exit(0 if self.failed == 0 and self.run == self.planned else 1)


def free_port(host="127.0.0.1"):
    """A TCP port nobody listens on right now (the kernel's choice)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=DEFAULT_TIMEOUT, interval=0.05):
    """Polls PREDICATE until it returns a true value or TIMEOUT passes;
    returns that value, or None."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def port_open(port, host="127.0.0.1"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            s.connect((host, port))
            return True
    except OSError:
        return False


def user_can_run(user, path):
    """True when USER (a name) may execute PATH: every directory above it
    must let that user through (a checkout in a 0700 directory, as
    `mktemp -d` makes, does not)."""
    r = subprocess.run(["runuser", "-u", user, "--", "test", "-x", path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def descendants(root):
    """ROOT and every process below it."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def libconfig(value, indent=0):
    """Renders a Python dict/list/scalar as libconfig text."""
    pad = "  " * indent
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return "%dL" % value if abs(value) > 2**31 - 1 else str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        inner = "".join("%s  %s = %s;\n" % (pad, k, libconfig(v, indent + 1))
                        for k, v in value.items())
        return "{\n" + inner + pad + "}"
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return "[ " + ", ".join(libconfig(v) for v in value) + " ]"
        return "( " + ", ".join(libconfig(v, indent + 1) for v in value) + " )"
    raise TypeError("cannot render %r" % (value,))


class Suite:
    """A private ems installation in a temporary directory.

    conf: dict merged over the base configuration (top-level keys replace).
    """

    def __init__(self, conf=None, name="ems"):
        self.dir = tempfile.mkdtemp(prefix="ems-test-%s-" % name)
        self.state = os.path.join(self.dir, "state")
        for sub in ("", "log", "run", "tls"):
            os.makedirs(os.path.join(self.state, sub), exist_ok=True)
        self.conf_path = os.path.join(self.dir, "ems.conf")
        self.conf = {
            "node": "test",
            "paths": {"state_dir": self.state},
            "log": {"level": "debug"},
        }
        self.conf.update(conf or {})
        if STORE == "postgresql" and "store" not in self.conf:
            import emspg   # noqa: E402 - only a PostgreSQL run needs it
            self.conf["store"] = {"backend": "postgresql", "conninfo": emspg.new_database()}
        self.procs = []
        self.env = dict(os.environ, EMS_CONFIG=self.conf_path)
        self.env.pop("EMS_STATE_DIR", None)
        self.write_conf()
        atexit.register(self.stop)

    def write_conf(self):
        with open(self.conf_path, "w") as f:
            for k, v in self.conf.items():
                f.write("%s = %s;\n" % (k, libconfig(v)))

    def bin(self, program):
        return os.path.join(BIN, program)

    def run(self, program, *args, input=None, timeout=DEFAULT_TIMEOUT,
            env=None):
        """Runs a program of the build to completion; returns the
        CompletedProcess (stdout/stderr as text unless input is bytes)."""
        binary = input if isinstance(input, bytes) else None
        return subprocess.run(
            [self.bin(program)] + list(args), input=input,
            capture_output=True, timeout=timeout, env=env or self.env,
            text=binary is None)

    def start(self, program, *args, env=None):
        """Starts a program in the background and remembers its pid."""
        p = subprocess.Popen([self.bin(program)] + list(args),
                             env=env or self.env, stdin=subprocess.DEVNULL,
                             stdout=open(os.path.join(self.dir, program +
                                                      ".out"), "ab"),
                             stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def processes(self):
        """{name: row} of the guardian's process table (`oomgr --json disp
        process`, one row per name: its first instance's when several);
        {} when oomgr fails."""
        r = self.run("oomgr", "-c", self.conf_path, "--json", "disp", "process")
        try:
            rows = json.loads(r.stdout) if r.returncode == 0 else []
        except ValueError:
            return {}
        return {row["name"]: row for row in reversed(rows)}

    def running(self, count):
        """processes() once it holds COUNT names, all running; else None
        (for wait_for).  The relay the guardian adds by itself for a
        PostgreSQL store is not counted unless the test registered it."""
        rows = self.processes()
        own = [p.get("name") for p in self.conf.get("processes", [])]
        if self.conf.get("store", {}).get("backend") == "postgresql" and \
                "NOTIFYRELAY" not in own:
            rows.pop("NOTIFYRELAY", None)
        return rows if len(rows) == count and all(
            r["state"] == "running" for r in rows.values()) else None

    def log_text(self, program):
        """The text of PROGRAM's log files (e.g. "postman")."""
        out = []
        logdir = os.path.join(self.state, "log")
        for name in sorted(os.listdir(logdir)):
            if program in name:
                with open(os.path.join(logdir, name), errors="replace") as f:
                    out.append(f.read())
        return "".join(out)

    def logs(self):
        """All log text the suite wrote so far (for diagnostics)."""
        out = []
        for root in (os.path.join(self.state, "log"), self.dir):
            for name in sorted(os.listdir(root)):
                path = os.path.join(root, name)
                if name.endswith((".log", ".out")) and os.path.isfile(path):
                    with open(path, errors="replace") as f:
                        out.append("== %s\n%s" % (name, f.read()))
        return "\n".join(out)

    def stop(self, keep=False):
        """Stops every process this suite started: SIGTERM, then SIGKILL
        after a bounded wait; then removes the directory unless KEEP or
        EMS_KEEP_TEST_DIR is set."""
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + DEFAULT_TIMEOUT
        for p in self.procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []
        self.save_logs()
        if not keep and not os.environ.get("EMS_KEEP_TEST_DIR"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def save_logs(self):
        """Appends what the programs logged to the test's suite log (the
        files go with the directory), unless it is already there."""
        if SUITE_LOG is None or not os.path.isdir(self.dir):
            return
        try:
            text = self.logs()
            if text and text != getattr(self, "saved_logs", None):
                self.saved_logs = text
                with open(SUITE_LOG, "a") as f:
                    f.write("==== suite %s\n%s\n" % (self.dir, text))
        except OSError:
            pass
