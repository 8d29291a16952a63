#!/usr/bin/env python3
"""ops_health.t - the suite looking after itself, under a real guardian
with smtpgw, postman, collector, monitor and statistics:

- `disp stats` shows what the test did (N messages over LMTP: smtpgw
  accepted and delivered N, plain persons' mail taking one hop), also
  as --json, and the statistics process puts the figures into the
  store for `disp stats NAME history` and serves them to Prometheus;
- a worker stopped with SIGSTOP is reported as hung, killed and
  restarted by the guardian within monitor.heartbeat_timeout_s;
- `oomgr startup Collector` on a running collector makes it run now, and
  its Last Wakeup shows in `disp process`;
- `set process ... loglevel=` reaches a running process without a
  restart; `refresh NAME` and SIGHUP to the guardian (logrotate) make
  the processes reopen log files moved away;
- under monitor.disk_hard_mb the store-full flag makes delivery answer
  temporary failures (mailer exit 75, LMTP 451) until the monitor finds
  space again.
"""
import json
import os
import signal
import smtplib
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import MailSuite, make_message  # noqa: E402

t = emstest.Tap()
PROGRAMS = ("guardian", "oomgr", "smtpgw", "postman", "collector", "monitor",
            "statistics")
for prog in PROGRAMS:
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

TIMEOUT_S = 3
METRICS_PORT = emstest.free_port()
s = MailSuite({
    "user": "", "group": "",
    "guardian": {"backoff_initial_s": 1, "backoff_max_s": 2, "shutdown_timeout_s": 3},
    # The monitor checks when asked (startup Monitor), not on its own
    # timer, so that the test knows when the store-full flag may change.
    "monitor": {"heartbeat_timeout_s": TIMEOUT_S, "interval_s": 3600},
    "statistics": {"interval_s": 1,
                   "prometheus_listen": "127.0.0.1:%d" % METRICS_PORT},
    "collector": {"interval_s": 3600, "message_grace_s": 0, "expunged_keep_s": 0},
    "log": {"level": "info"},
    "processes": [
        {"name": name, "program": prog, "instances": [{"autostart": True}]}
        for name, prog in (("SMTPGW", "smtpgw"), ("Postman", "postman"),
                           ("Collector", "collector"), ("Monitor", "monitor"),
                           ("Statistics", "statistics"))],
}, name="ops")
s.admin("insert domain qualifiedname=example.test",
        "connect example.test",
        "insert person username=ann password=x")


def oomgr(*args):
    return s.run("oomgr", "-c", s.conf_path, *args)


def disp():
    return s.processes()


def stats(name):
    r = oomgr("--json", "disp", "stats", name)
    try:
        rows = json.loads(r.stdout)
        return rows[0]["counters"] if rows else {}
    except (ValueError, KeyError, IndexError):
        return {}


guardian = s.start("guardian", "-c", s.conf_path, "-F")
rows = emstest.wait_for(lambda: s.running(5), timeout=20)
t.ok(rows is not None, "the guardian runs smtpgw, postman, collector, monitor, statistics")
if rows is None:
    t.diag(s.logs())
    t.done()
    sys.exit()
t.ok(emstest.wait_for(lambda: emstest.port_open(s.lmtp_port)), "smtpgw listens for LMTP")

# --- counters match what we did ------------------------------------------
N = 4
lmtp = smtplib.LMTP("127.0.0.1", s.lmtp_port, timeout=emstest.DEFAULT_TIMEOUT)
for i in range(N):
    lmtp.sendmail("sender@outside.example", ["ann@example.test"],
                  make_message("stats %d" % i, to="ann@example.test"))
lmtp.quit()
t.is_(len(s.wait_messages("ann@example.test", N)), N, "%d messages delivered" % N)
# ann is a plain person: smtpgw files her mail itself (one hop)
got = emstest.wait_for(lambda: (lambda c: c if c.get("mail_delivered") == N else None)(
    stats("SMTPGW")))
t.is_((got or {}).get("mail_delivered"), N,
      "disp stats SMTPGW (the registry's name): mail_delivered = %d" % N)
t.is_((got or {}).get("latency_count"), N, "and %d delivery latencies" % N)
t.is_((got or {}).get("mail_accepted"), N, "and mail_accepted = %d" % N)
text = oomgr("disp", "stats", "smtpgw01").stdout
t.like(text, "mail_delivered", "the text form names the counters")
t.like(text, "latency_avg_ms", "and gives the average latency")
r = oomgr("disp", "stats", "nosuch")
t.ok(r.returncode != 0 and "nosuch" in r.stderr, "an unknown process is an error")


def history():
    r = oomgr("--json", "disp", "stats", "smtpgw", "history", "counter=mail_delivered")
    try:
        samples = json.loads(r.stdout)["samples"]
        return samples if samples and samples[-1][1] == N else None
    except (ValueError, KeyError):
        return None


samples = emstest.wait_for(history)
t.ok(samples is not None, "the statistics process stored the figures (history --json)")
chart = oomgr("disp", "stats", "smtpgw", "history", "counter=mail_delivered")
t.ok(chart.returncode == 0 and "smtpgw01 mail_delivered" in chart.stdout and "#" in chart.stdout,
     "history draws a chart")
t.like(chart.stdout, "total in the period: %d" % N, "whose total is what was delivered")
r = oomgr("disp", "stats", "postman", "history", "counter=bogus")
t.ok(r.returncode != 0, "an unknown counter is an error")


def http(path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (METRICS_PORT, path),
                                    timeout=emstest.DEFAULT_TIMEOUT) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""
    except OSError as e:
        return 0, str(e)


