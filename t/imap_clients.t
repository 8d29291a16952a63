#!/usr/bin/env python3
"""imap_clients.t - real IMAP clients against imap4srv: curl lists
mailboxes and fetches a message over imap:// and imaps://; mbsync
(isync) copies the INBOX to a local Maildir byte for byte, and a flag
set locally reaches the server on the next sync; mutt opens the INBOX
and shows its messages."""
import glob
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import PASSWORD, USER, ImapSuite  # noqa: E402
from emsmail import make_message  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "oomgr", "smtpgw", "postman"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = ImapSuite({"postman": {"interval_s": 600}}, name="clients")
s.start_imap()
s.start_daemons(smtpgw=False)
for i in range(3):
    s.deliver(make_message("client test %d" % i, body="message number %d\n" % i))
s.wait_messages(USER, 3)
stored = [s.message(USER, uid) for uid in (1, 2, 3)]


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, timeout=30, **kw)


# --- curl ---
if shutil.which("curl"):
    base = "imap://127.0.0.1:%d/" % s.imap_port
    r = run(["curl", "-s", "--url", base, "-u", "%s:%s" % (USER, PASSWORD)])
    t.ok(r.returncode == 0 and b'"/" INBOX' in r.stdout and b"\\Sent" in r.stdout,
         "curl imap:// lists the mailboxes")
    r = run(["curl", "-s", "--url", base + "INBOX;UID=2", "-u", "%s:%s" % (USER, PASSWORD)])
    t.is_(r.stdout, stored[1], "curl imap:// fetches message 2 byte for byte")
    r = run(["curl", "-s", "-k", "--url", "imaps://127.0.0.1:%d/INBOX;UID=3" % s.imaps_port,
             "-u", "%s:%s" % (USER, PASSWORD)])
    t.is_(r.stdout, stored[2], "curl imaps:// (implicit TLS) fetches message 3")
    r = run(["curl", "-s", "--ssl-reqd", "-k", "--url", base, "-u",
             "%s:%s" % (USER, PASSWORD)])
    t.ok(r.returncode == 0 and b"INBOX" in r.stdout, "curl with STARTTLS required lists too")
else:
    t.skip("curl not installed", 4)

# --- mbsync ---
if shutil.which("mbsync"):
    maildir = os.path.join(s.dir, "Maildir")
    os.makedirs(maildir)
    rc = os.path.join(s.dir, "mbsyncrc")
    with open(rc, "w") as f:
        f.write("IMAPAccount ems\nHost 127.0.0.1\nPort %d\nUser %s\nPass %s\n"
                "SSLType None\nAuthMechs LOGIN\n\nIMAPStore remote\nAccount ems\n\n"
                "MaildirStore local\nPath %s/\nInbox %s/INBOX\n\n"
                "Channel ems\nFar :remote:\nNear :local:\nPatterns INBOX\n"
                "Create Near\nSync All\nSyncState *\n"
                % (s.imap_port, USER, PASSWORD, maildir, maildir))
    r = run(["mbsync", "-c", rc, "-a"])
    t.is_(r.returncode, 0, "mbsync syncs the INBOX to a local Maildir")
    files = sorted(glob.glob(os.path.join(maildir, "INBOX", "cur", "*")) +
                   glob.glob(os.path.join(maildir, "INBOX", "new", "*")),
                   key=lambda p: int(re.search(r",U=(\d+)", p).group(1)))
    t.is_(len(files), 3, "  three messages arrived")
    got = []
    for p in files:
        with open(p, "rb") as f:
            # mbsync writes LF line ends and marks what it copied with X-TUID
            got.append(re.sub(rb"(?m)^X-TUID: .*\n", b"", f.read()))
    t.is_(got, [x.replace(b"\r\n", b"\n") for x in stored],
          "  byte for byte (apart from Maildir's LF line ends and mbsync's X-TUID)")
    # Mark message 2 seen and flagged locally (Maildir info ":2,FS").
    p = files[1]
    base_name = p.split(":2,")[0]
    os.rename(p, base_name + ":2,FS")
    r = run(["mbsync", "-c", rc, "-a"])
    t.is_(r.returncode, 0, "a second sync")
    m = s.connect()
    m.select("INBOX", readonly=True)
    typ, data = m.uid("FETCH", "2", "(FLAGS)")
    t.ok(b"\\Seen" in data[0] and b"\\Flagged" in data[0],
         "  took the flags set locally to the server")
    m.logout()
    # And the other way: a flag set on the server reaches the Maildir.
    m = s.connect()
    m.select("INBOX")
    m.uid("STORE", "3", "+FLAGS", "(\\Answered)")
    m.logout()
    run(["mbsync", "-c", rc, "-a"])
    names = glob.glob(os.path.join(maildir, "INBOX", "cur", "*,U=3:2,*R*"))
    t.is_(len(names), 1, "  and a flag set on the server reached the Maildir")
else:
    t.skip("mbsync (isync) not installed", 6)

# --- mutt ---
if shutil.which("mutt") and shutil.which("script"):
    muttrc = os.path.join(s.dir, "muttrc")
    with open(muttrc, "w") as f:
        f.write('set imap_user="%s"\nset imap_pass="%s"\n'
                'set folder="imap://127.0.0.1:%d/"\nset spoolfile="+INBOX"\n'
                'set header_cache=""\nset message_cachedir=""\nset ssl_starttls=no\n'
                'set ssl_force_tls=no\nset sort=date\n' % (USER, PASSWORD, s.imap_port))
    r = run(["script", "-qec", "mutt -n -F %s -e 'push <quit>'" % muttrc, "/dev/null"],
            env=dict(os.environ, TERM="vt100"))
    out = r.stdout.decode(errors="replace")
    t.ok("Msgs:3" in out, "mutt opens the INBOX and counts three messages")
    t.ok("client test 0" in out and "client test 2" in out, "  and lists their subjects")
else:
    t.skip("mutt or script not installed", 2)
s.stop()
t.done()
