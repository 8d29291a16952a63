#!/usr/bin/env python3
"""iolistener.t - the listener of the mail ports under the guardian.

A private suite: the guardian binds IMAP on 127.0.0.1 and on ::1 and POP3
on 127.0.0.1 and passes the sockets to iolistener; imap4srv and pop3srv
workers (each when built) register through run_dir/handoff.sock.  It
checks what issue 5 asks of the listener: an access filter refuses
127.0.0.2 with the protocol's line and logs the decision, an allowed
client reaches a worker (imaplib LOGIN, poplib STAT) or, with no worker,
gets the unavailable line; maxclt reached gives the busy line; a worker killed
with SIGKILL is restarted by the guardian, registers again and serves;
a refresh with a broken filter keeps the filters in force, a good one
applies without dropping established sessions; a host-name filter
(UNKNOWN) decides from a reverse + forward lookup.  Also: IMAPS and POP3S
listeners (flags 64) through the listener, two pop3srv instances sharing
clients and surviving kill -9 of one, iolistener itself killed and
restarted with sessions kept, and iolistener started directly the way
systemd starts it (LISTEN_FDS), pausing when out of descriptors.
"""

import glob
import imaplib
import json
import os
import poplib
import resource
import re
import signal
import socket
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import emstest  # noqa: E402

USER = "demo@example.test"
PASSWORD = "demo"
DENIED = "127.0.0.2"
TIMEOUT = emstest.DEFAULT_TIMEOUT

t = emstest.Tap()
for prog in ("guardian", "oomgr", "iolistener"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)
HAVE_IMAP = os.access(os.path.join(emstest.BIN, "imap4srv"), os.X_OK)
HAVE_POP = os.access(os.path.join(emstest.BIN, "pop3srv"), os.X_OK)


def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


HAVE_V6 = ipv6_loopback()
IMAP_PORT = emstest.free_port()
POP_PORT = emstest.free_port()
IMAP6_PORT = emstest.free_port("::1") if HAVE_V6 else None
IMAPS_PORT = emstest.free_port()
POPS_PORT = emstest.free_port()

suite = emstest.Suite(name="iolistener")
suite.conf["user"] = ""
suite.conf["group"] = ""
suite.conf["guardian"] = {"backoff_initial_s": 1, "backoff_max_s": 2,
                          "shutdown_timeout_s": 5}
processes = [{"name": "IOLISTENER", "program": "iolistener",
              "instances": [{"autostart": True}]}]
if HAVE_IMAP:
    processes.append({"name": "IMAP4SRV", "program": "imap4srv",
                      "instances": [{"maxclt": 2, "autostart": True}]})
if HAVE_POP:
    processes.append({"name": "POP3SRV", "program": "pop3srv",
                      "instances": [{"maxclt": 2, "autostart": True},
                                    {"maxclt": 2, "autostart": True}]})
suite.conf["processes"] = processes
listeners = [{"service": "imap", "address": "127.0.0.1", "port": IMAP_PORT},
             {"service": "pop", "address": "127.0.0.1", "port": POP_PORT},
             {"service": "imap", "address": "127.0.0.1", "port": IMAPS_PORT,
              "flags": 64},
             {"service": "pop", "address": "127.0.0.1", "port": POPS_PORT,
              "flags": 64}]
if HAVE_V6:
    listeners.append({"service": "imap", "address": "::1", "port": IMAP6_PORT})
suite.conf["listeners"] = listeners
suite.conf["access"] = {"deny": ["ALL: %s" % DENIED]}
suite.write_conf()

tls_dir = os.path.join(suite.state, "tls")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-days", "2", "-subj", "/CN=localhost",
                "-keyout", os.path.join(tls_dir, "key.pem"),
                "-out", os.path.join(tls_dir, "cert.pem")],
               check=True, capture_output=True)
if HAVE_IMAP or HAVE_POP:
    r = suite.run("oomgr", "-c", suite.conf_path,
                  "insert domain qualifiedname=example.test;",
                  "insert person username=%s password=%s;" % (USER, PASSWORD),
                  timeout=180)
    if r.returncode != 0:
        t.diag(r.stdout + r.stderr)


def oomgr(*args):
    return suite.run("oomgr", "-c", suite.conf_path, *args)


