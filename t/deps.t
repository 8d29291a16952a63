#!/usr/bin/env python3
"""make deps: what a user sees when a dependency is missing and they are
not root (the exact apt-get line, a non-zero exit), and when all is there."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from emstest import SRC, Tap  # noqa: E402

t = Tap(5)
script = os.path.join(SRC, "mk", "deps.sh")

r = subprocess.run(["sh", script], capture_output=True, text=True, timeout=60)
t.is_(r.returncode, 0, "deps.sh passes on this machine")
t.like(r.stdout, "everything ems needs is installed", "and says so")

if os.geteuid() != 0 or not shutil.which("setpriv"):
    t.skip("needs root and setpriv to act as a non-root user", 3)
    t.done()

# A PATH that has every tool deps.sh checks except curl, run as nobody.
bindir = tempfile.mkdtemp(prefix="ems-deps-")
os.chmod(bindir, 0o755)
for tool in ("sh", "gcc", "make", "pkg-config", "prove", "python3", "openssl",
             "id", "sed", "tr", "apt-get", "cat"):
    path = shutil.which(tool, path="/usr/local/bin:/usr/bin:/bin")
    if path:
        os.symlink(path, os.path.join(bindir, tool))
# The checkout may be unreadable to nobody (a private temp dir): copy it.
shutil.copy(script, os.path.join(bindir, "deps.sh"))
os.chmod(os.path.join(bindir, "deps.sh"), 0o644)
env = {"PATH": bindir, "HOME": "/"}
r = subprocess.run([shutil.which("setpriv"), "--reuid=65534", "--regid=65534",
                    "--clear-groups", "sh", os.path.join(bindir, "deps.sh")],
                   capture_output=True, text=True, env=env, timeout=60)
shutil.rmtree(bindir)
t.ok(r.returncode != 0, "a missing tool makes deps fail for a non-root user")
t.like(r.stderr, "missing: curl", "it names what is missing")
t.like(r.stderr, "apt-get install -y curl", "and prints the exact install line")
t.done()