status, body = http("/metrics")
t.is_(status, 200, "the Prometheus endpoint answers /metrics")
t.like(body, 'ems_mail_delivered{process="smtpgw01"} %d' % N,
       "with the delivered count of smtpgw01")
t.like(body, "# TYPE ems_queue_depth gauge", "and the type of each metric")
t.is_(http("/nothing")[0], 404, "another path is 404")

# --- Last Wakeup and a collector run on demand -------------------------------
col = disp()["Collector"]
t.ok(col["wakeup"] > 0, "the collector's Last Wakeup is in disp process")
runs = stats("collector").get("collect_runs", 0)
r = oomgr("startup", "Collector")
t.is_(r.returncode, 0, "startup Collector on a running collector succeeds")
t.ok(emstest.wait_for(lambda: stats("collector").get("collect_runs", 0) > runs),
     "and makes it run once more")
t.is_(disp()["Collector"]["pid"], col["pid"], "without a restart")
t.like(s.log_text("collector"), "event=collected", "the run is logged with what it removed")
t.like(oomgr("disp", "process").stdout, "Last Wakeup", "disp process shows the column")

# --- log level at run time, log reopen ----------------------------------------
pm = disp()["Postman"]
r = oomgr("set", "process", "Postman", "loglevel=debug")
t.is_(r.returncode, 0, "set process Postman loglevel=debug")
t.ok(emstest.wait_for(lambda: "event=loglevel level=debug" in s.log_text("postman")),
     "the running postman switches to debug")
t.is_(disp()["Postman"]["pid"], pm["pid"], "without a restart")
logdir = os.path.join(s.state, "log")
plog = [n for n in os.listdir(logdir) if "postman" in n][0]
os.rename(os.path.join(logdir, plog), os.path.join(logdir, plog + ".1"))
r = oomgr("refresh", "Postman")
t.ok(emstest.wait_for(lambda: os.path.exists(os.path.join(logdir, plog))),
     "refresh makes postman reopen a log file rotated away")
clog = [n for n in os.listdir(logdir) if "collector" in n][0]
os.rename(os.path.join(logdir, clog), os.path.join(logdir, clog + ".1"))
guardian.send_signal(signal.SIGHUP)     # what logrotate's postrotate does
t.ok(emstest.wait_for(lambda: os.path.exists(os.path.join(logdir, clog))),
     "SIGHUP to the guardian makes every process reopen its log")

# --- a stopped worker is found and restarted ----------------------------------
pm = disp()["Postman"]
os.kill(pm["pid"], signal.SIGSTOP)
start = time.monotonic()


def restarted():
    row = disp().get("Postman", {})
    return row if row.get("state") == "running" and row.get("pid") not in (0, pm["pid"]) else None


row = emstest.wait_for(restarted, timeout=TIMEOUT_S + 15)
took = time.monotonic() - start
t.ok(row is not None, "a postman stopped with SIGSTOP is restarted")
t.diag("hung postman replaced after %.1fs (timeout %ds)" % (took, TIMEOUT_S))
t.is_((row or {}).get("restarts"), pm["restarts"] + 1, "disp process counts the restart")
t.like(s.log_text("guardian"), "event=hung name=Postman", "the guardian logged it as hung")
t.ok(not emstest.pid_alive(pm["pid"]), "the stopped process is gone")

# --- disk under the hard threshold --------------------------------------------
hard = os.path.join(s.dir, "hard.conf")
with open(s.conf_path) as f:
    base = f.read()
with open(hard, "w") as f:
    f.write(base.replace("heartbeat_timeout_s", "disk_hard_mb = 100000000;\n  heartbeat_timeout_s"))
r = s.run("monitor", "-c", hard, "--once")
t.is_(r.returncode, 0, "monitor --once with a hard threshold above the free space")
flag = os.path.join(s.state, "run", "store_full")
t.ok(os.path.exists(flag), "raises the store-full flag")
r = s.mailer("sender@outside.example", "ann@example.test", make_message("full"))
t.is_(r.returncode, 75, "the mailer answers EX_TEMPFAIL")
lmtp = smtplib.LMTP("127.0.0.1", s.lmtp_port, timeout=emstest.DEFAULT_TIMEOUT)
try:
    lmtp.sendmail("sender@outside.example", ["ann@example.test"], make_message("full"))
    code = 250
except smtplib.SMTPDataError as e:
    code = e.smtp_code
except smtplib.SMTPRecipientsRefused as e:
    code = list(e.recipients.values())[0][0]
lmtp.quit()
t.is_(code, 451, "LMTP answers 451")
r = oomgr("startup", "Monitor")
t.ok(emstest.wait_for(lambda: not os.path.exists(flag)),
     "startup Monitor: the running monitor checks and lowers the flag")
r = s.mailer("sender@outside.example", "ann@example.test", make_message("room"))
t.is_(r.returncode, 0, "and mail is accepted again")
t.like(s.log_text("monitor"), "event=disk_ok", "the monitor logged it")

# --- orderly stop --------------------------------------------------------------
r = oomgr("shutdown", "all")
guardian.send_signal(signal.SIGTERM)
try:
    guardian.wait(emstest.DEFAULT_TIMEOUT)
except Exception:
    pass
left = [n for n in os.listdir(os.path.join(s.state, "run", "stats"))] \
    if os.path.isdir(os.path.join(s.state, "run", "stats")) else []
t.is_(left, [], "no statistics segment is left behind")
s.stop()
t.done()
