#!/usr/bin/env python3
"""imap_uidvalidity.t - a mailbox deleted and created again under the
same name gets a UIDVALIDITY it never had (RFC 3501 2.3.1.1), so a client
that cached the old one refetches instead of trusting stale UIDs: also
when both happen within one second, many times over, and across a
restart of imap4srv."""
import os
import re
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)

s = ImapSuite(name="uidvalidity")
s.start_imap()


def uidvalidity(r, name):
    lines, _ = r.command("st", "STATUS %s (UIDVALIDITY)" % name)
    for ln in lines:
        m = re.search(rb"UIDVALIDITY (\d+)", ln)
        if m:
            return int(m.group(1))
    return None


def cycle(r, name):
    """DELETE then CREATE NAME; the new UIDVALIDITY (None on failure)."""
    _, d = r.command("d", "DELETE %s" % name)
    _, c = r.command("c", "CREATE %s" % name)
    return uidvalidity(r, name) if d.startswith(b"d OK") and c.startswith(b"c OK") else None


r = s.raw()
r.command("c0", "CREATE Reborn")
seen = [uidvalidity(r, "Reborn")]
t.ok(seen[0], "a new mailbox has a UIDVALIDITY")
# many cycles in a row: most fall within one second of the one before
for _ in range(5):
    seen.append(cycle(r, "Reborn"))
t.ok(None not in seen, "DELETE and CREATE of the same name succeed five times")
t.is_(len(set(seen)), len(seen), "each new mailbox of that name has a UIDVALIDITY of its own")
t.ok(all(a < b for a, b in zip(seen, seen[1:])), "  each above the one before")
r.command("o", "LOGOUT")
r.close()

# restart imap4srv: the store remembers what it handed out
s.imap.send_signal(signal.SIGTERM)
s.imap.wait(emstest.DEFAULT_TIMEOUT)
t.ok(emstest.wait_for(lambda: not emstest.port_open(s.imap_port)), "imap4srv stopped")
s.start_imap()
r = s.raw()
after = cycle(r, "Reborn")
t.ok(after is not None and after not in seen, "after a restart the name gets a new one again")
t.ok(after is not None and after > max(seen), "  above every earlier one")
r.command("c1", "CREATE Other")
other = uidvalidity(r, "Other")
t.ok(other is not None and other not in seen + [after], "another new name gets its own too")
r.command("o", "LOGOUT")
r.close()
s.stop()
t.done()
