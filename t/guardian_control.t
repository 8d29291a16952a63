#!/usr/bin/env python3
"""guardian_control.t - the control channel from the guardian to each
child (libcommon/control_chan.c, guardian/guardian_chan.c), under a real
guardian with smtpgw, postman, collector and statistics:

- `oomgr set process Collector loglevel=debug` takes effect in the
  running collector (its next lines are at debug), without a restart;
- `oomgr startup Collector` on a running collector runs it now;
- `oomgr refresh Postman` reaches postman as a refresh request;
- `oomgr shutdown SMTPGW` is orderly: smtpgw logs the request, exits 0,
  and the guardian records a stop, not a death or a kill;
- the guardian killed with SIGKILL: every child logs guardian_gone and
  exits on its own.
"""
import json
import os
import re
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import MailSuite  # noqa: E402

t = emstest.Tap()
for prog in ("guardian", "oomgr", "smtpgw", "postman", "collector", "statistics"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

NAMES = (("SMTPGW", "smtpgw"), ("Postman", "postman"),
         ("Collector", "collector"), ("Statistics", "statistics"))
s = MailSuite({
    "user": "", "group": "",
    "guardian": {"backoff_initial_s": 1, "backoff_max_s": 2,
                 "shutdown_timeout_s": 30},
    "collector": {"interval_s": 3600},
    "log": {"level": "info"},
    "processes": [
        {"name": name, "program": prog, "instances": [{"autostart": True}]}
        for name, prog in NAMES],
}, name="control")


def oomgr(*args):
    return s.run("oomgr", "-c", s.conf_path, *args)


def collect_runs():
    r = oomgr("--json", "disp", "stats", "collector")
    try:
        return json.loads(r.stdout)[0]["counters"].get("collect_runs", 0)
    except (ValueError, KeyError, IndexError):
        return -1


guardian = s.start("guardian", "-c", s.conf_path, "-F")
rows = emstest.wait_for(lambda: s.running(len(NAMES)), timeout=20)
t.ok(rows is not None, "the guardian runs smtpgw, postman, collector, statistics")
if rows is None:
    t.diag(s.logs())
    t.done()
    sys.exit()

# --- log level, without a restart -------------------------------------------
r = oomgr("set", "process", "Collector", "loglevel=debug")
t.is_(r.returncode, 0, "set process Collector loglevel=debug")
t.ok(emstest.wait_for(lambda: "event=loglevel level=debug" in s.log_text("collector")),
     "the running collector switches to debug")
t.is_(s.processes()["Collector"]["pid"], rows["Collector"]["pid"], "without a restart")

# --- run now ----------------------------------------------------------------
runs = collect_runs()
r = oomgr("startup", "Collector")
t.is_(r.returncode, 0, "startup Collector on a running collector succeeds")
t.ok(emstest.wait_for(lambda: collect_runs() > runs),
     "and the collector runs at once (collect_runs grew)")
t.like(s.log_text("collector"), r"level=debug",
       "its run logs at the level asked for")

# --- refresh ----------------------------------------------------------------
r = oomgr("refresh", "Postman")
t.is_(r.returncode, 0, "refresh Postman")
t.ok(emstest.wait_for(lambda: "event=control_request verb=refresh"
                      in s.log_text("postman")),
     "postman gets the refresh over its control channel")

# --- orderly shutdown -------------------------------------------------------
smtpgw_pid = rows["SMTPGW"]["pid"]
r = oomgr("shutdown", "SMTPGW")
t.is_(r.returncode, 0, "shutdown SMTPGW")
t.ok(emstest.wait_for(lambda: s.processes().get("SMTPGW", {}).get("state") == "stopped"),
     "SMTPGW is stopped")
t.like(s.log_text("smtpgw"), r"event=control_request verb=shutdown",
       "smtpgw logs the shutdown request")
glog = s.log_text("guardian")
t.like(glog, r'event=process_stopped name=SMTPGW instance=1 pid=%d how="exit 0"'
       % smtpgw_pid, "the guardian records an exit 0, as requested")
t.ok("process_stop_timeout" not in glog and "process_died" not in glog,
     "no kill after a timeout, no death")

# --- the guardian dies ------------------------------------------------------
rows = s.processes()
pids = {name: rows[name]["pid"] for name, _ in NAMES if name != "SMTPGW"}
guardian.send_signal(signal.SIGKILL)
guardian.wait()
t.ok(emstest.wait_for(lambda: not any(emstest.pid_alive(p) for p in pids.values())),
     "after kill -9 of the guardian every child exits on its own")
for name, prog in NAMES:
    if name in pids:
        text = s.log_text(prog)
        t.ok(re.search(r"event=guardian_gone .*action=stop", text) and
             re.search(r"guardian_gone.*\n(.*\n)*.*event=stopping", text),
             "%s logged guardian_gone, then stopped in order" % prog)
t.done()
