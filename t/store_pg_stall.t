#!/usr/bin/env python3
"""store_pg_stall.t - the PostgreSQL server stops answering.

A suite on a PostgreSQL store of a private cluster of its own, with
store.loop_timeout_ms = 500.  Every process of the cluster is stopped
(SIGSTOP), as a hung server or a network that drops every packet looks
to a client: connections stay open and nothing comes back.  Meanwhile
an IMAP SELECT (a read job on imap4srv's pool, bounded by
store.loop_timeout_ms) is answered NO [UNAVAILABLE] instead of hanging,
another session of the same process is still served, a POP3 RETR (a
read on pop3srv's pool, bounded the same way) is answered -ERR
[SYS/TEMP], an LMTP recipient (looked up on smtpgw's pool, bounded
the same way) gets a temporary refusal, and a LOGIN the auth cache
cannot answer (a check on the auth pool, bounded the same way) gets NO
[UNAVAILABLE]; writes (a STORE, an LMTP DATA, smtpgw run as the MTA's
mailer), bounded up to their COMMIT, get a temporary failure too (the
mailer exits 75) and nothing of them is stored; no ems process is
killed as hung.  Once the server runs
again the same sessions select, retrieve, and deliver, and login checks
reach the store again, by themselves.
"""

import imaplib
import os
import platform
import signal
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emspg  # noqa: E402
import emstest  # noqa: E402
from emsproto import PASSWORD, USER, RawLines  # noqa: E402

# Bound on any one answer: a loop stuck on the server would exceed it.
ANSWER = 20

t = emstest.Tap()
emspg.require(t, ("smtpgw", "postman", "oomgr", "imap4srv"))

c, s = emspg.own_suite("pgstall", busy_timeout_ms=1000, loop_timeout_ms=500)


def signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def lmtp_code():
    """The reply to delivering one message over LMTP (250 when taken)."""
    lm = smtplib.LMTP(s.lmtp_socket, timeout=ANSWER)
    try:
        lm.sendmail("sender@outside.example", [USER],
                    b"From: sender@outside.example\r\nSubject: stall\r\n\r\nbody\r\n")
        return 250
    except smtplib.SMTPRecipientsRefused as e:
        return list(e.recipients.values())[0][0]
    except smtplib.SMTPResponseException as e:
        return e.smtp_code
    finally:
        try:
            lm.quit()
        except (OSError, smtplib.SMTPException):
            pass


a = s.connect()
b = s.connect()
a.sock.settimeout(ANSWER)
b.sock.settimeout(ANSWER)
t.is_(lmtp_code(), 250, "a delivery with the server answering")
pop_port = emstest.free_port()
s.start_listening("pop3srv", pop_port, emstest.free_port(), ())
p = RawLines(pop_port)
p.send("USER %s\r\nPASS %s\r\n" % (USER, PASSWORD))
p.line()
t.ok(p.line(timeout=ANSWER).startswith(b"+OK maildrop has 1"), "a POP3 session logs in")
b.select("INBOX")
# An LMTP transaction whose recipient is taken before the server stalls:
# its DATA is the write that meets the stall.
held = smtplib.LMTP(s.lmtp_socket, timeout=ANSWER)
held.ehlo()
held.mail("sender@outside.example")
t.is_(held.rcpt(USER)[0], 250, "an LMTP recipient taken before the stall")


def retr_answer():
    """The first line of the answer to RETR 1 (its text read and dropped)."""
    p.send("RETR 1\r\n")
    first = p.line(timeout=ANSWER)
    for _ in range(10000 if first.startswith(b"+OK") else 0):   # a short message
        if p.line(timeout=ANSWER) == b".":
            break
    return first.decode(errors="replace")



def reads_stdin(pid):
    """Whether PID waits in read(2) on its standard input (fd 0): smtpgw's
    mailer does so once its store is open."""
    read = {"x86_64": "0", "aarch64": "63"}.get(platform.machine(), "0")
    try:
        with open("/proc/%d/syscall" % pid) as f:
            return f.read().split()[:2] == [read, "0x0"]
    except OSError:
        return False


# smtpgw as the MTA's mailer, connected to the store before the stall
# and reading its message when it begins.
mailer = subprocess.Popen([s.bin("smtpgw"), "-c", s.conf_path, "-f", "sender@outside.example",
                           "--", USER], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env=s.env)
t.ok(emstest.wait_for(lambda: reads_stdin(mailer.pid)),
     "smtpgw's mailer opened the store and reads its message")