def row(name, instance=1):
    r = oomgr("--json", "disp", "process")
    if r.returncode != 0:
        return None
    for x in json.loads(r.stdout):
        if x["name"] == name and x["instance"] == instance:
            return x
    return None


def log_text():
    out = ""
    for path in glob.glob(os.path.join(suite.state, "log", "*iolistener*.log")):
        with open(path, errors="replace") as f:
            out += f.read()
    return out


def log_has(pattern, after=0):
    """The first log line after offset AFTER matching the regex PATTERN."""
    m = re.search(pattern, log_text()[after:])
    return m.group(0) if m else None


def wait_log(pattern, after=0):
    return emstest.wait_for(lambda: log_has(pattern, after))


def first_line(port, host="127.0.0.1", source=None):
    """Connects (from SOURCE when given) and returns (first line, closed
    after it); ("", True) when the server closed without a word."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(TIMEOUT)
        if source:
            s.bind((source, 0))
        s.connect((host, port))
        data = b""
        try:
            while b"\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    return data.decode(errors="replace"), True
                data += chunk
            line, rest = data.split(b"\n", 1)
            s.settimeout(1.0 if rest == b"" else TIMEOUT)
            try:
                closed = s.recv(4096) == b""
            except socket.timeout:
                closed = False
        except ConnectionResetError:
            return data.decode(errors="replace"), True
        return line.decode(errors="replace").rstrip("\r"), closed


def imap_login(port=IMAP_PORT, host="127.0.0.1"):
    """A logged-in session through the listener.  The worker has
    maxclt 2, so a busy line right after other clients left only means
    its load report is on its way: that is retried."""
    def attempt():
        try:
            return imaplib.IMAP4(host, port, timeout=TIMEOUT)
        except imaplib.IMAP4.error as e:
            if "UNAVAILABLE" in str(e):
                return None
            raise
    m = emstest.wait_for(attempt)
    if m is None:
        raise RuntimeError("the worker stayed busy")
    m.login(USER, PASSWORD)
    return m


guardian = suite.start("guardian", "-F", "-c", suite.conf_path)
t.ok(wait_log(r"event=iolistener_start"), "guardian starts iolistener with "
     "the sockets")
t.ok(log_has(r"event=listen_socket socket=127\.0\.0\.1:%d service=imap "
             r"flags=0" % IMAP_PORT),
     "it identifies the IMAP socket by its local address")
for name, present in (("imap", HAVE_IMAP), ("pop", HAVE_POP)):
    if present:
        t.ok(wait_log(r"event=handoff_worker_registered service=%s "
                      r"instance=1" % name),
             "the %s worker registers with the listener" % name)

# --- access filters: a denied address -----------------------------------
line, closed = first_line(IMAP_PORT, source=DENIED)
t.like(line, "* BYE [NOPERM] Access denied", "denied IMAP client gets "
       "* BYE (%s)" % line)
t.ok(closed, "and is disconnected")
t.ok(wait_log(r"event=access service=imap peer=127\.0\.0\.2:\d+ "
              r"local=127\.0\.0\.1:%d verdict=deny filter=access\.deny\[0\]"
              % IMAP_PORT), "the refusal is logged with the deciding filter")
t.ok(wait_log(r"event=client_refused service=imap peer=127\.0\.0\.2"),
     "and the refusal itself")
line, closed = first_line(POP_PORT, source=DENIED)
t.like(line, "-ERR [SYS/PERM] Access denied", "denied POP3 client gets "
       "-ERR (%s)" % line)
t.ok(closed, "and is disconnected")

# --- an allowed client ---------------------------------------------------
line, closed = first_line(IMAP_PORT)
if HAVE_IMAP:
    t.like(line, "* OK", "allowed client reaches imap4srv's greeting")
    t.ok(wait_log(r"event=client_handoff service=imap peer=127\.0\.0\.1:\d+ "
                  r"local=127\.0\.0\.1:%d worker=imap#1" % IMAP_PORT),
         "the hand-off is logged with the worker")
    try:
        m = imap_login()
        typ, _ = m.noop()
        t.is_(typ, "OK", "imaplib LOGIN and NOOP through the listener")
        m.logout()
    except Exception as e:  # noqa: BLE001
        t.ok(False, "imaplib LOGIN through the listener: %s" % e)
else:
    t.like(line, "* BYE [UNAVAILABLE] Service temporarily unavailable",
           "no imap worker: allowed client gets the unavailable line (%s)" % line)
    t.ok(closed, "and is disconnected")
    t.ok(wait_log(r"event=client_busy service=imap peer=127\.0\.0\.1:\d+ "
                  r"local=127\.0\.0\.1:%d reason=no_worker" % IMAP_PORT),
         "logged with reason no_worker")
    t.skip("imap4srv is not built", 2)

line, closed = first_line(POP_PORT)
if HAVE_POP:
    t.like(line, "+OK", "allowed client reaches pop3srv's greeting")
    try:
        p = poplib.POP3("127.0.0.1", POP_PORT, timeout=TIMEOUT)
        p.user(USER)
        p.pass_(PASSWORD)
        t.is_(p.stat()[0], 0, "poplib USER/PASS/STAT through the listener")
        p.quit()
    except Exception as e:  # noqa: BLE001
        t.ok(False, "poplib login through the listener: %s" % e)
else:
    t.like(line, "-ERR [SYS/TEMP] Service temporarily unavailable",
           "no pop worker: allowed client gets the unavailable line (%s)" % line)
    t.skip("pop3srv is not built")

# --- TLS listeners (flags 64): the flag travels with the client -------------
TLS_CTX = ssl.create_default_context()
TLS_CTX.check_hostname = False
TLS_CTX.verify_mode = ssl.CERT_NONE
t.ok(log_has(r"event=listen_socket socket=127\.0\.0\.1:%d service=imap "
             r"flags=64" % IMAPS_PORT), "the IMAPS socket is known by its "
     "flags")
if HAVE_IMAP:
    try:
        m = imaplib.IMAP4_SSL("127.0.0.1", IMAPS_PORT, ssl_context=TLS_CTX,
                              timeout=TIMEOUT)
        m.login(USER, PASSWORD)
        t.is_(m.noop()[0], "OK", "IMAPS through the listener: the worker "
              "starts TLS from the listener's flags")
        m.logout()
    except Exception as e:  # noqa: BLE001
        t.ok(False, "IMAPS through the listener: %s" % e)
else:
    t.skip("imap4srv is not built")
if HAVE_POP:
    try:
        p = poplib.POP3_SSL("127.0.0.1", POPS_PORT, context=TLS_CTX,
                            timeout=TIMEOUT)
        p.user(USER)
        p.pass_(PASSWORD)
        t.is_(p.stat()[0], 0, "POP3S through the listener")
        p.quit()
    except Exception as e:  # noqa: BLE001
        t.ok(False, "POP3S through the listener: %s" % e)
else:
    t.skip("pop3srv is not built")
line, closed = first_line(IMAPS_PORT, source=DENIED)
t.ok(line == "" and closed, "a denied client of a TLS listener is closed "
     "without a cleartext line")
t.ok(wait_log(r"event=client_refused service=imap peer=127\.0\.0\.2:\d+ "
              r"local=127\.0\.0\.1:%d .*line=none_tls" % IMAPS_PORT),
     "and the log says so")

# --- IPv6 ----------------------------------------------------------------
if HAVE_V6:
    line, closed = first_line(IMAP6_PORT, host="::1")
    t.like(line, "* OK" if HAVE_IMAP else "* BYE [UNAVAILABLE]",
           "a client on the ::1 listener is served (%s)" % line)
    t.ok(wait_log(r"event=access service=imap peer=\[::1\]:\d+ "
                  r"local=\[::1\]:%d verdict=allow" % IMAP6_PORT),
         "its decision names the IPv6 addresses")
else:
    t.skip("no IPv6 loopback", 2)

# --- maxclt reached: busy ----------------------------------------------------
if HAVE_IMAP:
    def greeted():
        """A connection that reached the worker's greeting; a busy line
        here only means the worker's last load report is on its way."""
        try:
            return imaplib.IMAP4("127.0.0.1", IMAP_PORT, timeout=TIMEOUT)
        except imaplib.IMAP4.error:
            return None

    held = [emstest.wait_for(greeted) for _ in range(2)]
    t.ok(all(held), "two clients fill imap4srv's maxclt 2")
    line, closed = first_line(IMAP_PORT)
    t.like(line, "* BYE [UNAVAILABLE] Server busy", "a third client past "
           "maxclt 2 gets the busy line (%s)" % line)
    t.ok(wait_log(r"event=client_busy service=imap .*reason=busy"),
         "logged with reason busy")
    for m in held:
        if m:
            m.logout()
    t.ok(emstest.wait_for(lambda: first_line(IMAP_PORT)[0].startswith("* OK")),
         "once they left, clients are served again")
