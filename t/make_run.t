#!/usr/bin/env python3
"""make run (mk/run.sh): a fresh state directory gets a store with
demo@example.test, a self-signed certificate and the dev configuration;
the guardian comes up in the foreground, oomgr finds it, Ctrl-C stops it."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from emstest import BIN, BUILD, SRC, Tap, wait_for  # noqa: E402

t = Tap(9)
state = os.path.join(tempfile.mkdtemp(prefix="ems-make-run-"), "state")
env = dict(os.environ)
for k in ("EMS_CONFIG", "EMS_STATE_DIR"):
    env.pop(k, None)
p = subprocess.Popen(["sh", os.path.join(SRC, "mk", "run.sh"), BUILD, state],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                     env=env, start_new_session=True)
conf = os.path.join(state, "ems.conf")


def oomgr(*args):
    return subprocess.run([os.path.join(BIN, "oomgr"), "-c", conf] + list(args),
                          capture_output=True, text=True, timeout=10)


try:
    up = wait_for(lambda: oomgr("disp process").returncode == 0, timeout=20)
    t.ok(up, "the guardian answers oomgr after make run")
    t.ok(os.path.exists(os.path.join(state, "store.db")), "store created in the state dir")
    t.ok(os.path.exists(os.path.join(state, "tls", "cert.pem")) and
         os.stat(os.path.join(state, "tls", "key.pem")).st_mode & 0o077 == 0,
         "self-signed certificate, key readable by the owner only")
    r = oomgr("list person;")
    t.like(r.stdout, "demo@example.test", "the demo person exists")
    with open(conf) as f:
        text = f.read()
    t.like(text, '"%s"' % state, "the dev config points at the state directory")
    t.like(oomgr("disp process").stdout, "IMAP4SRV", "the dev registry is loaded")
    inbox = wait_for(lambda: (lambda out: out if "Welcome to ems" in out else None)(
        oomgr("list message username=demo@example.test folder=INBOX;").stdout),
        timeout=20)
    t.ok(inbox, "postman filed the welcome message into demo's INBOX")
    p.send_signal(signal.SIGINT)
    try:
        p.wait(15)
    except subprocess.TimeoutExpired:
        pass
    t.ok(p.poll() is not None, "Ctrl-C stops make run")
    r = oomgr("disp process")
    t.ok(r.returncode != 0, "and the guardian is gone")
finally:
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    shutil.rmtree(os.path.dirname(state), ignore_errors=True)
t.done()
