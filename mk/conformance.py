#!/usr/bin/env python3
"""conformance.py - runs imaptest (the IMAP conformance and stress
tester the Dovecot project publishes) against a private ems: imap4srv on
free loopback ports in a temporary directory, the demo person, nothing
else of the machine touched.  Used by `make conformance`.

imaptest is not part of ems and is never fetched or built here: build it
yourself (see t/README) and pass its binary.

usage: conformance.py --imaptest BIN [--tests DIR | --no-tests]
                      [--clients N,N] [--secs S] [--mbox FILE] [--checkpoint S]
  --tests DIR   the scripted tests (imaptest's src/tests); default: the
                tests folder beside BIN; --no-tests skips them
  --clients     stress runs, one per count (default 10,50); 0 skips them
  --mbox FILE   the stress mailbox; default: one this script writes, of
                varied messages (plain, multipart, encoded headers, groups)
  --checkpoint  imaptest's checkpoint=S: every S seconds all clients stop
                and compare what they know of the mailbox
Prints imaptest's own summary of each run; the exit status is 0 when the
scripted tests all passed and the stress runs logged no error.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "t", "lib"))
from emsimap import ImapSuite, PASSWORD, USER  # noqa: E402

# Bound on one imaptest run beyond its own duration.
RUN_SLACK_S = 300


def varied_mbox(path, count=60):
    """Writes an mbox of COUNT messages of a few shapes, so that the
    stress run fetches bodies, structures and envelopes of every kind."""
    shapes = [
        "From: Ann Example <ann@example.test>\nTo: bob@example.test\n"
        "Subject: plain {i}\nDate: Mon, 7 Dec 2026 10:{m:02d}:00 +0000\n"
        "Message-ID: <p{i}@example.test>\n\nline one\nline two {i}\n",
        "From: =?UTF-8?Q?Ren=C3=A9e?= <renee@example.test>\n"
        "To: team: a@example.test, b@example.test;, carl@example.test\n"
        "Cc: \"Quoted, Name\" <q@example.test>\n"
        "Subject: =?ISO-8859-1?Q?caf=E9?= {i}\nDate: Tue, 8 Dec 2026 11:{m:02d}:00 +0100\n"
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b{i}\"\n\n"
        "preamble\n--b{i}\nContent-Type: text/plain; charset=utf-8\n\n"
        "hello {i}\n--b{i}\nContent-Type: application/octet-stream\n"
        "Content-Transfer-Encoding: base64\nContent-Disposition: attachment;"
        " filename=\"a{i}.bin\"\n\nAAECAwQFBgcICQ==\n--b{i}--\n",
        "From: list@example.test\nTo: undisclosed-recipients:;\n"
        "Subject: nested {i}\nMIME-Version: 1.0\n"
        "Content-Type: message/rfc822\n\nFrom: inner@example.test\n"
        "Subject: inner {i}\n\ninner body {i}\n",
        "From: x@example.test (Comment Name)\nTo: <y@example.test>\n"
        "Subject: long {i}\n\n" + "a long line of text that repeats\n" * 40,
    ]
    with open(path, "w") as f:
        for i in range(count):
            body = shapes[i % len(shapes)].format(i=i, m=i % 60)
            body = re.sub(r"^From ", ">From ", body, flags=re.M)
            f.write("From sender@example.test Mon Dec  7 10:00:00 2026\n%s\n" % body)


def run(cmd, timeout):
    print("$ " + " ".join(cmd), flush=True)
    env = dict(os.environ)
    env.setdefault("LD_LIBRARY_PATH", "/usr/lib/dovecot")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                       stdin=subprocess.DEVNULL)
    return r.stdout + r.stderr


def scripted(bin_, port, tests):
    out = run([bin_, "host=127.0.0.1", "port=%d" % port, "user=" + USER,
               "pass=" + PASSWORD, "test=" + tests], RUN_SLACK_S)
    print(out)
    m = re.search(r"(\d+) test groups: (\d+) failed", out)
    return m is not None and m.group(2) == "0"


def stress(bin_, port, mbox, clients, secs, checkpoint):
    cmd = [bin_, "host=127.0.0.1", "port=%d" % port, "user=" + USER, "pass=" + PASSWORD,
           "mbox=" + mbox, "clients=%d" % clients, "secs=%d" % secs]
    if checkpoint:
        cmd.append("checkpoint=%d" % checkpoint)
    out = run(cmd, secs + RUN_SLACK_S).splitlines()
    errors = [ln for ln in out if re.match(r"(Error|Fatal|Panic):", ln)]
    totals = out.index("Totals:") if "Totals:" in out else len(out)
    print("\n".join(ln for ln in out[totals:] if ln not in errors))
    print("clients=%d secs=%d errors=%d" % (clients, secs, len(errors)))
    for ln in errors[:20]:
        print("  " + ln)
    return not errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--imaptest", default="")
    ap.add_argument("--tests")
    ap.add_argument("--no-tests", action="store_true")
    ap.add_argument("--checkpoint", type=int, default=0)
    ap.add_argument("--clients", default="10,50")
    ap.add_argument("--secs", type=int, default=60)
    ap.add_argument("--mbox")
    a = ap.parse_args()
    tests = a.tests or os.path.join(os.path.dirname(os.path.abspath(a.imaptest)), "tests")
    if not a.imaptest or not os.access(a.imaptest, os.X_OK):
        print("conformance: IMAPTEST=%r is not a program.  What to install and fetch,"
              " and how to build it, from t/README:\n" % a.imaptest)
        with open(os.path.join(HERE, "..", "t", "README")) as f:
            text = f.read()
        print(text[text.index("## imaptest"):])
        sys.exit(2)
    suite = ImapSuite(name="conformance")
    ok = True
    try:
        suite.start_imap()
        if a.no_tests:
            pass
        elif os.path.isdir(tests):
            ok = scripted(a.imaptest, suite.imap_port, tests) and ok
        else:
            print("conformance: no scripted tests at %s" % tests)
        mbox = a.mbox
        if mbox is None:
            mbox = os.path.join(tempfile.mkdtemp(prefix="ems-mbox-", dir=suite.dir), "varied.mbox")
            varied_mbox(mbox)
        for n in [int(x) for x in a.clients.split(",") if int(x) > 0]:
            ok = stress(a.imaptest, suite.imap_port, mbox, n, a.secs, a.checkpoint) and ok
    finally:
        suite.stop()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