else:
    t.skip("imap4srv is not built", 4)

# --- a worker killed: restarted, registered, serving --------------------------
if HAVE_IMAP:
    before = (row("IMAP4SRV") or {}).get("pid", 0)
    mark = len(log_text())
    os.kill(before, signal.SIGKILL)
    t.ok(wait_log(r"event=handoff_worker_gone service=imap instance=1", mark),
         "the listener drops the killed worker at once")
    t.ok(wait_log(r"event=handoff_worker_registered service=imap instance=1",
                  mark), "the restarted worker registers again")
    after = (row("IMAP4SRV") or {}).get("pid", 0)
    t.ok(after and after != before, "the guardian restarted it (pid %s -> %s)"
         % (before, after))
    try:
        m = imap_login()
        t.is_(m.noop()[0], "OK", "and it serves clients through the listener")
        m.logout()
    except Exception as e:  # noqa: BLE001
        t.ok(False, "login after the restart: %s" % e)
else:
    t.skip("imap4srv is not built", 4)

# --- two pop3srv instances share the clients --------------------------------


def pop_greeted():
    """A POP3 connection that reached a worker's greeting (a busy line
    only means a load report is on its way: try again)."""
    try:
        return poplib.POP3("127.0.0.1", POP_PORT, timeout=TIMEOUT)
    except poplib.error_proto:
        return None


