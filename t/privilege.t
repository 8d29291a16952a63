#!/usr/bin/env python3
"""privilege.t - only the guardian runs as root (issue 9).

As root, a private suite runs every program that is built (iolistener,
pop3srv, imap4srv, smtpgw, postman, collector; a stand-in listener when
iolistener is missing) under the guardian, with user nobody and an IMAPS
listener whose certificate `oomgr cert generate` made.  From /proc it checks
every process the guardian started: all four uids and gids are nobody's,
no supplementary group but that one, no capabilities, NoNewPrivs set
for the listener and workers (not for services, which may run sendmail);
the guardian itself is root.  Then the descriptors: no child holds a
socket or pipe of another child or of the guardian, except the listener's
own listening socket; the programs hold no descriptor that is not
close-on-exec; no child has any file the guardian has open.  Last, an
IMAPS client logs in through the listener, and its connection is held by
the IMAP worker alone.
"""

import atexit
import grp
import imaplib
import json
import os
import pwd
import shutil
import signal
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import emstest  # noqa: E402

CHILD_USER, CHILD_GROUP = "nobody", "nogroup"
O_CLOEXEC = 0o2000000
USER, PASSWORD = "demo@example.test", "demo"
# Registry name: program.  The ones built are registered; smtpgw and
# postman are required.
PROGRAMS = {"IOLISTENER": "iolistener", "POP3SRV": "pop3srv",
            "IMAP4SRV": "imap4srv", "SMTPGW": "smtpgw", "Postman": "postman",
            "Collector": "collector"}

t = emstest.Tap()
if os.geteuid() != 0:
    t.skip_all("needs root (the guardian drops children to another user)")
for prog in ("guardian", "oomgr", "smtpgw", "postman"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)
try:
    UID = pwd.getpwnam(CHILD_USER).pw_uid
    GID = grp.getgrnam(CHILD_GROUP).gr_gid
except KeyError:
    t.skip_all("no user %s or group %s" % (CHILD_USER, CHILD_GROUP))
if not emstest.user_can_run(CHILD_USER, os.path.join(emstest.BIN, "smtpgw")):
    t.skip_all("%s cannot reach %s (a directory above it is closed to others)"
               % (CHILD_USER, emstest.BIN))
BUILT = {n: p for n, p in PROGRAMS.items()
         if os.access(os.path.join(emstest.BIN, p), os.X_OK)}
REAL = dict(BUILT)                    # every real program: close-on-exec

# the process table exactly as the test registers it: SQLite, no relay
suite = emstest.Suite({"store": {"backend": "sqlite"}}, name="privilege")
os.chmod(suite.dir, 0o755)            # nobody must reach the state directory
IMAPS_PORT = emstest.free_port()
processes = [{"name": n, "program": suite.bin(p),
              "role": "listener" if p == "iolistener" else "auto",
              "instances": [{"autostart": True}]}
             for n, p in sorted(BUILT.items())]
if "IOLISTENER" not in BUILT:
    # A stand-in listener, so that the guardian still hands out a socket.
    child = os.path.join(suite.dir, "testchild.sh")
    shutil.copy(os.path.join(emstest.SRC, "t", "lib", "testchild.sh"), child)
    os.chmod(child, 0o755)
    processes.append({"name": "IOLISTENER", "program": child,
                      "role": "listener", "instances": [{"autostart": True}]})
suite.conf.update({
    "user": CHILD_USER, "group": CHILD_GROUP,
    "lmtp": {"port": emstest.free_port(), "socket": "lmtp.sock"},
    "guardian": {"shutdown_timeout_s": 5},
    "processes": processes,
    "listeners": [{"service": "imap", "address": "127.0.0.1",
                   "port": IMAPS_PORT, "flags": 64}],
    "tls": {"certificate": os.path.join(suite.state, "tls", "server.crt"),
            "key": os.path.join(suite.state, "tls", "server.key")},
})
suite.write_conf()
# The store and the certificate exist before the suite starts; oomgr,
# run as root, gives the key to the children's user.
r = suite.run("oomgr", "-c", suite.conf_path,
              "insert domain qualifiedname=example.test;",
              "insert person username=%s password=%s;" % (USER, PASSWORD),
              "cert generate server cn=localhost;", timeout=180)
if r.returncode != 0:
    t.diag(r.stdout + r.stderr)
for root, dirs, files in os.walk(suite.state):
    for name in dirs + files:
        os.chown(os.path.join(root, name), UID, GID)
os.chown(suite.state, UID, GID)
NPROC = len(processes)


def disp():
    r = suite.run("oomgr", "-c", suite.conf_path, "--json", "disp", "process")
    try:
        return json.loads(r.stdout) if r.returncode == 0 else []
    except ValueError:
        return []


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return ""


def all_running():
    rows = disp()
    if len(rows) != NPROC or any(r.get("state") != "running" for r in rows):
        return None
    # Past exec: the pid runs its own program, not the guardian's copy.
    if any(os.path.basename(cmdline(r["pid"])) == "guardian" for r in rows):
        return None
    return rows


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.split()
    return out


def fds(pid):
    """{fd: (target, flags)} of PID."""
    out = {}
    base = "/proc/%d/fd" % pid
    for name in os.listdir(base):
        try:
            target = os.readlink(os.path.join(base, name))
            with open("/proc/%d/fdinfo/%s" % (pid, name)) as f:
                flags = [int(line.split()[1], 8) for line in f
                         if line.startswith("flags:")][0]
        except (OSError, IndexError):
            continue
        out[int(name)] = (target, flags)
    return out


