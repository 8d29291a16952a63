#!/usr/bin/env python3
"""store_pg_stall_storm.t - the PostgreSQL server stalls again and again
under load.

A suite on a PostgreSQL store of a private cluster of its own, with
store.loop_timeout_ms = 500.  Four imaplib clients run a random mix
(APPEND, STORE, FETCH, SEARCH, SELECT, NOOP) and one smtplib LMTP client
delivers, while every process of the cluster is stopped (SIGSTOP) for
0.3 to 2.5 s, then continued, over and over.  Every command gets an
answer (OK, or NO / a 4xx meanwhile): none is left waiting on the
socket, no connection is dropped, no ems process dies.  Afterwards the
mailbox holds every message acknowledged (APPEND OK, LMTP 250) exactly
once and none that was refused, under unique ascending UIDs: a write
cut off before its COMMIT left nothing behind, and no COMMIT was cut.
"""

import imaplib
import os
import random
import signal
import smtplib
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emspg  # noqa: E402
import emstest  # noqa: E402
from emsproto import USER  # noqa: E402

# Bound on any one answer: a client left waiting on a stalled server
# would exceed it (the longest bound is loop_timeout_ms + busy_timeout_ms).
ANSWER = 30
LOAD_S = 15
CLIENTS = 4

t = emstest.Tap()
emspg.require(t, ("smtpgw", "postman", "oomgr", "imap4srv"))

c, s = emspg.own_suite("pgstorm", busy_timeout_ms=1000, loop_timeout_ms=500)
stop_at = time.monotonic() + LOAD_S
lock = threading.Lock()
hung = []                           # commands with no answer, connections dropped
acked, refused = set(), set()       # subjects of messages answered OK / refused


def note(subject, ok):
    with lock:
        (acked if ok else refused).add(subject)


def imap_client(n):
    rnd = random.Random(n)
    m = None
    k = 0
    while time.monotonic() < stop_at:
        k += 1
        try:
            if m is None:
                m = s.connect()
                m.sock.settimeout(ANSWER)
            if m.state != "SELECTED":
                m.select("INBOX")
                continue
            op = rnd.choice(("append", "store", "fetch", "search", "select", "noop"))
            if op == "append":
                subject = "storm imap %d-%d" % (n, k)
                try:
                    typ, _ = m.append("INBOX", None, None, b"From: a@b.example\r\n"
                                      b"Subject: " + subject.encode() + b"\r\n\r\nx\r\n")
                    note(subject, typ == "OK")
                except imaplib.IMAP4.error:
                    note(subject, False)
            elif op == "store":
                m.store("1:*", "+FLAGS", "\\Seen")
            elif op == "fetch":
                m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            elif op == "search":
                m.search(None, "SUBJECT", "storm")
            elif op == "select":
                m.select("INBOX")
            else:
                m.noop()
        except imaplib.IMAP4.abort as e:
            hung.append("imap %d: %s" % (n, e))
            m = None
        except imaplib.IMAP4.error:
            pass                    # a NO while the server stalls
        except OSError as e:
            hung.append("imap %d: %s" % (n, e))
            m = None


def lmtp_client():
    k = 0
    while time.monotonic() < stop_at:
        k += 1
        subject = "storm lmtp %d" % k
        try:
            lm = smtplib.LMTP(s.lmtp_socket, timeout=ANSWER)
        except OSError as e:
            hung.append("lmtp connect: %s" % e)
            continue
        try:
            lm.sendmail("x@outside.example", [USER], b"From: x@outside.example\r\n"
                        b"Subject: " + subject.encode() + b"\r\n\r\nbody\r\n")
            note(subject, True)
        except smtplib.SMTPResponseException as e:
            note(subject, not 400 <= e.smtp_code < 600)
        except smtplib.SMTPRecipientsRefused:
            note(subject, False)
        except (OSError, smtplib.SMTPException) as e:
            hung.append("lmtp: %r" % e)     # its outcome unknown: in neither set
        finally:
            try:
                lm.quit()
            except (OSError, smtplib.SMTPException):
                pass


threads = [threading.Thread(target=imap_client, args=(i,)) for i in range(CLIENTS)]
threads.append(threading.Thread(target=lmtp_client))
for th in threads:
    th.start()
stalls = 0
rnd = random.Random(7)
try:
    while time.monotonic() < stop_at - 1:
        time.sleep(rnd.uniform(0.5, 1.5))
        pids = emstest.descendants(c.pid) + [c.pid]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        # the first stall outlasts every bound: something is refused
        time.sleep(rnd.uniform(0.3, 2) if stalls else 2.5)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        stalls += 1
finally:
    for pid in emstest.descendants(c.pid) + [c.pid]:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
for th in threads:
    th.join()

t.ok(stalls >= 3, "the server stalled %d times under load" % stalls)
t.is_(hung, [], "every command was answered, no connection dropped")
t.ok(all(p.poll() is None for p in s.procs), "no ems process died")
t.ok(len(acked) > 0 and len(refused) > 0,
     "some messages were taken, some refused meanwhile (%d, %d)" % (len(acked), len(refused)))


def stored():
    """Subject -> how many times it is in INBOX, once the server answers."""
    m = s.connect()
    try:
        if m.select("INBOX")[0] != "OK":
            return None
        typ, data = m.fetch("1:*", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    except imaplib.IMAP4.error:
        return None
    finally:
        m.shutdown()
    counts, uids = {}, []
    for item in data:
        if isinstance(item, tuple):
            uids.append(int(item[0].split(b"UID ")[1].split()[0]))
            subject = item[1].decode().split(":", 1)[1].strip()
            counts[subject] = counts.get(subject, 0) + 1
    return counts, uids


got = emstest.wait_for(stored, timeout=60, interval=0.5)
counts, uids = got or ({}, [])
t.is_(sorted(x for x in acked if counts.get(x) != 1), [],
      "every message acknowledged is stored exactly once")
t.is_(sorted(x for x in refused if x in counts), [], "no message refused is stored")
t.ok(uids and len(set(uids)) == len(uids) and uids == sorted(uids),
     "UIDs are unique and ascending (%d messages)" % len(uids))
s.stop()
t.done()