def pop_quit(conns):
    for p in conns:
        try:
            p.quit()
        except (OSError, poplib.error_proto):
            pass


if HAVE_POP:
    t.ok(wait_log(r"event=handoff_worker_registered service=pop instance=2"),
         "the second pop3srv instance registers")
    mark = len(log_text())
    held = [emstest.wait_for(pop_greeted) for _ in range(4)]
    t.ok(all(held), "four clients fill two pop3srv instances of maxclt 2")
    used = set(re.findall(r"event=client_handoff service=pop .*worker=(pop#\d)",
                          log_text()[mark:]))
    t.is_(sorted(used), ["pop#1", "pop#2"], "both instances took clients")
    line, closed = first_line(POP_PORT)
    t.like(line, "-ERR [SYS/TEMP] Server busy", "a fifth client gets the "
           "busy line (%s)" % line)
    t.ok(closed, "and is disconnected")
    mark = len(log_text())
    pop_quit([p for p in held if p])
    # Both instances report their emptied places before the next step,
    # which depends on where the listener sends clients.
    for inst in (1, 2):
        wait_log(r"event=handoff_load service=pop instance=%d clients=0" % inst,
                 mark)

    held = [emstest.wait_for(pop_greeted) for _ in range(2)]
    victim = (row("POP3SRV", 1) or {}).get("pid", 0)
    mark = len(log_text())
    os.kill(victim, signal.SIGKILL)
    emstest.wait_for(lambda: not emstest.pid_alive(victim))
    # Some kernels (gVisor) show the process dead before its sockets are
    # closed; a client sent in between would be lost with it, so the next
    # client comes once the listener has seen the hang-up.
    t.ok(wait_log(r"event=handoff_worker_gone service=pop instance=1", mark),
         "the dead instance was dropped")
    line, closed = first_line(POP_PORT)
    t.like(line, "+OK", "kill -9 of one instance with clients: a new client "
           "is still served (%s)" % line)
    t.ok(wait_log(r"event=client_handoff service=pop .*worker=pop#2", mark),
         "by the other instance")
    t.ok(wait_log(r"event=handoff_worker_registered service=pop instance=1",
                  mark), "and registers again once the guardian restarted it")
    pop_quit([p for p in held if p])
