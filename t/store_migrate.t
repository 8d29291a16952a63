#!/usr/bin/env python3
"""store_migrate.t - `oomgr migrate store to postgresql CONNINFO`.

A suite on SQLite gets mail (plain LMTP deliveries, one over a spool
chunk and one of 3 MB, mail through an alias so the queue has rows), a
second mailbox with a copy, a flag, an expunge, a subscription and a
failed login.  oomgr refuses to migrate while the store is open, then,
with the suite stopped, copies it into a fresh PostgreSQL database and
checks the counts.  The same suite restarted on PostgreSQL serves the
same UIDVALIDITY, UIDs, flags and bytes; new mail takes the next UID and
a new mailbox gets a new id.  A run again is harmless, a table whose
copy was lost is copied again (resumption), and a database that holds
a store without a migration record is refused.
"""

import imaplib
import os
import re
import smtplib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import emspg  # noqa: E402
import emstest  # noqa: E402
from emsimap import ImapSuite  # noqa: E402
from emsproto import PASSWORD, USER  # noqa: E402

SLOW = 120

t = emstest.Tap()
emspg.require(t, ("smtpgw", "postman", "oomgr", "imap4srv"))


def message(subject, body=b"hello\r\n"):
    return (b"From: sender@outside.example\r\nTo: %s\r\nSubject: %s\r\n\r\n"
            % (USER.encode(), subject.encode())) + body


def deliver(suite, rcpt, data):
    with smtplib.LMTP("127.0.0.1", suite.lmtp_port, timeout=SLOW) as lm:
        return lm.sendmail("sender@outside.example", [rcpt], data)


def snapshot(suite):
    """{mailbox: (uidvalidity, uidnext, [(uid, flags, bytes)])}."""
    m = suite.connect()
    out = {}
    for box in ("INBOX", "Archive"):
        typ, _ = m.select(box, readonly=True)
        typ, st = m.status(box, "(UIDVALIDITY UIDNEXT)")
        nums = dict(re.findall(rb"(UIDVALIDITY|UIDNEXT) (\d+)", st[0]))
        typ, data = m.fetch("1:*", "(UID FLAGS)")
        meta = {}
        for line in data or []:
            if isinstance(line, bytes) and b"UID" in line:
                seq = int(line.split()[0])
                uid = int(re.search(rb"UID (\d+)", line).group(1))
                flags = sorted(re.search(rb"FLAGS \(([^)]*)\)", line).group(1).split())
                meta[seq] = (uid, flags)
        typ, data = m.fetch("1:*", "(BODY.PEEK[])")
        rows = []
        for item in data or []:
            if isinstance(item, tuple):
                uid, flags = meta[int(item[0].split()[0])]
                rows.append((uid, flags, item[1]))
        out[box] = (int(nums[b"UIDVALIDITY"]), int(nums[b"UIDNEXT"]), sorted(rows))
    m.logout()
    return out


s = ImapSuite({"log": {"level": "info"}, "store": {"backend": "sqlite"}}, name="migrate")   # the source
s.admin("insert alias name=team@example.test target=%s" % USER)
s.start_daemons()
s.start_imap()

CHUNK = 64 * 1024
for i in range(5):
    deliver(s, USER, message("plain-%d" % i))
deliver(s, USER, message("chunky", b"z" * (CHUNK + 17) + b"\r\n"))
deliver(s, USER, message("big", (b"0123456789" * 100 + b"\r\n") * 3000))
for i in range(3):
    deliver(s, "team@example.test", message("alias-%d" % i))
s.wait_messages(USER, 10, timeout=SLOW)
m = s.connect()
m.create("Archive")
m.subscribe("Archive")
m.select("INBOX")
m.copy("1:2", "Archive")
m.store("2", "+FLAGS", "(\\Flagged $Important)")
m.store("3", "+FLAGS", "(\\Deleted)")
m.expunge()
m.logout()
try:
    s.connect(password="wrong")
except imaplib.IMAP4.error:
    pass
before = snapshot(s)
t.is_(len(before["INBOX"][2]), 9, "SQLite: 9 messages in INBOX")

conninfo = emspg.new_database()
stmt = "migrate store to postgresql '%s';" % conninfo
r = s.oomgr(stmt)
t.ok(r.returncode != 0 and "open" in r.stderr, "refused while processes have the store open")

s.stop(keep=True)
r = s.oomgr(stmt)
t.is_(r.returncode, 0, "oomgr migrate succeeds with the suite stopped")
t.like(r.stdout, "every table's count checked", "and says the counts were checked")
if r.returncode != 0:
    t.diag(r.stdout + r.stderr)
cluster = emspg.cluster()
dbname = re.search(r"dbname=(\S+)", conninfo).group(1)


def pg(sql):
    return cluster.psql(sql, dbname).strip()


t.ok(int(pg("SELECT count(*) FROM queue")) >= 3, "the queue rows came along")
t.is_(pg("SELECT count(*) FROM ems_migration WHERE complete = 0"), "0",
      "every table is recorded as complete")

r = s.oomgr(stmt)
t.is_(r.returncode, 0, "running it again is harmless")

# A lost batch: the queue's rows after the first are gone in PostgreSQL
# and its record says so; the next run copies just those again.
want = pg("SELECT count(*) FROM queue")
first = pg("SELECT min(id) FROM queue")
pg("DELETE FROM queue WHERE id > %s; UPDATE ems_migration SET last_rowid = %s,"
   " copied = 1, complete = 0 WHERE tbl = 'queue'" % (first, first))
r = s.oomgr(stmt)
t.is_(r.returncode, 0, "a migration that stopped half-way goes on")
t.is_(pg("SELECT count(*) FROM queue"), want, "and copies the missing rows")

other = emspg.new_database()
r = s.oomgr("migrate store to postgresql '%s';" % other)
pg_other = re.search(r"dbname=(\S+)", other).group(1)
cluster.psql("DROP TABLE ems_migration", pg_other)
r = s.oomgr("migrate store to postgresql '%s';" % other)
t.ok(r.returncode != 0 and "already holds" in r.stderr,
     "a database that holds a store and no record of a migration is refused")

# The same suite on PostgreSQL.
s.conf["store"] = {"backend": "postgresql", "conninfo": conninfo}
s.write_conf()
s.start_daemons()
s.start_imap()
after = snapshot(s)
for box in ("INBOX", "Archive"):
    t.is_(after[box][0], before[box][0], "%s: same UIDVALIDITY" % box)
    t.is_(after[box][1], before[box][1], "%s: same UIDNEXT" % box)
    t.is_([(u, f) for u, f, _ in after[box][2]], [(u, f) for u, f, _ in before[box][2]],
          "%s: same UIDs and flags" % box)
    t.ok([b for _, _, b in after[box][2]] == [b for _, _, b in before[box][2]],
         "%s: the same bytes" % box)
t.is_(deliver(s, USER, message("after")), {}, "new mail is taken on PostgreSQL")
s.wait_messages(USER, 10, timeout=SLOW)
m = s.connect()
m.select("INBOX")
typ, data = m.uid("SEARCH", "ALL")
t.is_(int(data[0].split()[-1]), before["INBOX"][1], "it gets the next UID")
typ, _ = m.create("Later")
t.is_(typ, "OK", "a new mailbox is created (ids continue past the copied ones)")
typ, data = m.lsub("\"\"", "*")
t.like(b" ".join(data).decode(), "Archive", "the subscription came along")
m.logout()
s.stop()
t.done()
