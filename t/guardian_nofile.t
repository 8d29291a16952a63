#!/usr/bin/env python3
"""guardian_nofile.t - the guardian gives its children the open-files
limit guardian.nofile asks for (ems.conf(5)).  A private suite with
iolistener and imap4srv under the guardian asks for 1,000 more than the
hard limit the test runs with: when the guardian may raise its hard
limit (CAP_SYS_RESOURCE) /proc/PID/limits of each child shows the new
value as soft and hard limit; when it may not, the children get the
hard limit and the guardian logs nofile_capped.  A second run asks for
less than the soft limit the test runs with, and the children get
exactly that.  The guardian's own soft limit is left as it was."""

import json
import os
import resource
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402

SOFT, HARD = resource.getrlimit(resource.RLIMIT_NOFILE)
t = emstest.Tap()
for prog in ("guardian", "oomgr", "iolistener", "imap4srv"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)
if HARD == resource.RLIM_INFINITY:
    t.skip_all("no hard limit on open files here")


def nofile(pid):
    """(soft, hard) of PID's Max open files, as strings."""
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return tuple(line.split()[3:5])
    return None


def can_raise():
    """Whether a process here may raise its hard limit (CAP_SYS_RESOURCE)."""
    r = subprocess.run([sys.executable, "-c",
                        "import resource as r; s, h = r.getrlimit(r.RLIMIT_NOFILE); "
                        "r.setrlimit(r.RLIMIT_NOFILE, (s, h + 1))"], capture_output=True)
    return r.returncode == 0


def run(want):
    """Starts a suite asking for WANT; returns ({name: (soft, hard)}, the
    guardian's (soft, hard), the guardian's log)."""
    suite = emstest.Suite(name="nofile")
    suite.conf["user"] = ""
    suite.conf["group"] = ""
    suite.conf["guardian"] = {"nofile": want, "shutdown_timeout_s": 5}
    suite.conf["processes"] = [
        {"name": "IOLISTENER", "program": "iolistener", "instances": [{"autostart": True}]},
        {"name": "IMAP4SRV", "program": "imap4srv", "instances": [{"autostart": True}]}]
    suite.conf["listeners"] = [{"service": "imap", "address": "127.0.0.1",
                                "port": emstest.free_port()}]
    suite.write_conf()
    guardian = suite.start("guardian", "-F", "-c", suite.conf_path)

    def pids():
        r = suite.run("oomgr", "-c", suite.conf_path, "--json", "disp", "process")
        if r.returncode != 0:
            return {}
        return {x["name"]: x["pid"] for x in json.loads(r.stdout) if x.get("pid")}

    emstest.wait_for(lambda: len(pids()) == 2)
    got = {name: nofile(pid) for name, pid in pids().items()}
    own = nofile(guardian.pid)
    guardian.send_signal(signal.SIGTERM)
    guardian.wait(emstest.DEFAULT_TIMEOUT)
    log = ""
    logdir = os.path.join(suite.state, "log")
    for name in os.listdir(logdir):
        if "guardian" in name:
            with open(os.path.join(logdir, name), errors="replace") as f:
                log += f.read()
    suite.stop()
    return got, own, log


WANT = HARD + 1000
got, own, log = run(WANT)
if can_raise():
    expect = (str(WANT), str(WANT))
    what = "the raised hard limit as soft and hard limit"
else:
    expect = (str(HARD), str(HARD))
    what = "the hard limit (the guardian may not raise it)"
    t.like(log, "event=nofile_capped want=%d hard=%d" % (WANT, HARD),
           "the guardian logs that it capped guardian.nofile")
for name in ("IOLISTENER", "IMAP4SRV"):
    t.is_(got.get(name), expect, "%s runs with %s" % (name, what))
t.is_(own[0], str(SOFT), "the guardian's own soft limit is unchanged")

WANT = min(4321, SOFT - 1)
got, own, log = run(WANT)
for name in ("IOLISTENER", "IMAP4SRV"):
    t.is_(got.get(name) and got[name][0], str(WANT),
          "asked for less, %s gets exactly that as its soft limit" % name)
t.done()