else:
    t.skip("pop3srv is not built", 9)

# --- refresh -------------------------------------------------------------------
lpid = (row("IOLISTENER") or {}).get("pid", 0)
session = imap_login() if HAVE_IMAP else None
suite.conf["access"] = {"deny": ["ALL: %s" % DENIED, "imap 127.0.0.1"]}
suite.write_conf()
mark = len(log_text())
r = oomgr("refresh", "IOLISTENER")
t.is_(r.returncode, 0, "oomgr refresh IOLISTENER")
bad = wait_log(r"event=access_filter_invalid.*", mark)
t.like(bad or "", "access.deny[1] col", "a broken filter is reported with "
       "its setting and column (%s)" % bad)
t.like(bad or "", suite.conf_path, "and the file")
t.ok(wait_log(r"event=refresh_failed", mark), "the refresh is refused")
line, _ = first_line(IMAP_PORT, source=DENIED)
t.like(line, "* BYE [NOPERM]", "the old filters still refuse 127.0.0.2")
line, _ = first_line(IMAP_PORT)
t.ok(not line.startswith("* BYE [NOPERM]"), "and still let 127.0.0.1 in")

deny6 = ["imap: [::1]"] if HAVE_V6 else ["imap: 127.0.0.1"]
suite.conf["access"] = {"deny": ["ALL: %s" % DENIED] + deny6}
suite.write_conf()
mark = len(log_text())
oomgr("refresh", "IOLISTENER")
t.ok(wait_log(r"event=refresh_done", mark), "a good refresh applies")
t.is_((row("IOLISTENER") or {}).get("pid", 0), lpid,
      "without restarting iolistener")
if HAVE_V6:
    line, closed = first_line(IMAP6_PORT, host="::1")
    t.like(line, "* BYE [NOPERM]", "the new IPv6 filter refuses ::1")
else:
    line, closed = first_line(IMAP_PORT)
    t.like(line, "* BYE [NOPERM]", "the new filter refuses 127.0.0.1")
if session is not None:
    try:
        t.is_(session.noop()[0], "OK", "an established session survives "
              "the refresh")
        session.logout()
    except Exception as e:  # noqa: BLE001
        t.ok(False, "established session after refresh: %s" % e)
else:
    t.skip("imap4srv is not built")

# --- iolistener killed: restarted, the workers come back, sessions stay -------
session = imap_login() if HAVE_IMAP else None
mark = len(log_text())
os.kill(lpid, signal.SIGKILL)
t.ok(wait_log(r"event=iolistener_start", mark), "the guardian restarts a "
     "killed iolistener")
for name, present in (("imap", HAVE_IMAP), ("pop", HAVE_POP)):
    if present:
        t.ok(wait_log(r"event=handoff_worker_registered service=%s" % name,
                      mark), "the %s workers register with the new one" % name)
    else:
        t.skip("%s worker is not built" % name)
if session is not None:
    t.ok(emstest.wait_for(lambda: first_line(IMAP_PORT)[0].startswith("* OK")),
         "new clients are served again")
    try:
        t.is_(session.noop()[0], "OK", "a session established before the "
              "kill goes on")
        session.logout()
    except Exception as e:  # noqa: BLE001
        t.ok(False, "established session after the listener's kill: %s" % e)
else:
    t.skip("imap4srv is not built", 2)

# --- host names: UNKNOWN from a reverse + forward lookup ------------------------


def dns_fits():
    """localhost resolves both ways for 127.0.0.1; 127.0.0.2 has no name."""
    try:
        name = socket.gethostbyaddr("127.0.0.1")[0]
        if "127.0.0.1" not in socket.gethostbyname_ex(name)[2]:
            return False
    except OSError:
        return False
    try:
        socket.gethostbyaddr(DENIED)
        return False
    except OSError:
        return True


