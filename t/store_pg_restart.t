#!/usr/bin/env python3
"""store_pg_restart.t - the PostgreSQL server goes away and comes back.

A suite on a PostgreSQL store of a private cluster of its own (stopping
the run's shared one would break the tests beside it): a message is
delivered over LMTP (Python's smtplib) and read over IMAP (imaplib);
then the server stops.  Meanwhile an LMTP delivery gets a temporary
refusal (4xx: the MTA keeps the message), an IMAP command on a session
logged in before gets an answer (NO, not a hang or a dropped
connection), and no ems process dies.  The server starts again: without
any restart of ems, deliveries are taken again (within the reconnect
back-off), and every message acknowledged with 250 is there.
"""

import imaplib
import os
import smtplib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emspg  # noqa: E402
import emstest  # noqa: E402
from emsproto import USER  # noqa: E402

# Bound of the wait for ems to take mail again once the server is back
# (the reconnect back-off is at most 5 s per handle).
BACK = 60

t = emstest.Tap()
emspg.require(t, ("smtpgw", "postman", "oomgr", "imap4srv"))

c, s = emspg.own_suite("pgrestart", busy_timeout_ms=1000)


def message(n):
    return (b"From: sender@outside.example\r\nTo: %s\r\nSubject: restart-%d\r\n\r\nbody %d\r\n"
            % (USER.encode(), n, n))


def lmtp(n):
    """The LMTP reply code to delivering message N (250 when taken)."""
    try:
        lm = smtplib.LMTP(s.lmtp_socket, timeout=emstest.DEFAULT_TIMEOUT)
    except OSError:
        return None
    try:
        lm.sendmail("sender@outside.example", [USER], message(n))
        return 250
    except smtplib.SMTPRecipientsRefused as e:
        return list(e.recipients.values())[0][0]
    except smtplib.SMTPResponseException as e:
        return e.smtp_code
    except (OSError, smtplib.SMTPException):
        return None
    finally:
        try:
            lm.quit()
        except (OSError, smtplib.SMTPException):
            pass


acked = []
t.is_(lmtp(1), 250, "a delivery with the database up")
acked.append(1)
t.is_(len(s.wait_messages(USER, 1)), 1, "and it is filed")
m = s.connect()
typ, _ = m.select("INBOX")
t.is_(typ, "OK", "an IMAP session selects INBOX")

c.stop()
code = lmtp(2)
t.ok(code is not None and 400 <= code < 500,
     "with the database down, LMTP refuses for now (got %r)" % code)
try:
    typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
    answered = True
except imaplib.IMAP4.abort:
    typ, answered = None, False
t.ok(answered, "the IMAP session still answers (%s)" % typ)
t.ok(all(p.poll() is None for p in s.procs), "no ems process died")

c.restart()
n = [2]


def delivered():
    code = lmtp(n[0])
    if code == 250:
        acked.append(n[0])
        return True
    n[0] += 1
    return False


t.ok(emstest.wait_for(delivered, timeout=BACK, interval=0.5),
     "once the database is back, deliveries are taken again")
got = s.wait_messages(USER, len(acked), timeout=BACK)
subjects = sorted(e.subject for e in got)
t.is_(subjects, sorted("restart-%d" % i for i in acked),
      "every acknowledged message is there")
m2 = s.connect()
typ, data = m2.select("INBOX")
t.is_((typ, int(data[0])), ("OK", len(acked)), "a new IMAP session sees them all")
m2.logout()
t.ok(all(p.poll() is None for p in s.procs), "still no ems process died")
s.stop()
t.done()
