#!/usr/bin/env python3
"""test_output.t - prove shows failures, not logs.  Small tests of both
kinds the suite has (Python through t/lib/emstest.py, C through
t/tap.c) run a program of the build that logs an error on standard
error, then pass, fail or crash; prove runs them as make check does.
A passing test's log stays in BUILD/t/log/NAME.log and out of prove's
output; a failing or crashing one has its log printed there, with the
traceback or the abort."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402

t = emstest.Tap(13)
if not shutil.which("prove") or not shutil.which("cc"):
    t.skip_all("needs prove and cc")
TAP_O = os.path.join(emstest.BUILD, "t", "tap.o")
POSTMAN = os.path.join(emstest.BIN, "postman")
if not os.path.exists(TAP_O) or not os.access(POSTMAN, os.X_OK):
    t.skip_all("t/tap.o or postman is not built")

top = tempfile.mkdtemp(prefix="ems-test-output-")
build = os.path.join(top, "build")
os.makedirs(os.path.join(build, "t", "unit"))
os.symlink(emstest.BIN, os.path.join(build, "bin"))
# What postman logs when its configuration is missing: a daemon's log line.
LOGGED = "event=config"

PY = '''#!/usr/bin/env python3
import os, subprocess, sys
sys.path.insert(0, %r)
import emstest
t = emstest.Tap(2)
subprocess.run([%r, "-c", "/nonexistent/ems.conf"])
t.ok(True, "first")
mode = os.environ["QUIET_MODE"]
if mode == "crash":
    raise RuntimeError("the test itself broke")
t.ok(mode == "pass", "second")
t.done()
''' % (os.path.join(emstest.SRC, "t", "lib"), POSTMAN)

C = r'''#include "tap.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(void)
{
	const char *mode = getenv("QUIET_MODE");
	pid_t pid;
	plan(2);
	pid = fork();
	if (pid == 0) {
		execl("%s", "postman", "-c", "/nonexistent/ems.conf", (char *)NULL);
		_exit(127);
	}
	while (wait(NULL) != pid)
		;
	ok(1, "first");
	if (strcmp(mode, "crash") == 0) {
		fprintf(stderr, "the test itself broke\n");
		abort();
	}
	ok(strcmp(mode, "pass") == 0, "second");
	return exit_status();
}
''' % POSTMAN


def prove(test, mode):
    env = dict(os.environ, EMS_BUILD=build, QUIET_MODE=mode)
    env.pop("EMS_TEST_STDERR", None)
    r = subprocess.run(["prove", test], capture_output=True, text=True, env=env,
                       timeout=120)
    return r.returncode, r.stdout + r.stderr


try:
    pytest = os.path.join(top, "quiet.t")
    with open(pytest, "w") as f:
        f.write(PY)
    src = os.path.join(top, "quiet.c")
    with open(src, "w") as f:
        f.write(C.replace("#include <unistd.h>", "#include <unistd.h>\n#include <sys/wait.h>"))
    ctest = os.path.join(build, "t", "unit", "quiet_c")
    r = subprocess.run(["cc", "-std=c17", "-D_GNU_SOURCE", "-I", os.path.join(emstest.SRC, "t"),
                        "-o", ctest, src, TAP_O],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        # A sanitizer build's tap.o needs the sanitizer runtime.
        r = subprocess.run(["cc", "-std=c17", "-D_GNU_SOURCE", "-fsanitize=address,undefined",
                            "-I", os.path.join(emstest.SRC, "t"), "-o", ctest, src, TAP_O],
                           capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        t.diag(r.stderr)
    for kind, test, crash_sign in (("Python", pytest, "RuntimeError: the test itself broke"),
                                   ("C", ctest, "the test itself broke")):
        name = os.path.basename(test)[:-2] if test.endswith(".t") else os.path.basename(test)
        rc, out = prove(test, "pass")
        t.is_(rc, 0, "%s: a passing test passes under prove" % kind)
        t.ok(LOGGED not in out, "%s: and prove shows no log line of it" % kind)
        if LOGGED in out:
            t.diag(out)
        log = os.path.join(build, "t", "log", name + ".log")
        with open(log, errors="replace") if os.path.exists(log) else open(os.devnull) as f:
            t.like(f.read(), LOGGED, "%s: the log is in the test's own file" % kind)
        rc, out = prove(test, "fail")
        t.ok(rc != 0 and "Failed test:  2" in out, "%s: a failing test fails" % kind)
        t.like(out, LOGGED, "%s: and prove shows its log" % kind)
        rc, out = prove(test, "crash")
        t.ok(rc != 0 and crash_sign in out and LOGGED in out,
             "%s: a test that crashes shows its log and why" % kind)
        if t.failed:
            t.diag(out)
    t.ok(os.path.exists(os.path.join(build, "t", "log", "quiet.suite.log")),
         "a Python test has a file for the logs of the suites it ran")
finally:
    shutil.rmtree(top, ignore_errors=True)
t.done()