if dns_fits():
    suite.conf["access"] = {"deny": ["imap: UNKNOWN"]}
    suite.write_conf()
    mark = len(log_text())
    oomgr("refresh", "IOLISTENER")
    wait_log(r"event=refresh_done", mark)
    line, _ = first_line(IMAP_PORT, source=DENIED)
    t.like(line, "* BYE [NOPERM]", "a client without a host name is UNKNOWN")
    t.ok(wait_log(r"event=access service=imap peer=127\.0\.0\.2:\d+ .*"
                  r"verdict=deny .*dns=noname", mark),
         "logged with the failed lookup")
    line, _ = first_line(IMAP_PORT)
    t.ok(not line.startswith("* BYE [NOPERM]"), "127.0.0.1 has a verified "
         "name and is let in")
    t.ok(wait_log(r"event=access service=imap peer=127\.0\.0\.1:\d+ .*"
                  r"verdict=allow .*dns=verified", mark),
         "logged with its verified name")
else:
    t.skip("this machine's resolver does not fit the host-name check", 4)

# --- orderly stop ---------------------------------------------------------------------
guardian.send_signal(signal.SIGTERM)
try:
    guardian.wait(TIMEOUT)
except Exception:  # noqa: BLE001
    pass
t.ok(wait_log(r"event=iolistener_stop"), "iolistener stops on SIGTERM")
t.ok(not os.path.exists(os.path.join(suite.state, "run", "handoff.sock")),
     "and removes its hand-off socket")

# --- socket activation: started directly with LISTEN_FDS -----------------------
# The same variables systemd sets; LISTEN_PID must be iolistener's own pid,
# which a shell has before it execs.
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.bind(("127.0.0.1", 0))
sock.listen(16)
act_port = sock.getsockname()[1]
suite.conf["listeners"] = [{"service": "imap", "address": "127.0.0.1",
                            "port": act_port}]
suite.conf["access"] = {"deny": ["ALL: %s" % DENIED]}
suite.write_conf()
env = dict(suite.env, LISTEN_FDS="1", LISTEN_FDNAMES="ems")
fd = sock.fileno()
move = "" if fd == 3 else " 3<&%d %d<&-" % (fd, fd)
act = subprocess.Popen(
    ["sh", "-c", 'LISTEN_PID=$$ exec "$0" -c "$1"' + move,
     suite.bin("iolistener"), suite.conf_path], env=env, pass_fds=(fd,),
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
suite.procs.append(act)
sock.close()
mark = len(log_text())
t.ok(wait_log(r"event=listen_socket socket=127\.0\.0\.1:%d service=imap"
              % act_port, 0), "under socket activation the passed socket is "
     "identified")
line, _ = first_line(act_port, source=DENIED)
t.like(line, "* BYE [NOPERM]", "and its clients are filtered")
line, _ = first_line(act_port)
t.like(line, "* BYE [UNAVAILABLE] Service temporarily unavailable",
       "with no worker registered an allowed client gets the unavailable line")
# Out of descriptors: accepting pauses instead of spinning or dying, and
# the waiting client is served once descriptors are back.
fds = len(os.listdir("/proc/%d/fd" % act.pid))
limits = resource.prlimit(act.pid, resource.RLIMIT_NOFILE)
mark = len(log_text())
resource.prlimit(act.pid, resource.RLIMIT_NOFILE, (fds, limits[1]))
waiting = socket.create_connection(("127.0.0.1", act_port), timeout=TIMEOUT)
t.ok(wait_log(r"event=accept_paused error=.*Too many open files", mark),
     "no descriptor left: accepting pauses (logged)")
t.ok(emstest.pid_alive(act.pid), "and iolistener keeps running")
resource.prlimit(act.pid, resource.RLIMIT_NOFILE, limits)
try:
    got = waiting.recv(200).decode(errors="replace")
except OSError as e:
    got = str(e)
waiting.close()
t.like(got, "* BYE [UNAVAILABLE]", "with descriptors back the waiting "
       "client is answered")
t.ok(log_has(r"event=accept_resumed", mark), "accepting resumed")

act.send_signal(signal.SIGTERM)
t.is_(act.wait(TIMEOUT), 0, "iolistener exits 0 on SIGTERM")

r = suite.run("iolistener", "--help")
t.ok(r.returncode == 0 and "LISTEN_FDS" in r.stdout, "--help describes it")
r = suite.run("iolistener", "-c", suite.conf_path, env=dict(suite.env))
t.ok(r.returncode == 1, "without passed sockets it exits 1")

if t.failed:
    t.diag(suite.logs()[-6000:])
suite.stop()
t.done()
