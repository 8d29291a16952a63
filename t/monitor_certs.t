#!/usr/bin/env python3
"""monitor_certs.t - the monitor warns before certificates expire (issue 9):
tls.certificate valid for 5 more days and an installed certificate
(state_dir/tls/NAME.crt, as `oomgr cert install` leaves it) valid for
400 days.  A running monitor logs certificate_expiring for the first only,
and `oomgr disp stats monitor` shows cert_days_left of the soonest; with
monitor.cert_warn_days = 0 nothing is logged."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402

t = emstest.Tap()
for prog in ("monitor", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = emstest.Suite({"monitor": {"interval_s": 3600}}, name="mcerts")
tls = os.path.join(s.state, "tls")


def make_cert(name, days):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", str(days), "-subj", "/CN=%s.test" % name,
                    "-keyout", os.path.join(tls, name + ".key"),
                    "-out", os.path.join(tls, name + ".crt")],
                   check=True, capture_output=True)


make_cert("soon", 5)
os.rename(os.path.join(tls, "soon.crt"), os.path.join(tls, "cert.pem"))
os.rename(os.path.join(tls, "soon.key"), os.path.join(tls, "key.pem"))
make_cert("far", 400)


def monitor_log():
    out = ""
    for name in os.listdir(os.path.join(s.state, "log")):
        if "monitor" in name:
            with open(os.path.join(s.state, "log", name)) as f:
                out += f.read()
    return out


m = s.start("monitor", "-c", s.conf_path)
line = emstest.wait_for(lambda: next((l for l in monitor_log().splitlines()
                                      if "event=certificate_expiring" in l), None))
t.ok(re.search(r"cert\.pem\S* days_left=[45] warn_days=30", line or ""),
     "the certificate 5 days from expiry is logged with its days left: %s" % line)
t.ok("far.crt" not in monitor_log(), "the one valid for 400 days is not")


def days_left():
    r = s.run("oomgr", "-c", s.conf_path, "--json", "disp", "stats", "monitor")
    try:
        return json.loads(r.stdout)[0]["counters"].get("cert_days_left")
    except (ValueError, KeyError, IndexError):
        return None


t.ok(emstest.wait_for(lambda: days_left() in (4, 5)),
     "disp stats monitor: cert_days_left is the soonest (%s)" % days_left())
m.terminate()
m.wait(timeout=emstest.DEFAULT_TIMEOUT)

s.conf["monitor"]["cert_warn_days"] = 0
s.write_conf()
before = monitor_log().count("certificate_expiring")
r = s.run("monitor", "-c", s.conf_path, "--once")
t.is_(r.returncode, 0, "monitor --once")
t.is_(monitor_log().count("certificate_expiring"), before,
      "with cert_warn_days = 0 nothing is logged")
s.stop()
t.done()
