#!/usr/bin/env python3
"""fake_sendmail.py CAPTURE_DIR [sendmail arguments...] - stands in for the
local sendmail as smtpgw's outbound command in the mail tests.  Each run
writes CAPTURE_DIR/NNNN.args (its arguments, one per line) and
CAPTURE_DIR/NNNN.eml (its stdin), then exits with the number in
CAPTURE_DIR/exitcode when that file exists (0 otherwise), so a test can
make sending fail and see smtpgw retry."""
import os
import sys

capture = sys.argv[1]
data = sys.stdin.buffer.read()
code = 0
try:
    with open(os.path.join(capture, "exitcode")) as f:
        code = int(f.read().strip() or "0")
except FileNotFoundError:
    pass
n = 0
while True:
    n += 1
    base = os.path.join(capture, "%04d" % n)
    try:
        fd = os.open(base + ".args", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        break
    except FileExistsError:
        continue
with os.fdopen(fd, "w") as f:
    f.write("\n".join(sys.argv[2:] + ["exit=%d" % code]) + "\n")
if code == 0:
    with open(base + ".eml.tmp", "wb") as f:
        f.write(data)
    os.rename(base + ".eml.tmp", base + ".eml")
sys.exit(code)