stopped = emstest.descendants(c.pid)   # the postmaster and its children
signal_all(stopped, signal.SIGSTOP)
try:
    # the writes first, before a stalled read has dropped the connection
    # they would run on (a dropped one fails at once, stall or not)
    try:
        typ, data = b.store("1", "+FLAGS", "\\Flagged")
        got = "%s %s" % (typ, data[0].decode(errors="replace") if data and data[0] else "")
    except (OSError, imaplib.IMAP4.error) as e:
        got = "no answer: %s" % e
    t.ok(got.startswith("NO [UNAVAILABLE]"),
         "a STORE (a write, bounded up to its commit) is answered NO [UNAVAILABLE] (%s)"
         % got)
    try:
        got = held.data(b"From: sender@outside.example\r\nSubject: during the stall\r\n"
                        b"\r\nbody\r\n")
    except (OSError, smtplib.SMTPException) as e:
        got = "no answer: %s" % e
    t.ok(isinstance(got, tuple) and 400 <= got[0] < 500,
         "LMTP DATA gets a temporary failure, not silence (%r)" % (got,))
    try:
        _, err = mailer.communicate(b"From: sender@outside.example\r\n"
                                    b"Subject: mailer in the stall\r\n\r\nbody\r\n",
                                    timeout=ANSWER)
        got = (mailer.returncode, err.decode(errors="replace").strip())
    except subprocess.TimeoutExpired:
        mailer.kill()
        mailer.wait()
        got = "no answer"
    t.ok(isinstance(got, tuple) and got[0] == 75,
         "smtpgw as sendmail's mailer exits 75 (EX_TEMPFAIL), the MTA keeps the message (%r)"
         % (got,))
    try:
        typ, data = a.select("INBOX")
        answer = (typ, data[0].decode(errors="replace") if data and data[0] else "")
    except (OSError, imaplib.IMAP4.error) as e:
        answer = ("no answer", str(e))
    t.ok(answer[0] == "NO" and "[UNAVAILABLE]" in answer[1],
         "the server stalled: SELECT is answered NO [UNAVAILABLE] (%s %s)" % answer)
    try:
        typ, _ = b.noop()
    except (OSError, imaplib.IMAP4.error) as e:
        typ = "no answer: %s" % e
    t.is_(typ, "OK", "another session of the same imap4srv is served meanwhile")
    try:
        code = lmtp_code()
    except (OSError, smtplib.SMTPException) as e:
        code = "no answer: %s" % e
    t.ok(isinstance(code, int) and 400 <= code < 500,
         "an LMTP recipient is refused for now (got %r)" % (code,))
    try:
        got = retr_answer()
    except OSError as e:
        got = "no answer: %s" % e
    t.ok(got.startswith("-ERR [SYS/TEMP]"), "POP3 RETR is answered -ERR [SYS/TEMP] (%s)" % got)
    try:
        n = s.connect(login=False)
        n.sock.settimeout(ANSWER)
        n.login(USER, "not the password")
        got = "OK"
    except imaplib.IMAP4.error as e:
        got = str(e)
    except OSError as e:
        got = "no answer: %s" % e
    t.ok("[UNAVAILABLE]" in got,
         "a LOGIN the auth cache cannot answer gets NO [UNAVAILABLE] (%s)" % got)
    t.ok(all(p.poll() is None for p in s.procs), "no ems process died")
finally:
    signal_all(stopped, signal.SIGCONT)


def selects():
    try:
        return a.select("INBOX")[0] == "OK"
    except imaplib.IMAP4.error:
        return False


t.ok(emstest.wait_for(selects, timeout=60, interval=0.5),
     "once the server answers again, the same session selects INBOX")
t.ok(emstest.wait_for(lambda: lmtp_code() == 250, timeout=60, interval=0.5),
     "and deliveries are taken again")
# Each process reconnects on its own back-off: pop3srv may still be
# waiting when the others are back, and answers -ERR [SYS/TEMP] until then.


def login_refused():
    """The answer to a LOGIN with a wrong password, from a new session."""
    n = s.connect(login=False)
    try:
        n.login(USER, "not the password")
        return "OK"
    except imaplib.IMAP4.error as e:
        return str(e)
    finally:
        n.shutdown()


t.ok(emstest.wait_for(lambda: "[AUTHENTICATIONFAILED]" in login_refused(),
                      timeout=60, interval=0.5),
     "and a wrong password is refused as such again (the login checks reach the store)")
t.ok(emstest.wait_for(lambda: b.store("1", "+FLAGS", "\\Flagged")[0] == "OK",
                      timeout=60, interval=0.5),
     "and the same session's STORE is done")
t.is_(b.search(None, "SUBJECT", '"during the stall"')[1], [b""],
      "the message refused at DATA is not in the mailbox (nothing half-stored)")
t.is_(b.search(None, "SUBJECT", '"mailer in the stall"')[1], [b""],
      "nor the one the mailer refused")
t.ok(emstest.wait_for(lambda: retr_answer().startswith("+OK"), timeout=60, interval=0.5),
     "and the same POP3 session retrieves the message")
a.logout()
b.logout()
held.close()
p.send("QUIT\r\n")
p.sock.close()
t.ok(all(p.poll() is None for p in s.procs), "still no ems process died")
s.stop()
t.done()
