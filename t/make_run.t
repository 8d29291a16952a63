#!/usr/bin/env python3
"""make run (mk/run.sh) on free ports (PORTS: POP3 base+10, LMTP +24,
IMAP +43, SIEVE +90, IMAPS +93, POP3S +95), so that it runs beside a developer's own
make run: a fresh state directory gets a store with demo@example.test, a
self-signed certificate and the dev configuration; the guardian comes up
in the foreground, curl reads the welcome message over POP3 and IMAP on
those ports, oomgr finds it, Ctrl-C stops it.  Started as root, only the
guardian is uid 0: every child runs as ems (or nobody), as /proc shows,
and owns the state.  Started as an ordinary user it works as that user.
A port already taken makes it say which and by what, and exit 1 before
it starts or writes anything."""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import emstest  # noqa: E402
from emstest import BIN, BUILD, SRC, Tap, free_port, wait_for  # noqa: E402

OFFSETS = {"POP3": 10, "LMTP": 24, "IMAP": 43, "SIEVE": 90, "IMAPS": 93, "POP3S": 95}

t = Tap()
if os.geteuid() == 0 and not emstest.user_can_run("nobody", os.path.join(BIN, "smtpgw")):
    # as root the suite's children run as nobody, who must reach the build
    t.skip_all("nobody cannot reach %s (a directory above it is closed to others)" % BIN)
top = tempfile.mkdtemp(prefix="ems-make-run-")
os.chmod(top, 0o755)
env = dict(os.environ)
for k in ("EMS_CONFIG", "EMS_STATE_DIR"):
    env.pop(k, None)
started = []


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_base():
    """A base whose five ports are all free right now."""
    for _ in range(50):
        base = free_port() - OFFSETS["POP3"]
        if base > 1024 and base + 95 < 65536 and \
                all(port_free(base + off) for off in OFFSETS.values()):
            return base
    raise RuntimeError("no free port base")


def start(state, base, user=None):
    argv = ["sh", os.path.join(SRC, "mk", "run.sh"), BUILD, state, str(base)]
    if user is not None:
        argv = ["setpriv", "--reuid=%d" % user.pw_uid, "--regid=%d" % user.pw_gid,
                "--clear-groups"] + argv
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=env, start_new_session=True)
    started.append(p)
    return p


def oomgr(conf, *args):
    return subprocess.run([os.path.join(BIN, "oomgr"), "-c", conf] + list(args),
                          capture_output=True, text=True, timeout=10, env=env)


def curl(url, *args):
    r = subprocess.run(["curl", "-sS", "-k", "--max-time", "10", url] + list(args),
                       capture_output=True, text=True, timeout=30)
    return r.stdout + r.stderr


