#!/usr/bin/env python3
"""make deps: the lists each target needs (build, check, run), none of
them an MTA; what a user sees when a dependency is missing and they are
not root (the exact apt-get line, a non-zero exit)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from emstest import SRC, Tap  # noqa: E402

MTAS = ("sendmail-bin", "postfix", "exim4", "exim4-daemon-light", "opensmtpd",
        "nullmailer", "dma", "msmtp-mta", "courier-mta")

t = Tap(11)
script = os.path.join(SRC, "mk", "deps.sh")

r = subprocess.run(["sh", script], capture_output=True, text=True, timeout=60)
t.is_(r.returncode, 0, "make deps (deps.sh without a list) succeeds")
lists = {m.group(1): m.group(2).split()
         for m in re.finditer(r"^(build|check|run|cppcheck): +(.*)$", r.stdout, re.M)}
t.is_(sorted(lists), ["build", "check", "cppcheck", "run"],
      "it prints the build, check and run lists (and cppcheck's)")
t.ok("gcc" in lists.get("build", []) and "libssl-dev" in lists.get("build", [])
     and not {"curl", "mutt", "isync", "python3"} & set(lists.get("build", [])),
     "the build list is the compiler and the libraries, no test client")
t.is_(" ".join(lists.get("run", [])), "(nothing beyond build)",
      "make run needs nothing beyond the build")
t.ok("curl" in lists.get("check", []) and "mutt" in lists.get("check", []),
     "the check list holds the clients the tests drive")
t.is_([p for ps in lists.values() for p in ps if p in MTAS], [],
      "no list installs an MTA")
t.like(r.stdout, "private sendmail", "sendmail is a private copy, fetched, not installed")

r = subprocess.run(["sh", script, "-q", "build"], capture_output=True, text=True,
                   timeout=60)
t.ok(r.returncode == 0 and r.stdout == "" and r.stderr == "",
     "the build list is there, and -q says nothing about it")

if os.geteuid() != 0 or not shutil.which("setpriv"):
    t.skip("needs root and setpriv to act as a non-root user", 3)
    t.done()

# A PATH that has every tool deps.sh checks except curl, run as nobody.
bindir = tempfile.mkdtemp(prefix="ems-deps-")
os.chmod(bindir, 0o755)
for tool in ("sh", "gcc", "make", "pkg-config", "prove", "python3", "openssl",
             "id", "sed", "tr", "apt-get", "cat", "dirname", "mbsync", "mutt", "m4",
             "sieve-connect"):
    path = shutil.which(tool, path="/usr/local/bin:/usr/bin:/bin")
    if path:
        os.symlink(path, os.path.join(bindir, tool))
# The checkout may be unreadable to nobody (a private temp dir): copy it.
shutil.copy(script, os.path.join(bindir, "deps.sh"))
os.chmod(os.path.join(bindir, "deps.sh"), 0o644)
env = {"PATH": bindir, "HOME": "/"}
r = subprocess.run([shutil.which("setpriv"), "--reuid=65534", "--regid=65534",
                    "--clear-groups", "sh", os.path.join(bindir, "deps.sh"), "check"],
                   capture_output=True, text=True, env=env, timeout=60)
shutil.rmtree(bindir)
t.ok(r.returncode != 0, "a missing client makes make check's deps fail for a non-root user")
t.like(r.stderr, "missing: curl", "it names what is missing")
t.like(r.stderr, "apt-get install -y curl", "and prints the exact install line")
t.done()