def shared(a, b):
    """Sockets and pipes (exact identities) both fd maps hold."""
    ident = lambda m: {v[0] for v in m.values()  # noqa: E731
                       if v[0].startswith(("socket:", "pipe:"))}
    return ident(a) & ident(b)


g = suite.start("guardian", "-F", "-c", suite.conf_path)
atexit.register(lambda: g.poll() is None and g.send_signal(signal.SIGTERM))
rows = emstest.wait_for(all_running, timeout=20)
if not t.ok(rows, "the guardian started %s" % ", ".join(
        sorted(p["name"] for p in processes))):
    t.diag(suite.logs())
    t.done()
pids = {r["name"]: r["pid"] for r in rows}

# --- a client's socket belongs to its worker alone -----------------------
# (first: a served login also shows every program has finished starting)
def server_socket_inode(client_port):
    """Inode of the server side of the loopback connection from
    CLIENT_PORT to IMAPS_PORT, from /proc/net/tcp."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if int(local.split(":")[1], 16) == IMAPS_PORT and \
                    int(remote.split(":")[1], 16) == client_port:
                return fields[9]
    return None


def holders(inode):
    target = "socket:[%s]" % inode
    return sorted(name for name, pid in pids.items()
                  if target in {v[0] for v in fds(pid).values()})


if "IOLISTENER" in BUILT and "IMAP4SRV" in BUILT:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    tried = []

    def login():
        """An IMAPS session, once the worker has registered with the
        listener (until then the listener turns clients away)."""
        try:
            c = imaplib.IMAP4_SSL("127.0.0.1", IMAPS_PORT, ssl_context=ctx,
                                  timeout=emstest.DEFAULT_TIMEOUT)
            c.login(USER, PASSWORD)
            return c
        except (OSError, imaplib.IMAP4.error) as e:
            tried.append(str(e))
            return None

    imap = emstest.wait_for(login, interval=0.2)
    typ = "OK" if imap else (tried or ["no answer"])[-1]
    t.is_(typ, "OK", "IMAPS login through the listener, the workers "
          "reading their key as %s" % CHILD_USER)
    inode = imap and server_socket_inode(imap.sock.getsockname()[1])
    t.is_(holders(inode) if inode else None, ["IMAP4SRV"],
          "the client's socket is held by the IMAP worker alone")
    if imap:
        imap.logout()
else:
    t.skip("iolistener or imap4srv is not built", 2)

# --- who each process runs as ----------------------------------------
gs = status(g.pid)
t.is_(gs["Uid"], ["0"] * 4, "the guardian runs as root")
for name, pid in sorted(pids.items()):
    st = status(pid)
    t.is_((st["Uid"], st["Gid"]), ([str(UID)] * 4, [str(GID)] * 4),
          "%s runs as %s:%s (real, effective, saved, fs)"
          % (name, CHILD_USER, CHILD_GROUP))
    t.ok(st.get("Groups", []) in ([], [str(GID)]),
         "%s has no supplementary group but %s (%s)"
         % (name, CHILD_GROUP, st.get("Groups")))
    t.is_((st["CapEff"], st["CapPrm"]), (["0000000000000000"],) * 2,
          "%s holds no capability" % name)
    if name.split("#")[0].lower() in ("iolistener", "pop3srv", "imap4srv"):
        t.is_(st.get("NoNewPrivs"), ["1"], "%s has PR_SET_NO_NEW_PRIVS" % name)
    else:
        t.is_(st.get("NoNewPrivs"), ["0"], "%s (a service) may run a "
              "set-group-ID sendmail" % name)

# Every process below the guardian, whatever started it, is not root.
descendants = []
for entry in os.listdir("/proc"):
    if entry.isdigit():
        try:
            if status(int(entry)).get("PPid") == [str(g.pid)]:
                descendants.append(int(entry))
        except OSError:
            pass
t.is_(sorted(descendants), sorted(pids.values()),
      "the guardian's children are exactly the registered instances")

# --- descriptors -----------------------------------------------------
gfds = fds(g.pid)
cfds = {name: fds(pid) for name, pid in pids.items()}
lsnr = cfds["IOLISTENER"]
listen = {lsnr[fd][0] for fd in (3,) if fd in lsnr}
t.ok(listen and next(iter(listen)).startswith("socket:"),
     "the listener holds the IMAPS socket as descriptor 3")
t.is_(shared(lsnr, gfds), listen,
      "and shares no other socket or pipe with the guardian")
for name in REAL:
    if name != "IOLISTENER":
        t.is_(shared(cfds[name], gfds), set(),
              "%s shares no socket or pipe with the guardian" % name)
names = sorted(cfds)
for i, a in enumerate(names):
    for b in names[i + 1:]:
        t.is_(shared(cfds[a], cfds[b]), set(),
              "%s and %s share no socket or pipe" % (a, b))
gfiles = {v[0] for v in gfds.values()
          if v[0].startswith("/") and v[0] != "/dev/null"}
for name, m in sorted(cfds.items()):
    files = {v[0] for v in m.values() if v[0].startswith("/")}
    t.is_(files & gfiles, set(), "%s has none of the guardian's files open"
          % name)
for name in REAL:
    leaky = sorted("%d=%s" % (fd, v[0]) for fd, v in cfds[name].items()
                   if fd > 2 and not v[1] & O_CLOEXEC)
    t.is_(leaky, [], "every descriptor of %s above 2 is close-on-exec" % name)

g.send_signal(signal.SIGTERM)
try:
    g.wait(emstest.DEFAULT_TIMEOUT)
except Exception:
    g.kill()
t.is_(g.returncode, 0, "the guardian stops cleanly")
t.done()