def uids(pid):
    """The real, effective, saved and filesystem uids of PID, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Uid:"):
                    return [int(x) for x in line.split()[1:]]
    except OSError:
        return None
    return None


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(d))
    return out


def stop(p):
    p.send_signal(signal.SIGINT)
    try:
        p.wait(15)
    except subprocess.TimeoutExpired:
        pass
    return p.poll() is not None


def output(p):
    """What make run printed (after it has ended)."""
    return p.stdout.read().decode(errors="replace") if p.poll() is not None else ""


try:
    # --- a suite on a port base of its own
    state = os.path.join(top, "state")
    conf = os.path.join(state, "ems.conf")
    base = free_base()
    p = start(state, base)
    up = wait_for(lambda: oomgr(conf, "disp process").returncode == 0, timeout=30)
    t.ok(up, "the guardian answers oomgr after make run PORTS=%d" % base)
    t.ok(os.path.exists(os.path.join(state, "store.db")), "store created in the state dir")
    t.is_(os.stat(state).st_mode & 0o007, 0, "which other users cannot enter (password hashes)")
    t.ok(os.path.exists(os.path.join(state, "tls", "dev.crt")) and
         os.stat(os.path.join(state, "tls", "dev.key")).st_mode & 0o077 == 0,
         "self-signed certificate, key readable by the owner only")
    t.like(oomgr(conf, "list person;").stdout, "demo@example.test", "the demo person exists")
    with open(conf) as f:
        text = f.read()
    t.like(text, '"%s"' % state, "the dev config points at the state directory")
    t.ok(all("port = %d;" % (base + off) in text for off in OFFSETS.values()),
         "and its six listeners at PORTS+10, +24, +43, +90, +93, +95")
    t.like(oomgr(conf, "disp process").stdout, "IMAP4SRV", "the dev registry is loaded")
    inbox = wait_for(lambda: (lambda out: out if "Welcome to ems" in out else None)(
        oomgr(conf, "list message username=demo@example.test folder=INBOX;").stdout),
        timeout=20)
    t.ok(inbox, "postman filed the welcome message into demo's INBOX")
    # Until the workers have registered with the listener, it says "busy".
    pop = wait_for(lambda: (lambda out: out if "Welcome to ems" in out else None)(
        curl("pop3://demo:demo@127.0.0.1:%d/1" % (base + 10))), timeout=20)
    t.ok(pop, "curl reads it over POP3 on PORTS+10")
    t.like(curl("imaps://demo:demo@127.0.0.1:%d/INBOX;UID=1" % (base + 93)),
           "Subject: Welcome to ems", "and over IMAPS on PORTS+93")
    sieve_connect = shutil.which("sieve-connect")
    if sieve_connect is None:
        t.skip("sieve-connect is not installed (make deps)")
    else:
        script = os.path.join(top, "dev.sieve")
        with open(script, "w") as f:
            f.write("keep;\n")
        sc = [sieve_connect, "--server", "127.0.0.1", "--port", str(base + 90), "--user",
              "demo", "--authmech", "PLAIN", "--notlsverify", "--passwordfd", "0"]
        subprocess.run(sc + ["--upload", "--localsieve", script, "--remotesieve", "dev"],
                       input="demo\n", capture_output=True, text=True, timeout=60)
        r = subprocess.run(sc + ["--list"], input="demo\n", capture_output=True, text=True,
                           timeout=60)
        t.like(r.stdout, "dev", "sieve-connect uploads and lists a script on PORTS+90")

    if os.geteuid() == 0:
        kids = wait_for(lambda: (lambda k: k if len(k) >= 9 else None)(children(p.pid)),
                        timeout=10) or children(p.pid)
        t.is_(uids(p.pid), [0, 0, 0, 0], "started as root, the guardian is root")
        try:
            user = pwd.getpwnam("ems")
        except KeyError:
            user = pwd.getpwnam("nobody")
        t.ok(len(kids) >= 9, "it runs the dev registry's nine processes")
        bad = {k: uids(k) for k in kids if uids(k) != [user.pw_uid] * 4}
        t.is_(bad, {}, "every child runs as %s (uid %d), none as root"
              % (user.pw_name, user.pw_uid))
        t.is_(os.stat(os.path.join(state, "store.db")).st_uid, user.pw_uid,
              "the state belongs to %s" % user.pw_name)
    else:
        t.skip("started as %s: nothing to drop" % pwd.getpwuid(os.geteuid()).pw_name, 4)

    # --- a port that is taken: said, and nothing started
    busy = free_base()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", busy + 43))
        holder.listen()
        other = os.path.join(top, "other")
        q = start(other, busy)
        try:
            q.wait(30)
        except subprocess.TimeoutExpired:
            pass
        said = output(q)
        t.ok(q.returncode not in (None, 0), "a port in use makes make run fail")
    with open("/proc/self/comm") as f:
        me = "pid %d (%s)" % (os.getpid(), f.read().strip())
    t.like(said, "port %d (IMAP) is taken: %s listens on it" % (busy + 43, me),
           "it says which port, and which process holds it")
    t.ok(not os.path.exists(other), "and writes nothing")

    t.ok(stop(p), "Ctrl-C stops make run")
    t.ok(oomgr(conf, "disp process").returncode != 0, "and the guardian is gone")

    # --- an ordinary user
    nobody = pwd.getpwnam("nobody")
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        t.skip("needs root and setpriv to start it as another user", 3)
    elif subprocess.run(["setpriv", "--reuid=%d" % nobody.pw_uid, "--regid=%d" % nobody.pw_gid,
                         "--clear-groups", "test", "-x", os.path.join(BIN, "guardian")]
                        ).returncode != 0:
        t.skip("nobody cannot reach %s" % BIN, 3)
    else:
        mine = os.path.join(top, "mine")
        os.mkdir(mine)
        os.chown(mine, nobody.pw_uid, nobody.pw_gid)
        state = os.path.join(mine, "state")
        conf = os.path.join(state, "ems.conf")
        base = free_base()
        p = start(state, base, user=nobody)
        up = wait_for(lambda: "Welcome to ems" in curl(
            "imap://demo:demo@127.0.0.1:%d/INBOX;UID=1" % (base + 43)), timeout=30)
        t.ok(up, "started by an ordinary user, IMAP serves the welcome message")
        ids = [uids(k) for k in [p.pid] + children(p.pid)]
        t.ok(len(ids) >= 9 and all(u == [nobody.pw_uid] * 4 for u in ids),
             "and every process, the guardian too, runs as that user")
        t.ok(stop(p), "Ctrl-C stops it")
finally:
    for p in started:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    if t.failed:
        for p in started:
            t.diag(output(p))
    shutil.rmtree(top, ignore_errors=True)
t.done()
