#!/usr/bin/env python3
"""stats_imap.t - `oomgr disp stats` counts what IMAP clients did: N
logins, K authentication failures, commands by type (LOGIN, SELECT,
FETCH, LOGOUT) and the message octets FETCH sent, with connections
opened and closed normally."""
import imaplib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emstest  # noqa: E402
from emsmail import make_message  # noqa: E402

t = emstest.Tap()
for prog in ("imap4srv", "smtpgw", "postman", "oomgr"):
    if not os.access(os.path.join(emstest.BIN, prog), os.X_OK):
        t.skip_all("%s is not built" % prog)
from emsimap import USER, ImapSuite  # noqa: E402

s = ImapSuite(name="stats-imap")
s.start_daemons(smtpgw=False)
s.deliver(make_message("one", body="y" * 300 + "\n", to=USER))
t.is_(len(s.wait_messages(USER, 1)), 1, "a message delivered")
s.start_imap()


def counters():
    return s.counters("imap4srv")


base = s.quiet_counters("imap4srv")
K = 1
for i in range(K):
    m = s.connect(login=False)
    try:
        m.login(USER, "wrong")
    except imaplib.IMAP4.error:
        pass
    m.logout()
N = 2
size = 0
for i in range(N):
    m = s.connect()
    if i == 0:
        m.select("INBOX")
        typ, data = m.fetch("1", "(BODY.PEEK[])")
        size = len(data[0][1]) if typ == "OK" else -1
    m.logout()

B = base.get("conn_total", 0)
c = emstest.wait_for(lambda: (lambda c: c if c.get("conn_current") == 0 and
                              c.get("conn_total") == B + K + N else None)(counters()))
c = c or counters()
t.is_(c.get("logins"), N, "logins = %d" % N)
t.is_(c.get("auth_failures"), K, "auth_failures = %d" % K)
t.is_(c.get("imap_login"), N + K, "imap_login counts every LOGIN command")
t.is_(c.get("imap_select"), 1, "imap_select = 1")
t.is_(c.get("imap_fetch"), 1, "imap_fetch = 1")
t.is_(c.get("imap_logout", 0), N + K, "imap_logout = %d" % (N + K))
t.is_(c.get("retr_messages"), 1, "one message body sent")
t.is_(c.get("retr_octets"), size, "its %d octets" % size)
t.is_(c.get("disc_normal", 0) - base.get("disc_normal", 0), N + K,
      "every session ended with LOGOUT")
t.is_(c.get("users_current"), 0, "nobody logged in now")
s.stop()
t.done()
